"""Events: everything that happens to a session, applied one at a time and exactly once.

Each event carries an idempotency ``key``; the runtime ignores a key it has already applied to
the session. Channels, the dispatcher, timers and the HTTP executor create events; nodes receive
them in :meth:`~chatflow.engine.node.NodeBase.on_event`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from chatflow.engine.effects import EndReason

ClosedBy = Literal["client", "seat", "admin", "timer"]
"""Who closed a human service (seed TCCC ``closeBy``)."""


@dataclass(frozen=True)
class Event:
    key: str
    """Idempotency key: an event whose key the session has seen is ignored."""


@dataclass(frozen=True)
class VisitorText(Event):
    """The visitor typed text."""

    text: str
    client_id: str = ""
    """The client message id (echoed back so the client knows it arrived)."""


@dataclass(frozen=True)
class Choice(Event):
    """The visitor clicked an option button (menu, form options); ``value`` is the option label."""

    value: str
    client_id: str = ""
    """The client message id (echoed back so the client knows it arrived)."""


@dataclass(frozen=True)
class Rating(Event):
    """The visitor answered a survey."""

    score: int
    client_id: str = ""
    """The client message id (echoed back so the client knows it arrived)."""


@dataclass(frozen=True)
class VisitorImage(Event):
    """The visitor sent an image, already stored by the channel; ``url`` is where it is served.

    The runtime echoes it (``message {from: visitor, image, id?}``) and forwards it to the agents
    serving the session; nodes do not see it.
    """

    url: str
    client_id: str = ""
    """The client message id (echoed back so the client knows it arrived)."""


@dataclass(frozen=True)
class VisitorEnded(Event):
    """The visitor closed the conversation."""

    client_id: str = ""
    """The client message id of the ``end`` frame, echoed in the ``ended`` frame."""


@dataclass(frozen=True)
class TimerFired(Event):
    """A timer the session started has come due."""

    name: str


@dataclass(frozen=True)
class HttpResult(Event):
    """The outcome of an HTTP call a node asked for."""

    status: int | None
    """HTTP status, None when no response arrived."""
    body: Any = None
    """Parsed JSON body, None when there was none or it was not JSON."""
    error: str | None = None
    """Why the call failed (timeout, refused, not JSON, status 500, ...); None on success."""


@dataclass(frozen=True)
class QueuePosition(Event):
    """The session's place in its group's queue changed; ``ahead`` visitors wait before it."""

    ahead: int


@dataclass(frozen=True)
class NoAgents(Event):
    """Nobody in the group can take the session (no agent online)."""


@dataclass(frozen=True)
class AgentJoined(Event):
    """An agent accepted the session."""

    agent_id: str
    staff_no: str = ""
    nickname: str = ""


@dataclass(frozen=True)
class AgentMessage(Event):
    """An agent sent text to the visitor. ``nickname`` and ``staff_no`` are the agent's public
    name and staff number, shown to the visitor with the line (which agent of several wrote it)."""

    agent_id: str
    text: str
    nickname: str = ""
    staff_no: str = ""


@dataclass(frozen=True)
class AgentImage(Event):
    """An agent sent an image to the visitor (``message {from: agent, image, id?}``)."""

    agent_id: str
    url: str
    client_id: str = ""
    """The agent's client message id, echoed in the frame."""
    nickname: str = ""
    staff_no: str = ""
    """The agent's public name and staff number, as for :class:`AgentMessage`."""


@dataclass(frozen=True)
class AgentTransferred(Event):
    """The agents serving the session handed it on: to a group's queue (``to_group``) or to
    ring one agent (``to_agent``). The visitor waits with the queue until an agent joins."""

    to_group: str | None = None
    to_agent: str | None = None


@dataclass(frozen=True)
class AgentEnded(Event):
    """The human service ended; the flow continues at the transfer node's ``next``."""

    closed_by: ClosedBy = "seat"


@dataclass(frozen=True)
class Start(Event):
    """The session was created; the runtime enters the flow's start node."""

    data: dict[str, Any] = field(default_factory=dict)
    opening: VisitorText | Choice | None = None
    """The visitor message that opened the conversation (an IM user writing first): recorded as
    the visitor's line before the flow's first words and kept in ``sys.last_input``, but never
    an answer to a node; its key counts as applied, so a redelivery of it is ignored."""


@dataclass(frozen=True)
class SessionClosed(Event):
    """The session was closed from outside the flow (an administrator, an expiry job).

    The runtime ends it at once with ``reason`` and takes it out of the queue if it was there.
    """

    reason: EndReason = "admin"
