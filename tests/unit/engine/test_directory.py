from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from chatflow.admin_api.passwords import hash_password, verify_password
from chatflow.engine.config import DeploymentConfig
from chatflow.engine.directory import find_site, import_config
from chatflow.engine.errors import DefinitionError
from chatflow.engine.stores.recordsdb import AccountRow, GroupRow, create_tables, records_engine

CONFIG = {
    "merchants": [
        {
            "id": "acme",
            "sites": [{"key": "acme-web", "flow": "presales", "groups": ["presales"]}],
            "groups": [{"id": "presales", "max_sessions": 3}],
            "agents": [
                {
                    "account": "alice01",
                    "password_env": "ALICE_PW",
                    "nickname": "Alice",
                    "staff_no": "1001",
                    "groups": {"presales": 1},
                }
            ],
        },
        {
            "id": "globex",
            "sites": [{"key": "globex-web", "flow": "presales", "groups": ["presales"]}],
            "groups": [{"id": "presales", "max_sessions": 9}],
        },
    ]
}


def merchant_groups(engine: Engine, merchant_id: str) -> list[GroupRow]:
    with Session(engine) as db:
        return list(db.exec(select(GroupRow).where(GroupRow.merchant_id == merchant_id)).all())


def find_account(engine: Engine, account: str) -> AccountRow | None:
    with Session(engine) as db:
        return db.exec(select(AccountRow).where(AccountRow.account == account)).first()


@pytest.fixture
def engine(tmp_path: object) -> Iterator[Engine]:
    eng = records_engine("sqlite://")
    create_tables(eng)
    yield eng
    eng.dispose()


def test_import_creates_tenants_scoped_by_merchant(engine: Engine) -> None:
    config = DeploymentConfig.model_validate(CONFIG)
    report = import_config(
        engine, config, env={"ALICE_PW": "Demo-pass1"}, hash_password=hash_password
    )
    assert "agent acme/alice01" in report.created
    site = find_site(engine, "globex-web")
    assert site is not None and site.merchant_id == "globex"
    # both merchants have a group 'presales'; each sees its own
    assert [g.max_sessions for g in merchant_groups(engine, "acme")] == [3]
    assert [g.max_sessions for g in merchant_groups(engine, "globex")] == [9]
    account = find_account(engine, "alice01")
    assert account is not None and verify_password(account.password_hash, "Demo-pass1")


def test_database_wins_over_the_file_on_the_next_start(engine: Engine) -> None:
    config = DeploymentConfig.model_validate(CONFIG)
    import_config(engine, config, env={"ALICE_PW": "Demo-pass1"}, hash_password=hash_password)
    again = import_config(engine, config, env={}, hash_password=hash_password)
    assert again.created == []
    account = find_account(engine, "alice01")
    assert account is not None and verify_password(account.password_hash, "Demo-pass1")


def test_missing_password_env_is_refused_before_anything_is_written(engine: Engine) -> None:
    config = DeploymentConfig.model_validate(CONFIG)
    with pytest.raises(DefinitionError) as info:
        import_config(engine, config, env={}, hash_password=hash_password)
    assert "ALICE_PW" in info.value.problems[0].message
    assert find_site(engine, "acme-web") is None
