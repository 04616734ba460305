"""A merchant that has nothing yet: the seed's "create X first" rules (000)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings

CONFIG = """\
merchants:
  - id: fresh
    agents:
      - {account: fresh_owner, password_env: PW, nickname: Owner, staff_no: "1", role: admin,
         owner: true}
"""


@pytest.fixture
def owner(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    config = tmp_path / "chatflow.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    settings = ServeSettings(config=config, data=tmp_path / "data", env={"PW": "Demo-pass1"})
    with TestClient(create_app(settings)) as client:
        login = client.post(
            "/api/v1/auth/login", json={"account": "fresh_owner", "password": "Demo-pass1"}
        )
        yield client, {"Authorization": f"Bearer {login.json()['token']}"}


ACCOUNT = {
    "account": "first_sub",
    "password": "Demo-pass1",
    "nickname": "Sub",
    "staff_no": "2",
    "permission_group_id": 1,
}


def test_sub_accounts_need_a_permission_group_first(
    owner: tuple[TestClient, dict[str, str]],
) -> None:
    client, headers = owner
    response = client.post("/api/v1/admin/accounts", headers=headers, json=ACCOUNT)
    assert response.status_code == 409
    assert response.json()["type"] == "urn:chatflow:permission_group_required"
    assert "create a permission group first" in response.json()["detail"]


def test_chosen_sites_need_sites_and_groups_need_groups(
    owner: tuple[TestClient, dict[str, str]],
) -> None:
    client, headers = owner
    group = client.post(
        "/api/v1/admin/permission-groups", headers=headers, json={"name": "all"}
    ).json()
    body = {**ACCOUNT, "permission_group_id": group["id"], "site_scope": "chosen", "sites": ["x"]}
    chosen = client.post("/api/v1/admin/accounts", headers=headers, json=body)
    assert chosen.status_code == 422
    assert chosen.json()["detail"] == (
        "the merchant has no sites yet, so only site_scope 'all' is possible"
    )
    site = {"key": "fresh-web", "flow": "any", "groups": ["sales"]}
    refused = client.post("/api/v1/admin/sites", headers=headers, json=site)
    assert refused.status_code == 422
    assert "published flows: (none)" in refused.json()["detail"]
    flow = "id: any\nstart: hi\nnodes:\n  hi: {type: end, message: hi}\n"
    uploaded = client.post(
        "/api/v1/admin/flows/any/versions",
        headers=headers,
        params={"publish": "true"},
        json={"yaml": flow},
    )
    assert uploaded.status_code == 201, uploaded.text
    no_groups = client.post("/api/v1/admin/sites", headers=headers, json=site)
    assert no_groups.status_code == 422
    assert no_groups.json()["detail"] == "the merchant has no agent groups yet; create one first"
    site["groups"] = []
    assert client.post("/api/v1/admin/sites", headers=headers, json=site).status_code == 201
    assert client.get("/api/v1/admin/accounts", headers=headers).json()[0]["owner"] is True
