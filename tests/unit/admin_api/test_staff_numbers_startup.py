"""Staff numbers (工号) that a database already shares, from before the admin API refused them:
the deployment still starts (without the database's unique index, saying which numbers to
mend), the accounts still log in and can be edited; only a change to a number another account
has is refused. Where the index exists, it decides two creates racing past the route's check
(docs/admin-api.md, "Staff numbers"). SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, inspect, text
from sqlmodel import Session, select

from chatflow.admin_api.app import create_app
from chatflow.admin_api.passwords import hash_password
from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.errors import DefinitionError
from chatflow.engine.stores.recordsdb import STAFF_NO_INDEX, AccountRow

A = "/api/v1/admin/accounts"

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


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> str | None:
    """The records database: the embedded SQLite (None), or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("postgres_url"))


def _settings(tmp_path: Path, config: str, database: str | None = None) -> ServeSettings:
    path = tmp_path / "chatflow.yaml"
    path.write_text(config)
    return ServeSettings(
        config=path, data=tmp_path / "data", env={"PW": PASSWORD}, database_url=database
    )


def _records(client: TestClient) -> Engine:
    engine: Engine = client.app.state.records  # type: ignore[attr-defined]
    return engine


def _sneak_in(client: TestClient, account: str, staff_no: str) -> None:
    """An account written as an older version (or a script) could: no check of its number."""
    with Session(_records(client)) as db:
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


def _as_an_older_version(client: TestClient) -> None:
    """The database as made before staff numbers were unique in it."""
    with _records(client).begin() as db:
        db.execute(text(f"DROP INDEX {STAFF_NO_INDEX}"))


def _has_index(client: TestClient) -> bool:
    indexes = inspect(_records(client)).get_indexes("account")
    return any(index["name"] == STAFF_NO_INDEX for index in indexes)


