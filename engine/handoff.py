"""The seam between the interpreter and the human-agent queue.

The runtime hands a session to agents through :class:`Handoff` when a ``transfer`` node emits
``Enqueue``; the dispatcher (``engine.routing``) implements it and reports back through
:class:`EventSink` with ordinary events (``QueuePosition``, ``NoAgents``, ``AgentJoined``,
``AgentMessage``, ``AgentEnded``), which the runtime applies like any other event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chatflow.engine.effects import EndReason
from chatflow.engine.events import Event


@dataclass(frozen=True)
class QueueHold:
    """What the queue had of a session before a restart, as the session document says."""

    session_id: str
    merchant: str
    group: str
    priority: int
    agent_id: str | None
    """The agent whose service it was in (``queue_agent``); None: it waited."""
    waiting_since: datetime | None
    """When its wait began, if it waited (None for documents older than the field)."""


class Handoff(Protocol):
    """What the runtime asks of the queue."""

    async def enqueue(self, session_id: str, merchant: str, group: str, priority: int) -> None:
        """Queue the session for the merchant's group; position updates follow as events."""
        ...

    async def restore(self, held: QueueHold) -> None:
        """After a restart, take back what the queue had of a session (see :class:`QueueHold`).
        The runtime calls it in the order the sessions first queued."""
        ...

    async def leave(self, session_id: str, reason: EndReason | None = None) -> None:
        """Take the session out of the queue or end its human service. ``reason`` is why the
        session ended (``visitor``, ``idle``, ``admin``...), None when the flow took it out of
        the queue and goes on (the queue timeout, no agents)."""
        ...


class EventSink(Protocol):
    """Where the queue delivers events for a session (the runtime's serialised entry point)."""

    async def deliver(self, session_id: str, event: Event) -> None: ...
