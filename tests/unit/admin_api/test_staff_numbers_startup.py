"""Staff numbers (工号) that a database already shares, from before the admin API refused them:
the deployment still starts, the accounts still log in and can be edited; only a change to a
number another account has is refused (docs/admin-api.md, "Staff numbers")."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from chatflow.admin_api.app import create_app
from chatflow.admin_api.passwords import hash_password
from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.errors import DefinitionError
from chatflow.engine.stores.recordsdb import AccountRow

PASSWORD = "Demo-pass1"
CONFIG = """\
merchants:
  - id: acme
    agents:
      - {account: admin01, password_env: PW, nickname: Ada, staff_no: "1001", role: admin}
      - {account: bob0001, password_env: PW, nickname: Bob, staff_no: "1002"}
"""
LATER = """\
      - {account: dave001, password_env: PW, nickname: Dave, staff_no: "3003"}
"""


def _settings(tmp_path: Path, config: str) -> ServeSettings:
    path = tmp_path / "chatflow.yaml"
    path.write_text(config)
    return ServeSettings(config=path, data=tmp_path / "data", env={"PW": PASSWORD})


def _sneak_in(client: TestClient, account: str, staff_no: str) -> None:
    """An account written as an older version (or a script) could: no check of its number."""
    with Session(client.app.state.records) as db:  # type: ignore[attr-defined]
        db.add(
            AccountRow(
                merchant_id="acme",
                account=account,
                password_hash=hash_password(PASSWORD),
                nickname=account,
                staff_no=staff_no,
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        db.commit()


def _login(client: TestClient, account: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/login", json={"account": account, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_shared_numbers_in_the_database_do_not_stop_the_deployment(
    tmp_path: Path, cheap_argon2: None
) -> None:
    settings = _settings(tmp_path, CONFIG)
    with TestClient(create_app(settings)) as client:
        _sneak_in(client, "carol_01", "1002")  # Bob's, as in QA finding 12
    with TestClient(create_app(settings)) as client:
        admin = _login(client, "admin01")
        assert _login(client, "carol_01")
        url = "/api/v1/admin/accounts/carol_01"
        renamed = client.patch(url, headers=admin, json={"nickname": "Carol", "staff_no": "1002"})
        assert renamed.status_code == 200, renamed.text  # the number it has is not a change
        moved = client.patch(url, headers=admin, json={"staff_no": "1001"})
        assert moved.status_code == 409 and moved.json()["errors"][0]["path"] == "body.staff_no"
        fixed = client.patch(url, headers=admin, json={"staff_no": "1003"})
        assert fixed.status_code == 200 and fixed.json()["staff_no"] == "1003"


def test_a_config_agent_is_imported_even_with_a_number_the_database_has(
    tmp_path: Path, cheap_argon2: None
) -> None:
    """The file is checked on its own (two of its agents never share a number); against the
    database, what it adds is imported as it is and the console is where a clash is fixed."""
    with TestClient(create_app(_settings(tmp_path, CONFIG))) as client:
        _sneak_in(client, "erin_001", "3003")
    with TestClient(create_app(_settings(tmp_path, CONFIG + LATER))) as client:
        holders = select(AccountRow.account).where(AccountRow.staff_no == "3003")
        with Session(client.app.state.records) as db:  # type: ignore[attr-defined]
            assert sorted(db.exec(holders).all()) == ["dave001", "erin_001"]


def test_the_config_itself_may_not_share_a_number(tmp_path: Path) -> None:
    shared = CONFIG + LATER.replace("3003", "1002")
    with pytest.raises(DefinitionError) as caught:
        create_app(_settings(tmp_path, shared))
    [problem] = caught.value.problems
    assert "'1002' is given to bob0001 and dave001" in problem.message
