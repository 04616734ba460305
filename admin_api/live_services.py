"""The admin API's :class:`~chatflow.admin_api.live.LiveSessions`, on the running services.

Closing a conversation applies ``SessionClosed`` (ended reason ``admin``): the flow ends at once
and, if an agent served it, the agents hear ``session_ended {closed_by: admin}``. A transfer goes
to the dispatcher as the agents' own transfers do. The snapshot reads the dispatcher for queues
and agents and the records for how long the waiting visitors have waited.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from sqlmodel import Session as Db
from sqlmodel import col, select

from chatflow.admin_api.agent_access import refused
from chatflow.admin_api.live import AgentState, LiveError, QueueSnapshot
from chatflow.admin_api.merchant_accounts import enabled_accounts
from chatflow.admin_api.services import Services
from chatflow.engine.errors import NotFoundError
from chatflow.engine.events import SessionClosed
from chatflow.engine.routing import RoutingError
from chatflow.engine.stores.recordsdb import ConversationRow


class LiveServices:
    """Live conversations of a running deployment (``app.state.live``)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def _check(self, merchant_id: str, session_id: str) -> None:
        try:
            session = await self._services.runtime.get(session_id)
        except NotFoundError:
            raise LiveError("not_found", "no such conversation") from None
        if session.merchant != merchant_id:
            raise LiveError("not_found", "no such conversation")
        if session.status == "ended":
            raise LiveError("not_live", "the conversation has ended")

    async def close(self, merchant_id: str, session_id: str, *, by: str) -> None:
        await self._check(merchant_id, session_id)
        event = SessionClosed(key=f"admin-close:{by}:{uuid.uuid4().hex}", reason="admin")
        if not await self._services.runtime.apply(session_id, event):
            raise LiveError("not_live", "the conversation has ended")

    async def transfer(
        self, merchant_id: str, session_id: str, *, group: str | None, agent: str | None, by: str
    ) -> None:
        await self._check(merchant_id, session_id)
        try:
            await self._services.queue.transfer(session_id, to_group=group, to_agent=agent)
        except RoutingError as exc:
            problem = refused(exc)
            raise LiveError(problem.code, problem.detail) from None

    async def snapshot(self, merchant_id: str) -> QueueSnapshot:
        dispatcher = self._services.queue.dispatcher
        waiting_ids: dict[str, list[str]] = {}
        for group in dispatcher.groups():
            if group.merchant == merchant_id:
                waiting_ids[group.group] = list(group.waiting)
        accounts, queued_at = await asyncio.to_thread(
            self._read, merchant_id, [sid for ids in waiting_ids.values() for sid in ids]
        )
        now = self._services.clock.now()
        longest: dict[str, float] = {}
        for group_id, ids in waiting_ids.items():
            times = [queued_at[sid] for sid in ids if sid in queued_at]
            if times:
                longest[group_id] = round((now - min(times)).total_seconds(), 1)
        agents = []
        for account, groups in accounts:
            view = dispatcher.agent(account)
            agents.append(
                AgentState(
                    account=account,
                    status=view.status if view is not None else "offline",
                    groups=tuple(groups),
                    sessions=len(view.active) if view is not None else 0,
                )
            )
        return QueueSnapshot(
            waiting={g: len(ids) for g, ids in waiting_ids.items()},
            longest_wait_seconds=longest,
            agents=tuple(agents),
        )

    def _read(
        self, merchant_id: str, waiting: list[str]
    ) -> tuple[list[tuple[str, list[str]]], dict[str, datetime]]:
        with Db(self._services.records) as db:
            accounts = [
                (row.account, sorted(row.groups))
                for row in enabled_accounts(db, merchant_id)
                if row.groups
            ]
            queued_at: dict[str, datetime] = {}
            if waiting:  # the column type hands back aware UTC datetimes
                statement = select(ConversationRow.session_id, ConversationRow.queued_at).where(
                    col(ConversationRow.session_id).in_(waiting)
                )
                queued_at = {sid: at for sid, at in db.exec(statement) if at is not None}
        return accounts, queued_at
