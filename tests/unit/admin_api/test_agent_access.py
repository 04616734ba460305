"""Who may act on a live session, which accounts are targets, and the queue's refusals as problems."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Literal, cast

import pytest
from fastapi import Request
from sqlalchemy import Engine
from sqlmodel import Session, select

from chatflow.admin_api.agent_access import merchant_account, refused, visible_session
from chatflow.admin_api.auth import Principal
from chatflow.admin_api.merchant_accounts import enabled_accounts
from chatflow.engine.routing import (
    AgentUnavailable,
    InvalidTransfer,
    LastAgent,
    NotOffered,
    NotServing,
    QueueUnavailable,
    RoutingError,
    SessionView,
    UnknownAgent,
    UnknownGroup,
    UnknownSession,
)
from chatflow.engine.session import Session as ChatSession
from chatflow.engine.stores.recordsdb import (
    AccountRow,
    MerchantRow,
    create_tables,
    records_engine,
)

REFUSALS: list[tuple[RoutingError, int, str]] = [
    (AgentUnavailable("bob", "busy"), 409, "agent_unavailable"),
    (UnknownAgent("bob"), 409, "agent_unavailable"),
    (LastAgent("s1", "bob"), 409, "last_agent"),
    (NotOffered("s1", "bob"), 409, "not_offered"),
    (NotServing("s1", "bob"), 409, "not_serving"),
    (UnknownSession("s1"), 409, "not_in_queue"),
    (InvalidTransfer("Give exactly one of to_group or to_agent"), 422, "invalid_transfer"),
    (UnknownGroup("acme", "vip", ["presales"]), 404, "not_found"),
    (QueueUnavailable("the shared queue did not answer in time"), 503, "queue_unavailable"),
    (RoutingError("something new"), 409, "conflict"),
]


@pytest.mark.parametrize(
    ("error", "status", "code"), REFUSALS, ids=[type(e).__name__ for e, _, _ in REFUSALS]
)
def test_every_refusal_has_its_status_and_code(error: RoutingError, status: int, code: str) -> None:
    problem = refused(error)
    assert (problem.status, problem.code) == (status, code)


def test_an_agent_the_queue_does_not_know_is_offline_with_its_state() -> None:
    """Callers check the agent is the merchant's first: unknown to the queue means logged out."""
    problem = refused(UnknownAgent("bob"))
    assert problem.extra == {"agent": "bob", "state": "offline"}
    assert problem.detail == refused(AgentUnavailable("bob", "offline")).detail


def test_an_unknown_group_reads_like_the_routes_own_404() -> None:
    problem = refused(UnknownGroup("acme", "vip", ["presales", "aftersales"]))
    assert problem.detail == "no group 'vip'"


@pytest.fixture
def records(tmp_path: Path) -> Iterator[Engine]:
    engine = records_engine(f"sqlite:///{tmp_path / 'records.db'}")
    create_tables(engine)
    with Session(engine) as db:
        db.add(MerchantRow(id="acme"))
        db.add(MerchantRow(id="globex"))
        db.commit()
        for merchant, account, enabled in [
            ("acme", "acme_carol", True),
            ("acme", "acme_alice", True),
            ("acme", "acme_gone", False),
            ("globex", "globex_gina", True),
        ]:
            db.add(
                AccountRow(
                    merchant_id=merchant,
                    account=account,
                    password_hash="x",
                    nickname=account,
                    staff_no=account,  # unique in the merchant
                    enabled=enabled,
                )
            )
        db.commit()
    yield engine
    engine.dispose()


def test_a_merchants_accounts_in_service_are_its_enabled_ones_by_name(records: Engine) -> None:
    with Session(records) as db:
        assert [row.account for row in enabled_accounts(db, "acme")] == ["acme_alice", "acme_carol"]


def test_a_transfer_target_is_an_enabled_account_of_the_merchant(records: Engine) -> None:
    state = SimpleNamespace(services=SimpleNamespace(records=records))
    request = cast(Request, SimpleNamespace(app=SimpleNamespace(state=state)))
    found = merchant_account(request, "acme", "acme_alice")
    assert found is not None and found.account == "acme_alice"
    assert merchant_account(request, "acme", "acme_gone") is None  # disabled
    assert merchant_account(request, "acme", "globex_gina") is None  # another merchant's


class Runtime:
    async def get(self, session_id: str) -> ChatSession:
        return ChatSession(id=session_id, flow_id="f", flow_version="1", node="n", merchant="acme")


def request_for(view: SessionView, records: Engine | None) -> Request:
    dispatcher = SimpleNamespace(session=lambda session_id: view)
    services = SimpleNamespace(
        runtime=Runtime(), queue=SimpleNamespace(dispatcher=dispatcher), records=records
    )
    return cast(
        Request, SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(services=services)))
    )


def view_of(
    phase: Literal["ringing", "active"], agents: tuple[str, ...], offered_to: str | None = None
) -> SessionView:
    return SessionView(
        "s1", "acme", "presales", 1, phase, agents, offered_to, None, None, frozenset()
    )


def principal(records: Engine, account: str) -> Principal:
    with Session(records) as db:
        row = db.exec(select(AccountRow).where(AccountRow.account == account)).one()
    return Principal(
        row.id or 0, row.account, row.merchant_id, row.role, row.nickname, row.staff_no
    )


@pytest.mark.anyio
async def test_an_agent_serving_the_session_is_let_in_without_a_database_read(
    records: Engine,
) -> None:
    me = principal(records, "acme_alice")
    access = await visible_session(request_for(view_of("active", ("acme_alice",)), None), me, "s1")
    assert access.serving and access.actor is None and not access.oversees


@pytest.mark.anyio
async def test_an_agent_the_session_rings_for_is_resolved_from_the_database(
    records: Engine,
) -> None:
    me = principal(records, "acme_alice")
    view = view_of("ringing", (), offered_to="acme_alice")
    access = await visible_session(request_for(view, records), me, "s1")
    assert not access.serving and access.actor is not None
    assert not access.oversees  # an agent's scope is its own sessions