def _login(client: TestClient, account: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/login", json={"account": account, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _warnings(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == event and r.levelname == "WARNING"]


def test_shared_numbers_in_the_database_do_not_stop_the_deployment(
    tmp_path: Path, database: str | None, cheap_argon2: None, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, CONFIG, database)
    with TestClient(create_app(settings)) as client:
        assert _has_index(client)
        _as_an_older_version(client)
        _sneak_in(client, "carol_01", "1002")  # Bob's, as in QA finding 12
    caplog.clear()
    with TestClient(create_app(settings)) as client:
        assert not _has_index(client)  # left out, said so; the route check guards meanwhile
        [warning] = _warnings(caplog, "records.staff_numbers_shared")
        assert (vars(warning)["merchant"], vars(warning)["shared"]) == (
            "acme",
            "'1002': bob0001, carol_01",
        )
        admin = _login(client, "admin01")
        assert _login(client, "carol_01")
        url = "/api/v1/admin/accounts/carol_01"
        renamed = client.patch(url, headers=admin, json={"nickname": "Carol", "staff_no": "1002"})
        assert renamed.status_code == 200, renamed.text  # the number it has is not a change
        moved = client.patch(url, headers=admin, json={"staff_no": "1001"})
        assert moved.status_code == 409 and moved.json()["errors"][0]["path"] == "body.staff_no"
        fixed = client.patch(url, headers=admin, json={"staff_no": "1003"})
        assert fixed.status_code == 200 and fixed.json()["staff_no"] == "1003"
    caplog.clear()
    with TestClient(create_app(settings)) as client:  # mended: the next start makes the index
        assert _has_index(client)
        assert not _warnings(caplog, "records.staff_numbers_shared")


def test_a_config_agent_waits_while_an_account_has_its_number(
    tmp_path: Path, database: str | None, cheap_argon2: None, caplog: pytest.LogCaptureFixture
) -> None:
    """The file is checked on its own (two of its agents never share a number); against the
    database, an agent whose number a console-made account has is left out, with a warning
    saying which and how to mend, and imported at the first start after the number is free."""
    with TestClient(create_app(_settings(tmp_path, CONFIG, database))) as client:
        _sneak_in(client, "erin_001", "3003")
    holders = select(AccountRow.account).where(AccountRow.staff_no == "3003")
    later = _settings(tmp_path, CONFIG + LATER, database)
    caplog.clear()
    with TestClient(create_app(later)) as client:
        with Session(_records(client)) as db:
            assert db.exec(holders).all() == ["erin_001"]
        [warning] = _warnings(caplog, "config.agent_not_imported")
        said = vars(warning)
        assert (said["merchant"], said["agent"], said["staff_no"]) == ("acme", "dave001", "3003")
        assert said["held_by"] == "erin_001" and "next start" in said["mend"]
        admin = _login(client, "admin01")
        moved = client.patch(
            "/api/v1/admin/accounts/erin_001", headers=admin, json={"staff_no": "3004"}
        )
        assert moved.status_code == 200, moved.text
    with TestClient(create_app(later)) as client:
        with Session(_records(client)) as db:
            assert db.exec(holders).all() == ["dave001"]
        assert _login(client, "dave001")


def test_two_admins_creating_one_number_at_once_get_a_201_and_a_409(
    tmp_path: Path, database: str | None, cheap_argon2: None
) -> None:
    """Both requests pass the route's check before either writes; the database's index decides,
    and the loser gets the check's own answer, in the request's language, never a 500."""
    with TestClient(create_app(_settings(tmp_path, CONFIG, database))) as client:
        admin = _login(client, "admin01")
        group = client.post(
            "/api/v1/admin/permission-groups",
            headers=admin,
            json={"name": "agents", "permissions": {"records": "view"}},
        )
        assert group.status_code == 201, group.text

        def body(account: str) -> dict[str, object]:
            return {
                "account": account,
                "password": PASSWORD,
                "nickname": account,
                "staff_no": "2002",
                "permission_group_id": group.json()["id"],
            }

        answers: list[Any] = []  # the other admin's responses (httpx's, or httpx2's)
        interrupted: list[str] = []  # once: the other request's own statements run through

        def the_other_admin(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            """Right before the first create inserts (its check passed), a second admin's
            create of the same number runs to the end."""
            if statement.startswith("INSERT INTO account") and not interrupted:
                interrupted.append(statement)
                answers.append(client.post(A, headers=admin, json=body("second01")))

        engine = _records(client)
        event.listen(engine, "before_cursor_execute", the_other_admin)
        try:
            first = client.post(
                A, headers={**admin, "Accept-Language": "zh-CN"}, json=body("first001")
            )
        finally:
            event.remove(engine, "before_cursor_execute", the_other_admin)
        [second] = answers
        assert second.status_code == 201, second.text
        assert first.status_code == 409, first.text
        assert first.json()["errors"] == [
            {"path": "body.staff_no", "message": "工号 '2002' 已被本商户的其他账号使用，请换一个"}
        ]
        with Session(engine) as db:
            holders = select(AccountRow.account).where(AccountRow.staff_no == "2002")
            assert db.exec(holders).all() == ["second01"]

        # an edit racing the same way: the number moved to meanwhile is taken at the commit
        answers.clear()
        interrupted.clear()

        def the_other_edit(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            if statement.startswith("UPDATE account") and not interrupted:
                interrupted.append(statement)
                moved = client.patch(f"{A}/bob0001", headers=admin, json={"staff_no": "2003"})
                answers.append(moved)

        event.listen(engine, "before_cursor_execute", the_other_edit)
        try:
            edit = client.patch(f"{A}/second01", headers=admin, json={"staff_no": "2003"})
        finally:
            event.remove(engine, "before_cursor_execute", the_other_edit)
        assert answers[0].status_code == 200, answers[0].text
        assert edit.status_code == 409, edit.text
        assert edit.json()["errors"][0]["path"] == "body.staff_no"
        assert "'2003' is taken" in edit.json()["detail"]
        kept = client.get(f"{A}/second01", headers=admin).json()
        assert kept["staff_no"] == "2002"


def test_the_config_itself_may_not_share_a_number(tmp_path: Path) -> None:
    shared = CONFIG + LATER.replace("3003", "1002")
    with pytest.raises(DefinitionError) as caught:
        create_app(_settings(tmp_path, shared))
    [problem] = caught.value.problems
    assert "'1002' is given to bob0001 and dave001" in problem.message
