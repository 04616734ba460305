"""Everything the queue knows, changed only by commands: what workers replicate.

:class:`QueueState` is the dispatcher plus what the queue keeps beside it (agent profiles,
which workers hold each agent's websockets, the last time it was told). It changes only
through :meth:`QueueState.apply` of a named command with its arguments and the time it was
issued, and it reads no clock and does no I/O, so two copies given the same commands in the
same order make the same decisions and end in the same state. That is what lets every worker of
a scaled-out deployment keep its own copy in step with the others (``log_redis``), and what
keeps the embedded queue exactly as it was: the embedded service applies each command at once.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chatflow.engine.config import Agent, AgentStatus, Group
from chatflow.engine.events import ClosedBy
from chatflow.engine.handoff import QueueHold
from chatflow.engine.routing._decisions import Decision
from chatflow.engine.routing._dispatcher import Dispatcher
from chatflow.engine.routing._errors import UnknownAgent, UnknownGroup


@dataclass(frozen=True)
class AgentProfile:
    """What the queue needs to know of an agent account beyond the dispatcher's state."""

    merchant: str
    staff_no: str
    nickname: str
    groups: dict[str, int]
    default_status: AgentStatus = "free"


@dataclass
class QueueState:
    """See the module docstring. Commands are the ``_op_*`` methods, named without the prefix."""

    dispatcher: Dispatcher = field(default_factory=Dispatcher)
    profiles: dict[str, AgentProfile] = field(default_factory=dict)
    present: dict[str, list[str]] = field(default_factory=dict)
    """Agent id -> the workers holding its websockets (an agent absent everywhere logs out)."""
    reasons: dict[str, str] = field(default_factory=dict)
    """Agent id -> the reason given with its current status (``rest``: lunch...)."""
    resume: dict[str, tuple[AgentStatus, str | None]] = field(default_factory=dict)
    """Agent id -> the status (and reason) it had when its worker went away: its next login
    without a status of its own takes it back, so a restart does not turn a resting agent free."""
    now: float = 0.0
    """The latest command's time: commands never take the queue's time backwards."""
    applied: int = 0
    """Commands applied so far (the same count on every copy at the same command)."""

    def apply(self, op: str, args: Sequence[Any], now: float) -> list[Decision]:
        """Apply one command; raises what the operation raises (a ``RoutingError``...)."""
        handler = _OPS.get(op)
        if handler is None:
            raise ValueError(f"unknown queue command {op!r}")
        self.applied += 1
        self.now = max(self.now, now)
        return handler(self, self.now, *args)

    def connected(self, agent_id: str) -> bool:
        """The agent has a websocket open on some worker."""
        return bool(self.present.get(agent_id))

    # -- configuration -------------------------------------------------------------------------

    def _op_configure_group(self, now: float, merchant: str, group: Group) -> list[Decision]:
        return self.dispatcher.configure_group(merchant, group, now)

    def _op_account(
        self, now: float, merchant: str, agent: Agent, groups: Sequence[Group], agent_id: str
    ) -> list[Decision]:
        """Know an account as last saved: an agent the dispatcher knows, online or not, moves
        to its new memberships at once (``groups`` it lacks are configured first)."""
        out: list[Decision] = []
        for group in groups:
            try:
                self.dispatcher.group(merchant, group.id)
            except UnknownGroup:
                out += self.dispatcher.configure_group(merchant, group, now)
        view = self.dispatcher.agent(agent_id)
        if view is not None and dict(view.groups) != agent.groups:
            out += self.dispatcher.set_agent_groups(agent_id, agent.groups, now)
        self.profiles[agent_id] = AgentProfile(
            merchant, agent.staff_no, agent.nickname, dict(agent.groups), agent.default_status
        )
        return out

    # -- the runtime's hand-off ----------------------------------------------------------------

    def _op_enqueue(
        self, now: float, session_id: str, merchant: str, group: str, priority: int
    ) -> list[Decision]:
        return self.dispatcher.enqueue(session_id, merchant, group, priority, now)

    def _op_restore(self, now: float, held: QueueHold) -> list[Decision]:
        """After a restart: ``held.agent_id`` serves the session again, or it waits again
        (since ``held.waiting_since``); the session waits when the queue knows no such account
        of the merchant. A session the queue already has is left as it is (every worker that
        starts restores what it finds in the store)."""
        h = held
        if self.dispatcher.session(h.session_id) is not None:
            return []
        profile = self.profiles.get(h.agent_id or "")
        if h.agent_id and profile is not None and profile.merchant == h.merchant:
            return self.dispatcher.restore(
                h.session_id, h.merchant, h.group, h.priority, h.agent_id, now
            )
        since = h.waiting_since.timestamp() if h.waiting_since else None
        return self.dispatcher.enqueue(h.session_id, h.merchant, h.group, h.priority, now, since)

    def _op_leave(self, now: float, session_id: str, closed_by: ClosedBy) -> list[Decision]:
        return self.dispatcher.leave(session_id, now, closed_by)

    # -- agents --------------------------------------------------------------------------------

    def _op_login(
        self, now: float, agent_id: str, status: AgentStatus | None, reason: str | None
    ) -> list[Decision]:
        profile = self.profiles.get(agent_id)
        if profile is None:
            raise UnknownAgent(agent_id)
        resumed = self.resume.pop(agent_id, None)
        if status is None and resumed is not None:
            status, reason = resumed
        status = status or profile.default_status
        out = self.dispatcher.agent_login(agent_id, profile.merchant, profile.groups, now, status)
        self._reason(agent_id, status, reason)
        return out

    def _op_logout(self, now: float, agent_id: str) -> list[Decision]:
        self.reasons.pop(agent_id, None)
        self.resume.pop(agent_id, None)
        return self.dispatcher.agent_logout(agent_id, now)

    def _op_set_status(
        self, now: float, agent_id: str, status: AgentStatus, reason: str | None
    ) -> list[Decision]:
        out = self.dispatcher.set_agent_status(agent_id, status, now)
        self._reason(agent_id, status, reason)
        return out

    def _reason(self, agent_id: str, status: AgentStatus, reason: str | None) -> None:
        if reason and status not in ("free", "offline"):
            self.reasons[agent_id] = reason
        else:
            self.reasons.pop(agent_id, None)

    def _op_present(self, now: float, agent_id: str, worker: str) -> list[Decision]:
        workers = self.present.setdefault(agent_id, [])
        if worker not in workers:
            workers.append(worker)
        return []

    def _op_absent(self, now: float, agent_id: str, worker: str) -> list[Decision]:
        """The worker holds no websocket of the agent any more (after its grace period): an
        agent left with none anywhere logs out."""
        workers = self.present.get(agent_id, [])
        if worker in workers:
            workers.remove(worker)
        if workers:
            return []
        self.present.pop(agent_id, None)
        view = self.dispatcher.agent(agent_id)
        if view is None or view.status == "offline":
            return []
        return self._op_logout(now, agent_id)

    def _op_worker_gone(self, now: float, worker: str) -> list[Decision]:
        """A worker stopped (or the process restarted): its agents' websockets are gone with
        it. An agent left with none logs out, keeping its status for its next login."""
        out: list[Decision] = []
        for agent_id in [a for a, workers in self.present.items() if worker in workers]:
            view = self.dispatcher.agent(agent_id)
            kept = (view.status, self.reasons.get(agent_id)) if view is not None else None
            out += self._op_absent(now, agent_id, worker)
            if kept is not None and kept[0] != "offline" and not self.connected(agent_id):
                self.resume[agent_id] = kept
        return out

    def workers(self) -> list[str]:
        """Every worker holding some agent's websocket, in a stable order."""
        return sorted({w for workers in self.present.values() for w in workers})

    def _op_accept(self, now: float, agent_id: str, session_id: str) -> list[Decision]:
        return self.dispatcher.accept(agent_id, session_id, now)

    def _op_decline(self, now: float, agent_id: str, session_id: str) -> list[Decision]:
        return self.dispatcher.decline(agent_id, session_id, now)

    def _op_end(
        self, now: float, session_id: str, agent_id: str | None, closed_by: ClosedBy
    ) -> list[Decision]:
        return self.dispatcher.end_service(session_id, now, closed_by, agent_id)

    def _op_transfer(
        self, now: float, session_id: str, to_group: str | None, to_agent: str | None
    ) -> list[Decision]:
        return self.dispatcher.transfer(session_id, now, to_group=to_group, to_agent=to_agent)

    def _op_invite(self, now: float, session_id: str, agent_id: str) -> list[Decision]:
        return self.dispatcher.invite(session_id, agent_id, now)

    def _op_leave_collaboration(self, now: float, session_id: str, agent_id: str) -> list[Decision]:
        return self.dispatcher.leave_collaboration(session_id, agent_id, now)

    def _op_tick(self, now: float) -> list[Decision]:
        return self.dispatcher.tick(now)


_OPS: dict[str, Callable[..., list[Decision]]] = {
    name.removeprefix("_op_"): method
    for name, method in vars(QueueState).items()
    if name.startswith("_op_")
}
"""Command name -> its method (a fixed table: a command names nothing else)."""

FORMAT = 1
"""The pickled state's format: a snapshot of another format is not loaded (``log_redis`` keys
carry it; an embedded restart rebuilds the queue from the sessions instead)."""


def dump(state: QueueState) -> bytes:
    """The state as a snapshot (its format first)."""
    return b"chatflow-queue:%d\n" % FORMAT + pickle.dumps(state)


def load(data: bytes) -> QueueState | None:
    """A snapshot made by :func:`dump`; None when it is of another format or unreadable.
    Snapshots come from the deployment's own files or Redis, never from clients."""
    head, _, body = data.partition(b"\n")
    if head != b"chatflow-queue:%d" % FORMAT:
        return None
    try:
        state = pickle.loads(body)  # the deployment's own data (docstring)
    except Exception:
        return None
    return state if isinstance(state, QueueState) else None
