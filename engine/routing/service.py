"""The queue as an engine service: the runtime's ``Handoff`` and the agent workbench's backend.

:class:`QueueService` owns a :class:`~chatflow.engine.routing.Dispatcher`, reads the clock, and
carries the dispatcher's decisions out: session events through the runtime's ``EventSink``
(``QueuePosition``, ``NoAgents``, ``AgentJoined``, ``AgentEnded``) and agent websocket frames
through an :class:`AgentNotifier`. Deliveries go through one outbox drained in order, so events
of one operation never overtake those of an earlier one, and a sink that calls back into the
service (a flow leaving the queue on ``NoAgents``) cannot deadlock it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from chatflow.engine import events
from chatflow.engine.clock import Clock, SystemClock
from chatflow.engine.config import Agent, AgentStatus, DeploymentConfig, Group
from chatflow.engine.effects import EndReason
from chatflow.engine.events import ClosedBy
from chatflow.engine.handoff import EventSink, QueueHold
from chatflow.engine.routing._decisions import (
    Accepted,
    AgentRested,
    Assigned,
    Decision,
    Ended,
    Invited,
    NoAgents,
    Offer,
    OfferExpired,
    OfferWithdrawn,
    PositionChanged,
    StatusChanged,
    Transferred,
)
from chatflow.engine.routing._dispatcher import Dispatcher
from chatflow.engine.routing._errors import UnknownAgent, UnknownGroup

logger = logging.getLogger("chatflow.routing")

Frame = dict[str, Any]


class AgentNotifier(Protocol):
    """Where frames for an agent's workbench go (its websocket connections)."""

    async def notify(self, agent_id: str, frame: Frame) -> None: ...


@dataclass(frozen=True)
class AgentProfile:
    """What the queue needs to know of an agent account beyond the dispatcher's state."""

    merchant: str
    staff_no: str
    nickname: str
    groups: dict[str, int]
    default_status: AgentStatus = "free"


CLOSED_BY: dict[str, ClosedBy] = {"visitor": "client", "idle": "timer", "admin": "admin"}


def closed_by(reason: EndReason | None) -> ClosedBy:
    """Who closed a service the session's end took away (seed TCCC ``closeBy``): the visitor
    (also when the flow took it out of the queue), the idle timeout, or an admin."""
    return CLOSED_BY.get(reason or "", "client")


_Delivery = tuple[str, str, Any]
"""("session", session id, Event) or ("agent", agent id, Frame)."""


