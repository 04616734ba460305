"""What the dispatcher decided: plain frozen records returned by every operation.

The dispatcher does no I/O; :class:`~chatflow.engine.routing.service.QueueService` turns these
into session events (through the runtime's ``EventSink``) and agent websocket frames. Records
meant for the visitor's session carry ``key``, a deterministic idempotency key, so redelivering
a decision never applies it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chatflow.engine.config import AgentStatus
from chatflow.engine.events import ClosedBy

WithdrawReason = Literal["left", "status", "declined", "rest", "group", "transfer"]
"""Why a ringing offer stopped ringing without being accepted or expiring."""


@dataclass(frozen=True, slots=True)
class Offer:
    """Ring ``agent_id`` for the session until ``expires_at`` (``timeout`` seconds)."""

    session_id: str
    agent_id: str
    group: str
    expires_at: float
    timeout: float


@dataclass(frozen=True, slots=True)
class Assigned:
    """The group auto-accepts: the session is the agent's at once, without ringing."""

    session_id: str
    agent_id: str
    group: str
    key: str


@dataclass(frozen=True, slots=True)
class Accepted:
    """The agent accepted the offer; the human service starts."""

    session_id: str
    agent_id: str
    group: str
    key: str


@dataclass(frozen=True, slots=True)
class PositionChanged:
    """``ahead`` visitors now wait before this session in its group (sent only on change)."""

    session_id: str
    ahead: int
    key: str


@dataclass(frozen=True, slots=True)
class NoAgents:
    """No agent of the session's group is online (at enqueue, or the last one went offline)."""

    session_id: str
    group: str
    key: str


@dataclass(frozen=True, slots=True)
class OfferExpired:
    """The agent let the offer ring out; the session goes on to another agent."""

    session_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferWithdrawn:
    """The offer stopped ringing for ``reason`` (visitor left, agent no longer free, ...)."""

    session_id: str
    agent_id: str
    reason: WithdrawReason


@dataclass(frozen=True, slots=True)
class AgentRested:
    """The agent missed an offer in a ``rest_after_missed`` group and was set to ``rest``."""

    agent_id: str
    session_id: str


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """The agent's status changed on request (login, logout, status change)."""

    agent_id: str
    status: AgentStatus


@dataclass(frozen=True, slots=True)
class Transferred:
    """The session left ``from_agents`` for a group's queue or one agent."""

    session_id: str
    from_agents: tuple[str, ...]
    to_group: str | None
    to_agent: str | None
    key: str


@dataclass(frozen=True, slots=True)
class Invited:
    """``agent_id`` joined the conversation next to the agents already serving it."""

    session_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class CollaboratorLeft:
    """``agent_id`` left a conversation that other agents keep serving."""

    session_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class Ended:
    """The human service ended; ``agents`` served it until then (empty if it never started)."""

    session_id: str
    agents: tuple[str, ...]
    closed_by: ClosedBy
    key: str


Decision = (
    Offer
    | Assigned
    | Accepted
    | PositionChanged
    | NoAgents
    | OfferExpired
    | OfferWithdrawn
    | AgentRested
    | StatusChanged
    | Transferred
    | Invited
    | CollaboratorLeft
    | Ended
)
