"""The note ``chatflow serve`` prints when an agent's ``password_env`` is no longer read.

An agent of ``chatflow.yaml`` takes its password from its ``password_env`` variable only when
the records database first creates it; from then on the console owns the password. A variable
changed later would be ignored without a word, so ``serve`` says so at start: for up to
:data:`COMPARED_AT_MOST` such agents only when the variable holds another password than the
account's (an argon2 check, ~50 ms each), beyond that for all of them at once without checking.
The password itself is never printed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import Engine, inspect
from sqlmodel import Session, col, select

from chatflow.engine.config import DeploymentConfig
from chatflow.engine.stores.recordsdb import AccountRow

COMPARED_AT_MOST = 20
"""How many existing agents with a set ``password_env`` are checked against their hash."""

HOW = "change the password in the admin console (Accounts, the agent's row, Password)"


def password_env_notes(
    engine: Engine,
    config: DeploymentConfig,
    env: Mapping[str, str],
    verify: Callable[[str, str], bool],
) -> list[str]:
    """Lines for the agents the database already has whose ``password_env`` is set (to another
    password than theirs, when there are few enough to check); ``verify(hash, password)``."""
    agents = {
        agent.account: agent.password_env
        for merchant in config.merchants
        for agent in merchant.agents
        if agent.password_env and env.get(agent.password_env)
    }
    if not agents or not inspect(engine).has_table(AccountRow.__tablename__):
        return []
    with Session(engine) as db:
        rows = db.exec(
            select(AccountRow.account, AccountRow.password_hash).where(
                col(AccountRow.account).in_(list(agents))
            )
        ).all()
    hashes = dict(rows)
    existing = [account for account in agents if account in hashes]
    if len(existing) > COMPARED_AT_MOST:
        return [
            f"{len(existing)} agents of the config already exist: their password_env "
            f"variables are read only when an agent is first created; {HOW}"
        ]
    return [
        f"agent {account!r} already exists: {agents[account]} holds another password but is "
        f"read only when the agent is first created; {HOW}"
        for account in existing
        if not verify(hashes[account], env[agents[account] or ""])
    ]
