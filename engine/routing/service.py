"""The queue as an engine service: the runtime's ``Handoff`` and the agent workbench's backend.

:class:`QueueService` owns a :class:`~chatflow.engine.routing.queue_state.QueueState` (the
:class:`~chatflow.engine.routing.Dispatcher` and what goes with it), reads the clock, turns each
operation into a command on it (shared by every worker through a :class:`CommandLog` when
scaled out), and carries the decisions out: session events through the runtime's ``EventSink``
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
    CollaboratorLeft,
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
from chatflow.engine.routing.queue_state import QueueState, dump, load

logger = logging.getLogger("chatflow.routing")

Frame = dict[str, Any]


class AgentNotifier(Protocol):
    """Where frames for an agent's workbench go (its websocket connections on this worker)."""

    async def notify(self, agent_id: str, frame: Frame) -> None: ...


class CommandLog(Protocol):
    """An ordered log of queue commands that every worker applies to its own copy of the
    :class:`QueueState` (``log_redis.RedisCommandLog``): how workers share one queue."""

    worker: str
    """This worker's id (which worker holds an agent's websockets)."""

    async def start(self, replica: Replica) -> None:
        """Give the replica the shared state (snapshot, then the commands since) and follow
        the log from there: every command, whoever issued it, goes to ``replica.replicated``."""
        ...

    async def submit(self, op: str, args: tuple[Any, ...], now: float) -> list[Decision]:
        """Append a command; return its decisions once this worker applied it (or raise what
        applying it raised)."""
        ...

    async def aclose(self) -> None: ...


class Replica(Protocol):
    """What a :class:`CommandLog` keeps in step: the state, and who hears each command's
    decisions on this worker."""

    state: QueueState

    async def replicated(self, decisions: Sequence[Decision]) -> None: ...

    async def worker_gone(self, worker: str) -> None: ...


CLOSED_BY: dict[str, ClosedBy] = {"visitor": "client", "idle": "timer", "admin": "admin"}


def closed_by(reason: EndReason | None) -> ClosedBy:
    """Who closed a service the session's end took away (seed TCCC ``closeBy``): the visitor
    (also when the flow took it out of the queue), the idle timeout, or an admin."""
    return CLOSED_BY.get(reason or "", "client")


_Delivery = tuple[str, str, Any]
"""("session", session id, Event) or ("agent", agent id, Frame)."""


