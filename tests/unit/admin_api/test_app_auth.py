from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings

CONFIG = """\
merchants:
  - id: acme
    sites: []
    groups: [{id: presales}]
    agents:
      - {account: alice01, password_env: ALICE_PW, nickname: Alice, staff_no: "1001",
         groups: {presales: 1}}
"""


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    config = tmp_path / "chatflow.yaml"
    config.write_text(CONFIG)
    settings = ServeSettings(config=config, data=tmp_path / "data", env={"ALICE_PW": "Demo-pass1"})
    return TestClient(create_app(settings))


def test_login_me_logout_roundtrip(client: TestClient) -> None:
    with client:
        response = client.post(
            "/api/v1/auth/login", json={"account": "alice01", "password": "Demo-pass1"}
        )
        assert response.status_code == 200
        headers = {"Authorization": f"Bearer {response.json()['token']}"}
        me = client.get("/api/v1/agents/me", headers=headers)
        assert me.json()["staff_no"] == "1001" and me.json()["merchant_id"] == "acme"
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
        gone = client.get("/api/v1/agents/me", headers=headers)
        assert gone.status_code == 401
        assert gone.headers["content-type"] == "application/problem+json"


def test_bad_login_is_generic_problem_json_and_throttled(client: TestClient) -> None:
    with client:
        for _ in range(5):
            bad = client.post("/api/v1/auth/login", json={"account": "alice01", "password": "x"})
            assert bad.status_code == 401
            assert bad.json()["detail"] == "account or password is incorrect"
        throttled = client.post("/api/v1/auth/login", json={"account": "alice01", "password": "x"})
        assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0


def test_malformed_input_is_a_422_problem_not_a_stack_trace(client: TestClient) -> None:
    with client:
        response = client.post(
            "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert response.status_code == 422
        assert response.json()["type"] == "urn:chatflow:invalid_input"
        assert client.get("/api/v1/nope").json()["status"] == 404


def test_invalid_config_is_reported_with_its_place(tmp_path: Path) -> None:
    config = tmp_path / "chatflow.yaml"
    config.write_text("merchants:\n  - id: acme\n    colour: red\n")
    with pytest.raises(Exception) as info:
        create_app(ServeSettings(config=config, data=tmp_path))
    assert "chatflow.yaml:3:5" in str(info.value) and "unknown field 'colour'" in str(info.value)
