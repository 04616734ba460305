"""The note ``chatflow serve`` prints for a ``password_env`` that is no longer read: an agent
the records database already has, whose variable holds another password than the account's
(checked with argon2 up to 20 agents; beyond that one line for all, unchecked). Never the
password itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from chatflow.admin_api.commands._password_note import COMPARED_AT_MOST, password_env_notes
from chatflow.admin_api.passwords import hash_password, verify_password
from chatflow.engine.config import DeploymentConfig
from chatflow.engine.directory import import_config
from chatflow.engine.stores.recordsdb import create_tables, records_engine

HOW = "change the password in the admin console (Accounts, the agent's row, Password)"


def config_of(count: int) -> DeploymentConfig:
    agents = [
        {
            "account": f"agent{i:03}",
            "password_env": f"PW_{i}",
            "nickname": f"A{i}",
            "staff_no": str(1000 + i),
        }
        for i in range(count)
    ]
    merchant = {"id": "acme", "sites": [{"key": "acme-web", "flow": "f"}], "agents": agents}
    return DeploymentConfig.model_validate({"merchants": [merchant]})


@pytest.fixture
def engine() -> Iterator[Engine]:
    eng = records_engine("sqlite://")
    yield eng
    eng.dispose()


def test_nothing_is_said_before_the_agents_exist(engine: Engine) -> None:
    config = config_of(2)
    env = {"PW_0": "Alice-pass1", "PW_1": "Bob-pass1"}
    assert password_env_notes(engine, config, env, verify_password) == []  # no tables yet
    create_tables(engine)
    assert password_env_notes(engine, config, env, verify_password) == []  # no accounts yet


def test_a_changed_variable_is_named_and_an_unchanged_or_unset_one_is_not(
    engine: Engine,
) -> None:
    config = config_of(3)
    create_tables(engine)
    env = {"PW_0": "Alice-pass1", "PW_1": "Bob-pass1", "PW_2": "Carol-pass1"}
    import_config(engine, config, env=env, hash_password=hash_password)
    assert password_env_notes(engine, config, env, verify_password) == []

    changed = {"PW_0": "Alice-pass2", "PW_1": "Bob-pass1"}  # PW_2 no longer set
    notes = password_env_notes(engine, config, changed, verify_password)
    assert notes == [
        "agent 'agent000' already exists: PW_0 holds another password but is read only when "
        f"the agent is first created; {HOW}"
    ]
    assert "Alice-pass" not in notes[0]


def test_past_the_limit_one_line_says_it_for_all_without_checking(engine: Engine) -> None:
    count = COMPARED_AT_MOST + 1
    config = config_of(count)
    create_tables(engine)
    env = {f"PW_{i}": "Same-pass1" for i in range(count)}
    digest = hash_password("Same-pass1")  # one hash for all: 21 hashes would be slow
    import_config(engine, config, env=env, hash_password=lambda _: digest)
    checked: list[str] = []

    def verify(password_hash: str, password: str) -> bool:
        checked.append(password)
        return True

    assert password_env_notes(engine, config, env, verify) == [
        f"{count} agents of the config already exist: their password_env variables are read "
        f"only when an agent is first created; {HOW}"
    ]
    assert checked == []