class QueueService:
    """Implements ``Handoff`` (``engine.handoff``), plus agents' operations.

    Every operation is a command on the :class:`QueueState`. Embedded (no ``log``), the service
    applies it at once and delivers all its decisions. With a :class:`CommandLog` (scale-out),
    the command goes through the log: every worker applies it and tells the agents connected
    to it (:meth:`replicated`); the worker that issued it also writes the records (observers)
    and delivers the session events, once.
    """

    def __init__(
        self,
        sink: EventSink,
        notifier: AgentNotifier,
        clock: Clock | None = None,
        dispatcher: Dispatcher | None = None,
        observers: Sequence[Callable[[Decision], None]] = (),
        log: CommandLog | None = None,
    ) -> None:
        self.state = QueueState(dispatcher or Dispatcher())
        self._log = log
        self.worker = log.worker if log is not None else "local"
        self._observers = tuple(observers)
        """Told of every decision before it is carried out (the records' taps)."""
        self._sink = sink
        self._notifier = notifier
        self._clock: Clock = clock or SystemClock()
        self._outbox: deque[_Delivery] = deque()
        self._positions: dict[str, list[events.Event]] = {}
        """Per session, the not yet delivered position in the outbox (a one-item cell)."""
        self._draining = False
        self._wake = asyncio.Event()

    @property
    def dispatcher(self) -> Dispatcher:
        """The dispatcher's current state (read it; change it only through operations)."""
        return self.state.dispatcher

    def _now(self) -> float:
        return self._clock.now().timestamp()

    async def start(self) -> None:
        """Join the shared queue (scale-out): take its state and follow its log."""
        if self._log is not None:
            await self._log.start(self)

    async def aclose(self) -> None:
        if self._log is not None:
            await self._log.aclose()

    def snapshot(self) -> bytes:
        """The queue's state, to take back after a restart (:meth:`resume`)."""
        return dump(self.state)

    async def resume(self, data: bytes) -> bool:
        """Take back what :meth:`snapshot` saved before a restart (embedded; scaled out the
        state comes from the log). The restart closed every agent's websockets: the agents
        log out, keeping their status (and reason) for their next login. False when the
        snapshot is of another format or unreadable (the caller rebuilds the queue from the
        sessions, as after a crash)."""
        state = load(data) if self._log is None else None
        if state is None:
            return False
        self.state = state
        await self.worker_gone(self.worker)
        return True

    async def _submit(self, op: str, *args: Any, quiet: str | None = None) -> None:
        """Apply a command (through the log, when there is one) and carry out its decisions."""
        if self._log is None:
            await self._emit(self.state.apply(op, args, self._now()), quiet)
        else:
            decisions = await self._log.submit(op, args, self._now())
            await self._emit(decisions, quiet, agents=False)

    async def replicated(self, decisions: Sequence[Decision]) -> None:
        """A command from the log was applied here: tell this worker's agents (every worker
        does so for its own websockets; the issuer does the rest in :meth:`_submit`)."""
        await self._emit(decisions, sessions=False)

    # -- configuration -------------------------------------------------------------------------

    async def configure(self, config: DeploymentConfig) -> None:
        """Load every merchant's groups and agent accounts (agents stay offline until login)."""
        for merchant in config.merchants:
            for group in merchant.groups:
                await self.configure_group(merchant.id, group)
            for agent in merchant.agents:
                await self.register_agent(merchant.id, agent)

    async def configure_group(self, merchant: str, group: Group) -> None:
        await self._submit("configure_group", merchant, group)

    async def register_agent(
        self, merchant: str, agent: Agent, agent_id: str | None = None
    ) -> None:
        """Know an account (id defaults to its login name) so it can log in and be named."""
        await self.update_agent(merchant, agent, (), agent_id)

    async def update_agent(
        self, merchant: str, agent: Agent, groups: Sequence[Group] = (), agent_id: str | None = None
    ) -> None:
        """Take an account's changes at once (an admin's edit), not at its next login.

        Its profile is replaced; an agent the queue knows, online or not, moves to its new
        memberships: offers from a group it left are withdrawn, a group it joined offers to it.
        ``groups`` (definitions of the agent's groups) are configured first if the queue lacks them.
        """
        await self._submit("account", merchant, agent, tuple(groups), agent_id or agent.account)

    # -- Handoff (the runtime) -----------------------------------------------------------------

    async def enqueue(self, session_id: str, merchant: str, group: str, priority: int) -> None:
        await self._submit("enqueue", session_id, merchant, group, priority)

    async def restore(self, held: QueueHold) -> None:
        """After a restart: the session is in ``held.agent_id``'s service again, or waits again
        (since ``held.waiting_since``). When the queue knows no such account of the merchant (it
        was deleted meanwhile), the session waits instead, so another agent takes it. A session
        the queue already has (another worker restored it) stays as it is."""
        if self.dispatcher.session(held.session_id) is None:  # else: a command that does nothing
            await self._submit("restore", held)

    async def leave(self, session_id: str, reason: EndReason | None = None) -> None:
        """The runtime asked, so the session itself hears nothing back; its agents do, with
        who closed it (:func:`closed_by`)."""
        await self._submit("leave", session_id, closed_by(reason), quiet=session_id)

    # -- agents --------------------------------------------------------------------------------

    async def login(
        self, agent_id: str, status: AgentStatus | None = None, reason: str | None = None
    ) -> None:
        """Bring a registered agent online, in its default status unless told otherwise."""
        await self._submit("login", agent_id, status, reason)

    async def logout(self, agent_id: str) -> None:
        await self._submit("logout", agent_id)

    async def set_status(
        self, agent_id: str, status: AgentStatus, reason: str | None = None
    ) -> None:
        await self._submit("set_status", agent_id, status, reason)

    def reason(self, agent_id: str) -> str | None:
        """The reason given with the agent's current status, if any."""
        return self.state.reasons.get(agent_id)

    def nickname(self, agent_id: str) -> str:
        """The nickname of an account the queue knows ("" for one it does not)."""
        profile = self.state.profiles.get(agent_id)
        return profile.nickname if profile else ""

    async def attach(self, agent_id: str) -> None:
        """The agent has a websocket open on this worker."""
        if self.worker not in self.state.present.get(agent_id, ()):
            await self._submit("present", agent_id, self.worker)

    async def detach(self, agent_id: str) -> None:
        """This worker holds no websocket of the agent any more: logged out when no worker
        holds one."""
        await self._submit("absent", agent_id, self.worker)

    async def worker_gone(self, worker: str) -> None:
        """Another worker stopped without a goodbye: its agents lost their websockets."""
        await self._submit("worker_gone", worker)

    def connected(self, agent_id: str) -> bool:
        """The agent has a websocket open on some worker."""
        return self.state.connected(agent_id)

    async def accept(self, agent_id: str, session_id: str) -> None:
        await self._submit("accept", agent_id, session_id)

    async def decline(self, agent_id: str, session_id: str) -> None:
        await self._submit("decline", agent_id, session_id)

    async def end(
        self, session_id: str, agent_id: str | None = None, closed_by: ClosedBy = "seat"
    ) -> None:
        """End the human service; the visitor's flow goes on at the transfer node's ``next``."""
        await self._submit("end", session_id, agent_id, closed_by)

    async def transfer(
        self, session_id: str, *, to_group: str | None = None, to_agent: str | None = None
    ) -> None:
        await self._submit("transfer", session_id, to_group, to_agent)

    async def invite(self, session_id: str, agent_id: str) -> None:
        await self._submit("invite", session_id, agent_id)

    async def leave_collaboration(self, session_id: str, agent_id: str) -> None:
        await self._submit("leave_collaboration", session_id, agent_id)

    # -- time ----------------------------------------------------------------------------------

    async def tick(self) -> None:
        """Expire rung-out offers; the server may call it, or let :meth:`run` do it. Through a
        log, only when an offer is due (every worker ticks, and an idle tick is a no-op)."""
        if self._log is not None:
            deadline = self.dispatcher.next_deadline()
            if deadline is None or deadline > self._now():
                return
        await self._submit("tick")

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

    async def _emit(
        self,
        decisions: Sequence[Decision],
        quiet: str | None = None,
        *,
        sessions: bool = True,
        agents: bool = True,
    ) -> None:
        """Queue what the decisions mean, then deliver in order. ``sessions``: the issuer's
        part (the observers and the session events, except to ``quiet``); ``agents``: the
        frames for the websockets on this worker. Embedded, one call does both; through a log,
        the issuer does the first and every worker the second (:meth:`replicated`)."""
        for decision in decisions:
            if sessions:
                for observe in self._observers:
                    observe(decision)
            for delivery in self._translate(decision):
                kind, target, _ = delivery
                if agents if kind == "agent" else (sessions and target != quiet):
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
        profile = self.state.profiles.get(agent_id)
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
        if isinstance(d, Invited | CollaboratorLeft):
            return self._serving(d)
        return []

    def _serving(self, d: Invited | CollaboratorLeft) -> list[_Delivery]:
        """An invited agent gets the conversation; the agents already in it (or who stay after
        one left: the leaver asked for it) are told who serves it now."""
        sid = d.session_id
        view = self.state.dispatcher.session(sid)
        agents = list(view.agents) if view is not None else []
        frame = _frame("serving", sid, agents=agents)
        out: list[_Delivery] = [("agent", agent, frame) for agent in agents if agent != d.agent_id]
        if isinstance(d, Invited):
            out.insert(0, ("agent", d.agent_id, _frame("assigned", sid, invited=True)))
        return out


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
