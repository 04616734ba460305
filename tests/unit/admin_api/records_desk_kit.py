"""Whole conversations through ``Services`` into the records, for the records' end-to-end tests:
the real runtime (memory session store), queue, record writer and recorder on SQLite, on a
frozen clock. Only the visitor's and the agents' actions are called by hand, as the channel and
the workbench would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session as Db

from chatflow.admin_api.services import Services
from chatflow.channels.web import SiteInfo, start_on_site
from chatflow.engine.clock import FrozenClock
from chatflow.engine.config import Agent, DeploymentConfig, Group
from chatflow.engine.events import VisitorText
from chatflow.engine.stores.memory import MemoryStore
from chatflow.engine.stores.recordsdb import ConversationRow, create_tables, records_engine

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class Desk:
    """The services, acme's web site on the flow, and helpers to let time pass and read the
    record."""

    def __init__(self, services: Services, clock: FrozenClock, site: SiteInfo, version: str):
        self.services = services
        self.queue = services.queue
        self.clock = clock
        self.site = site
        self.version = version

    async def start(self, session_id: str) -> None:
        await start_on_site(
            self.services,
            self.services.runtime,
            self.site,
            self.version,
            session_id=session_id,
            visitor_id="v1",
            channel_id="web",
        )
        await self.settle()

    async def settle(self) -> None:
        """Let the effects run and the record writer write what they caused."""
        await self.services.runtime.drain()
        await self.services.writer.flush()

    async def later(self, seconds: float) -> None:
        """Time passes; the timers due by then fire."""
        self.clock.advance(seconds)
        await self.services.runtime.fire_due_timers()
        await self.settle()

    async def say(self, session_id: str, key: str, text: str) -> None:
        await self.services.runtime.apply(session_id, VisitorText(key, text))
        await self.settle()

    def record(self, session_id: str) -> ConversationRow:
        with Db(self.services.records) as db:
            row = db.get(ConversationRow, session_id)
        assert row is not None
        return row

    async def texts(self, session_id: str) -> list[str]:
        frames = await self.services.runtime.outputs(session_id)
        return [frame.text for frame in frames if frame.type == "message"]


def agent(account: str, group: str, nickname: str | None = None) -> Agent:
    return Agent(
        account=account,
        password_hash="x",
        nickname=nickname or account,
        staff_no="1",
        groups={group: 1},
    )


@asynccontextmanager
async def open_desk(
    tmp_path: Path,
    flow: str,
    groups: Sequence[Group],
    agents: Sequence[Agent],
    logged_in: Sequence[str] = (),
) -> AsyncIterator[Desk]:
    """Acme's ``groups`` and ``agents`` (those in ``logged_in`` logged in), its site acme-web on
    ``flow``, published."""
    records = records_engine(f"sqlite:///{tmp_path / 'records.db'}")
    create_tables(records)
    clock = FrozenClock(T0)
    services = Services(DeploymentConfig(), records, MemoryStore(), clock)
    services.writer.start()
    flow_id, version = await services.runtime.publish(flow)
    site = SiteInfo(merchant="acme", key="acme-web", name="Acme", flow_id=flow_id, enabled=True)
    for group in groups:
        await services.queue.configure_group("acme", group)
    for each in agents:
        await services.queue.register_agent("acme", each)
    for account in logged_in:
        await services.queue.login(account)
    try:
        yield Desk(services, clock, site, version)
    finally:
        await services.aclose()
        records.dispose()
