"""LiveServices: refusals with the workbench's codes and details; the queue board from the live queue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy import Engine
from sqlmodel import Session as Db

from chatflow.admin_api.agent_access import refused
from chatflow.admin_api.live import LiveError
from chatflow.admin_api.live_services import LiveServices
from chatflow.admin_api.services import Services
from chatflow.engine.config import Group
from chatflow.engine.routing import (
    AgentUnavailable,
    Dispatcher,
    InvalidTransfer,
    RoutingError,
    UnknownAgent,
    UnknownGroup,
    UnknownSession,
)
from chatflow.engine.session import Session
from chatflow.engine.stores.recordsdb import (
    AccountRow,
    MerchantRow,
    create_tables,
    records_engine,
)

pytestmark = pytest.mark.anyio


class Runtime:
    async def get(self, session_id: str) -> Session:
        return Session(id=session_id, flow_id="f", flow_version="1", node="n", merchant="acme")


class RefusingQueue:
    def __init__(self, error: RoutingError) -> None:
        self.error = error

    async def transfer(self, session_id: str, **_: Any) -> None:
        raise self.error


REFUSALS = [
    UnknownSession("s1"),
    AgentUnavailable("bob", "full"),
    UnknownAgent("bob"),
    UnknownGroup("acme", "vip", ["presales"]),
    InvalidTransfer("Agent 'bob' already has session 's1'"),
]


@pytest.mark.parametrize("error", REFUSALS, ids=[type(e).__name__ for e in REFUSALS])
async def test_a_refused_transfer_fails_with_the_workbench_code(error: RoutingError) -> None:
    services = SimpleNamespace(runtime=Runtime(), queue=RefusingQueue(error))
    live = LiveServices(cast(Services, services))
    with pytest.raises(LiveError) as caught:
        await live.transfer("acme", "s1", group=None, agent="bob", by="alice")
    problem = refused(error)
    assert (caught.value.code, caught.value.detail) == (problem.code, problem.detail)


async def test_an_agent_not_logged_in_is_reported_offline() -> None:
    services = SimpleNamespace(runtime=Runtime(), queue=RefusingQueue(UnknownAgent("bob")))
    live = LiveServices(cast(Services, services))
    with pytest.raises(LiveError) as caught:
        await live.transfer("acme", "s1", group=None, agent="bob", by="alice")
    assert caught.value.code == "agent_unavailable" and "offline" in caught.value.detail


NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def records(tmp_path: Path) -> Iterator[Engine]:
    engine = records_engine(f"sqlite:///{tmp_path / 'records.db'}")
    create_tables(engine)
    with Db(engine) as db:
        db.add(MerchantRow(id="acme"))
        db.commit()
        for account, groups, enabled in [
            ("acme_dave", {"aftersales": 1}, True),
            ("acme_alice", {"presales": 1, "aftersales": 2}, True),
            ("acme_owner", {}, True),  # no groups: never on the board
            ("acme_gone", {"presales": 1}, False),
        ]:
            db.add(
                AccountRow(
                    merchant_id="acme",
                    account=account,
                    password_hash="x",
                    nickname=account,
                    staff_no=account,  # unique in the merchant
                    groups=groups,
                    enabled=enabled,
                )
            )
        db.commit()
    yield engine
    engine.dispose()


def desk() -> Dispatcher:
    """The real dispatcher, 30 s before NOW: s1 arrives, then s0 (served by dave), then s2."""
    t = NOW.timestamp() - 30
    d = Dispatcher()
    d.configure_group("acme", Group(id="aftersales", max_sessions=5), t)
    d.configure_group("acme", Group(id="presales"), t)
    d.configure_group("globex", Group(id="presales"), t)
    d.enqueue("g1", "globex", "presales", 0, t - 600)
    d.enqueue("s1", "acme", "aftersales", 0, t)
    d.agent_login("acme_dave", "acme", {"aftersales": 1}, t + 1)
    d.enqueue("s0", "acme", "aftersales", 0, t + 1)
    d.set_agent_status("acme_dave", "free", t + 2)
    d.accept("acme_dave", "s1", t + 3)  # s1 is served from here: no longer waiting
    d.set_agent_status("acme_dave", "rest", t + 4)
    d.enqueue("s2", "acme", "aftersales", 0, t + 18)
    return d


async def test_the_board_counts_waiting_visitors_and_lists_enabled_agents_with_groups(
    records: Engine,
) -> None:
    services = SimpleNamespace(
        queue=SimpleNamespace(dispatcher=desk()),
        records=records,
        clock=SimpleNamespace(now=lambda: NOW),
    )
    board = await LiveServices(cast(Services, services)).snapshot("acme")
    assert board.waiting == {"aftersales": 2, "presales": 0}
    assert board.longest_wait_seconds == {"aftersales": 29.0}  # s0, queued at t + 1
    assert [(a.account, a.status, a.groups, a.sessions) for a in board.agents] == [
        ("acme_alice", "offline", ("aftersales", "presales"), 0),
        ("acme_dave", "rest", ("aftersales",), 1),
    ]