class QueueService:
    """Implements ``Handoff`` (``engine.handoff``), plus agents' operations."""

    def __init__(
        self,
        sink: EventSink,
        notifier: AgentNotifier,
        clock: Clock | None = None,
        dispatcher: Dispatcher | None = None,
        observers: Sequence[Callable[[Decision], None]] = (),
    ) -> None:
        self.dispatcher = dispatcher or Dispatcher()
        self._observers = tuple(observers)
        """Told of every decision before it is carried out (the records' taps)."""
        self._sink = sink
        self._notifier = notifier
        self._clock: Clock = clock or SystemClock()
        self._profiles: dict[str, AgentProfile] = {}
        self._outbox: deque[_Delivery] = deque()
        self._positions: dict[str, list[events.Event]] = {}
        """Per session, the not yet delivered position in the outbox (a one-item cell)."""
        self._draining = False
        self._wake = asyncio.Event()

    def _now(self) -> float:
        return self._clock.now().timestamp()

    # -- configuration -------------------------------------------------------------------------

    async def configure(self, config: DeploymentConfig) -> None:
        """Load every merchant's groups and agent accounts (agents stay offline until login)."""
        for merchant in config.merchants:
            for group in merchant.groups:
                await self.configure_group(merchant.id, group)
            for agent in merchant.agents:
                self.register_agent(merchant.id, agent)

    async def configure_group(self, merchant: str, group: Group) -> None:
        await self._emit(self.dispatcher.configure_group(merchant, group, self._now()))

    def register_agent(self, merchant: str, agent: Agent, agent_id: str | None = None) -> None:
        """Know an account (id defaults to its login name) so it can log in and be named."""
        self._profiles[agent_id or agent.account] = AgentProfile(
            merchant, agent.staff_no, agent.nickname, dict(agent.groups), agent.default_status
        )

    async def update_agent(
        self, merchant: str, agent: Agent, groups: Sequence[Group] = (), agent_id: str | None = None
    ) -> None:
        """Take an account's changes at once (an admin's edit), not at its next login.

        Its profile is replaced; an agent the queue knows, online or not, moves to its new
        memberships: offers from a group it left are withdrawn, a group it joined offers to it.
        ``groups`` (definitions of the agent's groups) are configured first if the queue lacks them.
        """
        agent_id = agent_id or agent.account
        for group in groups:
            try:
                self.dispatcher.group(merchant, group.id)
            except UnknownGroup:
                await self.configure_group(merchant, group)
        view = self.dispatcher.agent(agent_id)
        decisions: list[Decision] = []
        if view is not None and dict(view.groups) != agent.groups:
            decisions = self.dispatcher.set_agent_groups(agent_id, agent.groups, self._now())
        self.register_agent(merchant, agent, agent_id)
        await self._emit(decisions)

    # -- Handoff (the runtime) -----------------------------------------------------------------

    async def enqueue(self, session_id: str, merchant: str, group: str, priority: int) -> None:
        await self._emit(
            self.dispatcher.enqueue(session_id, merchant, group, priority, self._now())
        )

    async def restore(self, held: QueueHold) -> None:
        """After a restart: the session is in ``held.agent_id``'s service again, or waits again
        (since ``held.waiting_since``). When the queue knows no such account of the merchant (it
        was deleted meanwhile), the session waits instead, so another agent takes it."""
        h, now = held, self._now()
        profile = self._profiles.get(h.agent_id or "")
        if h.agent_id and profile is not None and profile.merchant == h.merchant:
            decisions = self.dispatcher.restore(
                h.session_id, h.merchant, h.group, h.priority, h.agent_id, now
            )
        else:
            since = h.waiting_since.timestamp() if h.waiting_since else None
            decisions = self.dispatcher.enqueue(
                h.session_id, h.merchant, h.group, h.priority, now, since
            )
        await self._emit(decisions)

    async def leave(self, session_id: str, reason: EndReason | None = None) -> None:
        """The runtime asked, so the session itself hears nothing back; its agents do, with
        who closed it (:func:`closed_by`)."""
        decisions = self.dispatcher.leave(session_id, self._now(), closed_by(reason))
        await self._emit(decisions, quiet=session_id)

    # -- agents --------------------------------------------------------------------------------

    async def login(self, agent_id: str, status: AgentStatus | None = None) -> None:
        """Bring a registered agent online, in its default status unless told otherwise."""
        profile = self._profiles.get(agent_id)
        if profile is None:
            raise UnknownAgent(agent_id)
        decisions = self.dispatcher.agent_login(
            agent_id,
            profile.merchant,
            profile.groups,
            self._now(),
            status or profile.default_status,
        )
        await self._emit(decisions)

    async def logout(self, agent_id: str) -> None:
        await self._emit(self.dispatcher.agent_logout(agent_id, self._now()))

    async def set_status(self, agent_id: str, status: AgentStatus) -> None:
        await self._emit(self.dispatcher.set_agent_status(agent_id, status, self._now()))

    async def accept(self, agent_id: str, session_id: str) -> None:
        await self._emit(self.dispatcher.accept(agent_id, session_id, self._now()))

    async def decline(self, agent_id: str, session_id: str) -> None:
        await self._emit(self.dispatcher.decline(agent_id, session_id, self._now()))

    async def end(
        self, session_id: str, agent_id: str | None = None, closed_by: ClosedBy = "seat"
    ) -> None:
        """End the human service; the visitor's flow goes on at the transfer node's ``next``."""
        decisions = self.dispatcher.end_service(session_id, self._now(), closed_by, agent_id)
        await self._emit(decisions)

    async def transfer(
        self, session_id: str, *, to_group: str | None = None, to_agent: str | None = None
    ) -> None:
        decisions = self.dispatcher.transfer(
            session_id, self._now(), to_group=to_group, to_agent=to_agent
        )
        await self._emit(decisions)

    async def invite(self, session_id: str, agent_id: str) -> None:
        await self._emit(self.dispatcher.invite(session_id, agent_id, self._now()))

    async def leave_collaboration(self, session_id: str, agent_id: str) -> None:
        decisions = self.dispatcher.leave_collaboration(session_id, agent_id, self._now())
        await self._emit(decisions)

    # -- time ----------------------------------------------------------------------------------

    async def tick(self) -> None:
        """Expire rung-out offers; the server may call it, or let :meth:`run` do it."""
        await self._emit(self.dispatcher.tick(self._now()))

    async def run(self, interval: float = 1.0) -> None:
        """Tick forever: at the next offer deadline, or every ``interval`` seconds at most."""
        while True:
            await self.tick()
            deadline = self.dispatcher.next_deadline()
            delay = interval if deadline is None else min(interval, deadline - self._now())
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(delay, 0.0))

    # -- delivery ------------------------------------------------------------------------------

    async def _emit(self, decisions: Sequence[Decision], quiet: str | None = None) -> None:
        """Queue what the decisions mean for sessions and agents, then deliver in order."""
        for decision in decisions:
            for observe in self._observers:
                observe(decision)
            for delivery in self._translate(decision):
                if not (delivery[0] == "session" and delivery[1] == quiet):
                    self._post(delivery)
            if isinstance(decision, Offer):
                self._wake.set()
        await self._drain()

    def _post(self, delivery: _Delivery) -> None:
        """Add to the outbox; a position not yet delivered is replaced by the newer one.

        A long queue moves often (every visitor behind moves up at each accept); when deliveries
        lag, only a visitor's latest position is worth sending, so the backlog stays bounded by
        the number of sessions. A position never overtakes an earlier event of its session.
        """
        kind, target, payload = delivery
        if kind == "session":
            if isinstance(payload, events.QueuePosition):
                cell = self._positions.get(target)
                if cell is not None:
                    cell[0] = payload
                    return
                cell = self._positions[target] = [payload]
                self._outbox.append(("position", target, cell))
                return
            self._positions.pop(target, None)
        self._outbox.append(delivery)

    async def _drain(self) -> None:
        """Deliver the outbox in order; one drain at a time, re-entrant calls only append."""
        if self._draining:
            return  # called back from a delivery: the running drain takes these too
        self._draining = True
        try:
            while self._outbox:
                kind, target, payload = self._outbox.popleft()
                if kind == "position":
                    if self._positions.get(target) is payload:
                        del self._positions[target]
                    kind, payload = "session", payload[0]
                try:
                    if kind == "session":
                        await self._sink.deliver(target, payload)
                    else:
                        await self._notifier.notify(target, payload)
                except Exception:
                    extra = {"event": "routing.deliver_failed", "kind": kind, "target": target}
                    logger.exception("routing.deliver_failed", extra=extra)
        finally:
            self._draining = False

    def _joined(self, session_id: str, agent_id: str, key: str) -> _Delivery:
        profile = self._profiles.get(agent_id)
        event = events.AgentJoined(
            key,
            agent_id,
            profile.staff_no if profile else "",
            profile.nickname if profile else "",
        )
        return ("session", session_id, event)

    def _translate(self, d: Decision) -> list[_Delivery]:
        """A decision as session events and agent frames (the workbench contract's names)."""
        sid = d.session_id if not isinstance(d, StatusChanged) else ""
        if isinstance(d, PositionChanged):
            return [("session", sid, events.QueuePosition(d.key, d.ahead))]
        if isinstance(d, Offer):
            return [("agent", d.agent_id, _frame("offer", sid, group=d.group, timeout=d.timeout))]
        if isinstance(d, Accepted | Assigned):
            frame = _frame("assigned", sid, group=d.group)
            return [("agent", d.agent_id, frame), self._joined(sid, d.agent_id, d.key)]
        if isinstance(d, NoAgents):
            return [("session", sid, events.NoAgents(d.key))]
        if isinstance(d, Ended):
            frame = _frame("session_ended", sid, closed_by=d.closed_by)
            out: list[_Delivery] = [("agent", agent, frame) for agent in d.agents]
            return [*out, ("session", sid, events.AgentEnded(d.key, d.closed_by))]
        if isinstance(d, OfferExpired):
            return [("agent", d.agent_id, _frame("auto_transfer", sid))]
        if isinstance(d, OfferWithdrawn):
            return _withdrawn(d)
        if isinstance(d, AgentRested):
            frame = {"type": "status", "status": "rest", "reason": "missed", "session_id": sid}
            return [("agent", d.agent_id, frame)]
        if isinstance(d, StatusChanged):
            return [("agent", d.agent_id, {"type": "status", "status": d.status})]
        if isinstance(d, Transferred):
            frame = _frame("transferred", sid, to_group=d.to_group, to_agent=d.to_agent)
            moved = events.AgentTransferred(d.key, d.to_group, d.to_agent)
            return [*(("agent", agent, frame) for agent in d.from_agents), ("session", sid, moved)]
        if isinstance(d, Invited):
            return [("agent", d.agent_id, _frame("assigned", sid, invited=True))]
        return []  # CollaboratorLeft: the agent asked for it; nobody else needs telling


def _frame(kind: str, session_id: str, **fields: Any) -> Frame:
    return {"type": kind, "session_id": session_id, **fields}


def _withdrawn(d: OfferWithdrawn) -> list[_Delivery]:
    """Take the offer off the workbench, saying why in the contract's terms."""
    if d.reason == "declined":
        return []  # the agent's own doing
    if d.reason == "left":
        frame = _frame("session_ended", d.session_id, closed_by="client")
    elif d.reason == "transfer":
        frame = _frame("transferred", d.session_id)
    else:
        frame = _frame("auto_transfer", d.session_id, reason=d.reason)
    return [("agent", d.agent_id, frame)]
