"""The dispatcher's records: groups, agents, sessions and offers, plus read-only views of them.

The per-group indexes are what keeps a decision cheap with thousands of visitors: ``queue`` is a
heap of sessions waiting for an offer, ``agents`` a heap of agents that may take one, ``waiting``
the sorted list positions are read from. Heaps are lazy: an entry whose token or version is no
longer current is dropped when it reaches the top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from heapq import heapify, heappush
from types import MappingProxyType
from typing import Literal

from chatflow.engine.config import AgentStatus

MAX_RINGING = 3
"""Offers ringing at once for one agent (seed FIRST LINE: at most 3 conversations per agent)."""

SessionPhase = Literal["queued", "ringing", "active"]
Routing = Literal["fifo", "priority"]

QueueEntry = tuple[int, int, int, str]
"""(-priority, arrival seq, token, session id) in a group's ``queue`` heap."""
WaitKey = tuple[int, int, str]
"""(-priority, arrival seq, session id) in a group's sorted ``waiting`` list."""
AgentEntry = tuple[int, float, int, int, str]
"""(rank, idle since, agent seq, version, agent id) in a group's ``agents`` heap."""


@dataclass(slots=True, eq=False)
class AgentState:
    id: str
    merchant: str
    seq: int
    groups: dict[str, int]
    """Group id -> the agent's priority in it (1 highest .. 5)."""
    status: AgentStatus
    status_since: float
    idle_since: float
    """Last time the agent became free or was given a session; ``fifo`` prefers the oldest."""
    active: set[str] = field(default_factory=set)
    offers: dict[str, OfferState] = field(default_factory=dict)
    version: int = 0
    """Bumped on every change, which makes older index entries of this agent stale."""

    @property
    def load(self) -> int:
        return len(self.active) + len(self.offers)


@dataclass(slots=True, eq=False)
class OfferState:
    session_id: str
    agent_id: str
    expires_at: float
    directed: bool
    """A transfer to this agent by name, not a pick from the group's queue."""
    token: int


@dataclass(slots=True, eq=False)
class GroupState:
    merchant: str
    id: str
    max_sessions: int
    routing: Routing
    ring_timeout: float
    rest_after_missed: bool
    auto_accept: bool
    members: dict[str, int] = field(default_factory=dict)
    online: int = 0
    """Members whose status is not ``offline``."""
    queue: list[QueueEntry] = field(default_factory=list)
    waiting: list[WaitKey] = field(default_factory=list)
    """Every session of the group still waiting for an agent, ringing ones included, in order."""
    waiting_sessions: list[SessionState] = field(default_factory=list)
    """The same sessions at the same indexes: reporting positions needs no lookups."""
    dirty_from: int | None = None
    """Smallest ``waiting`` index whose position may have changed since the last report."""
    agents: list[AgentEntry] = field(default_factory=list)

    def fits(self, agent: AgentState) -> bool:
        """Whether the agent may get one more offer from this group right now."""
        return (
            agent.status == "free"
            and len(agent.offers) < MAX_RINGING
            and len(agent.active) + len(agent.offers) < self.max_sessions
            and agent.id in self.members
        )

    def entry(self, agent: AgentState) -> AgentEntry:
        rank = self.members[agent.id] if self.routing == "priority" else 0
        return (rank, agent.idle_since, agent.seq, agent.version, agent.id)

    def index(self, agent: AgentState, agents: Mapping[str, AgentState]) -> None:
        """Record the agent's current version if it fits; compact once stale entries pile up."""
        if self.fits(agent):
            heappush(self.agents, self.entry(agent))
            if len(self.agents) > 4 * len(self.members) + 64:
                self.rebuild(agents)

    def rebuild(self, agents: Mapping[str, AgentState]) -> None:
        """Index from scratch: after a rule change (limit, routing) or to drop stale entries."""
        self.agents = [self.entry(a) for aid in self.members if self.fits(a := agents[aid])]
        heapify(self.agents)

    def mark(self, index: int) -> None:
        if self.dirty_from is None or index < self.dirty_from:
            self.dirty_from = index


@dataclass(slots=True, eq=False)
class SessionState:
    id: str
    merchant: str
    group: GroupState
    priority: int
    seq: int
    """Arrival order; kept through transfers, so a transferred visitor is not a new arrival."""
    stem: str
    """``routing:<session>:<ticket>:``, the stem of its idempotency keys; the ticket (arrival
    time and order) keeps keys apart when the same session is queued again later."""
    phase: SessionPhase = "queued"
    offer: OfferState | None = None
    agents: list[str] = field(default_factory=list)
    """Agents serving it; the first is the owner, the others were invited."""
    missed: set[str] = field(default_factory=set)
    """Agents that let it ring out or declined it: asked again only when nobody else can."""
    ahead: int | None = None
    """Last position reported; None when none was (or a new one is due)."""
    in_waiting: bool = False
    waiting_since: float = 0.0
    """When it began waiting in its current group: its arrival, or its transfer; an offer that
    rings out or is withdrawn does not start the wait again."""
    token: int = 0
    notices: int = 0

    @property
    def wait_key(self) -> WaitKey:
        return (-self.priority, self.seq, self.id)


@dataclass(frozen=True, slots=True)
class SessionView:
    """A session as the dispatcher sees it (monitoring, tests)."""

    session_id: str
    merchant: str
    group: str
    priority: int
    phase: SessionPhase
    agents: tuple[str, ...]
    offered_to: str | None
    expires_at: float | None
    ahead: int | None
    missed: frozenset[str]
    waiting_since: float | None = None
    """While it waits (queued or ringing): since when, in its current group."""

    @staticmethod
    def of(s: SessionState) -> SessionView:
        return SessionView(
            s.id,
            s.merchant,
            s.group.id,
            s.priority,
            s.phase,
            tuple(s.agents),
            s.offer.agent_id if s.offer else None,
            s.offer.expires_at if s.offer else None,
            s.ahead,
            frozenset(s.missed),
            s.waiting_since if s.in_waiting else None,
        )


@dataclass(frozen=True, slots=True)
class AgentView:
    """An agent as the dispatcher sees it (monitoring, tests)."""

    agent_id: str
    merchant: str
    groups: Mapping[str, int]
    status: AgentStatus
    status_since: float
    idle_since: float
    active: frozenset[str]
    ringing: frozenset[str]

    @staticmethod
    def of(a: AgentState) -> AgentView:
        return AgentView(
            a.id,
            a.merchant,
            MappingProxyType(dict(a.groups)),
            a.status,
            a.status_since,
            a.idle_since,
            frozenset(a.active),
            frozenset(a.offers),
        )


@dataclass(frozen=True, slots=True)
class GroupView:
    """A group's rules, members and queue (in dispatch order) as the dispatcher sees them."""

    merchant: str
    group: str
    max_sessions: int
    routing: Routing
    ring_timeout: float
    rest_after_missed: bool
    auto_accept: bool
    members: Mapping[str, int]
    online: int
    waiting: tuple[str, ...]

    @staticmethod
    def of(g: GroupState) -> GroupView:
        return GroupView(
            g.merchant,
            g.id,
            g.max_sessions,
            g.routing,
            g.ring_timeout,
            g.rest_after_missed,
            g.auto_accept,
            MappingProxyType(dict(g.members)),
            g.online,
            tuple(key[2] for key in g.waiting),
        )
