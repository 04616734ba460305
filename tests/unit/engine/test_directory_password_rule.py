"""``missing_passwords`` with the accounts' rule: a ``password_env`` holding a password the
console would refuse is a problem of its own (``weak-password``), for agents the database lacks
only; without a rule it checks that the variable is set, as before."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from chatflow.admin_api.passwords import hash_password, password_problems
from chatflow.engine.config import DeploymentConfig
from chatflow.engine.directory import import_config, missing_passwords
from chatflow.engine.errors import DefinitionError
from chatflow.engine.stores.recordsdb import create_tables, records_engine

CONFIG = DeploymentConfig.model_validate(
    {
        "merchants": [
            {
                "id": "acme",
                "sites": [{"key": "acme-web", "flow": "presales"}],
                "agents": [
                    {
                        "account": "alice01",
                        "password_env": "ALICE_PW",
                        "nickname": "Alice",
                        "staff_no": "1001",
                    },
                    {
                        "account": "bob0001",
                        "password_env": "BOB_PW",
                        "nickname": "Bob",
                        "staff_no": "1002",
                    },
                ],
            }
        ]
    }
)


@pytest.fixture
def engine() -> Iterator[Engine]:
    eng = records_engine("sqlite://")
    yield eng
    eng.dispose()


def problems(engine: Engine, env: dict[str, str]) -> list[tuple[str, str | None]]:
    found = missing_passwords(engine, CONFIG, env=env, password_rule=password_problems)
    return [(p.message, p.code) for p in found]


def test_a_weak_password_is_refused_with_every_rule_it_breaks(engine: Engine) -> None:
    assert problems(engine, {"ALICE_PW": "alice", "BOB_PW": "Bob-pass1"}) == [
        (
            "agent 'alice01': the password in ALICE_PW is too weak: it must be 8-20 characters "
            "long, contain an upper-case letter, contain a digit, contain a symbol such as "
            "!@#$%, as the console requires of every password; set a stronger one",
            "weak-password",
        )
    ]
    assert problems(engine, {"ALICE_PW": "Demo-pass1", "BOB_PW": "Bob-pass1"}) == []
    # without the rule only an unset variable is a problem
    assert missing_passwords(engine, CONFIG, env={"ALICE_PW": "a", "BOB_PW": "b"}) == []


def test_an_unset_variable_stays_a_missing_password(engine: Engine) -> None:
    assert problems(engine, {"ALICE_PW": "Demo-pass1", "BOB_PW": ""}) == [
        ("agent 'bob0001': environment variable BOB_PW is not set", "password_env")
    ]


def test_an_agent_already_imported_is_not_checked_again(engine: Engine) -> None:
    create_tables(engine)
    env = {"ALICE_PW": "Demo-pass1", "BOB_PW": "Bob-pass1"}
    import_config(engine, CONFIG, env=env, hash_password=hash_password)
    assert problems(engine, {"ALICE_PW": "weak"}) == []


def test_the_import_at_start_refuses_a_weak_password_too(engine: Engine) -> None:
    """The import every server runs at start (not only ``chatflow serve``'s check before it)."""
    create_tables(engine)
    env = {"ALICE_PW": "Demo-pass1", "BOB_PW": "bob"}
    with pytest.raises(DefinitionError) as raised:
        import_config(
            engine, CONFIG, env=env, hash_password=hash_password, password_rule=password_problems
        )
    assert raised.value.message == "agent passwords are too weak"
    assert [p.code for p in raised.value.problems] == ["weak-password"]
    assert "bob0001" in raised.value.problems[0].message
    env["BOB_PW"] = ""
    with pytest.raises(DefinitionError) as raised:
        import_config(engine, CONFIG, env=env, hash_password=hash_password)
    assert raised.value.message == "agent passwords are missing"
    env["BOB_PW"] = "Bob-pass1"
    report = import_config(
        engine, CONFIG, env=env, hash_password=hash_password, password_rule=password_problems
    )
    assert [c for c in report.created if c.startswith("agent")] == [
        "agent acme/alice01",
        "agent acme/bob0001",
    ]
