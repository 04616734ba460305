"""The admin API's :class:`~chatflow.admin_api.live.LiveSessions`, on the running services.

Closing a conversation applies ``SessionClosed`` (ended reason ``admin``): the flow ends at once
and, if an agent served it, the agents hear ``session_ended {closed_by: admin}``. A transfer goes
to the dispatcher as the agents' own transfers do. The snapshot reads the dispatcher for queues,
waits (each visitor's current wait: from its arrival, or from the transfer that ended its
service, so a service never counts as waiting), offers ringing and agents, and the records for the
merchant's agents.
"""

from __future__ import annotations

import asyncio
import uuid

from sqlmodel import Session as Db

from chatflow.admin_api.agent_access import refused
from chatflow.admin_api.live import AgentState, LiveError, QueueSnapshot, Ringing
from chatflow.admin_api.merchant_accounts import enabled_accounts
from chatflow.admin_api.services import Services
from chatflow.engine.errors import NotFoundError
from chatflow.engine.events import SessionClosed
from chatflow.engine.routing import RoutingError


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
        accounts = await asyncio.to_thread(self._read, merchant_id)
        now = self._services.clock.now().timestamp()
        longest: dict[str, float] = {}
        ringing: list[Ringing] = []
        for group_id, ids in waiting_ids.items():
            views = [v for v in map(dispatcher.session, ids) if v is not None]
            times = [v.waiting_since for v in views if v.waiting_since is not None]
            if times:
                longest[group_id] = round(max(now - min(times), 0.0), 1)
            ringing.extend(
                Ringing(v.session_id, group_id, v.offered_to) for v in views if v.offered_to
            )
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
            ringing=tuple(ringing),
        )

    def _read(self, merchant_id: str) -> list[tuple[str, list[str]]]:
        with Db(self._services.records) as db:
            return [
                (row.account, sorted(row.groups))
                for row in enabled_accounts(db, merchant_id)
                if row.groups
            ]
