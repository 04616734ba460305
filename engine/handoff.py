"""The seam between the interpreter and the human-agent queue.

The runtime hands a session to agents through :class:`Handoff` when a ``transfer`` node emits
``Enqueue``; the dispatcher (``engine.routing``) implements it and reports back through
:class:`EventSink` with ordinary events (``QueuePosition``, ``NoAgents``, ``AgentJoined``,
``AgentMessage``, ``AgentEnded``), which the runtime applies like any other event.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from chatflow.engine.events import Event


class Handoff(Protocol):
    """What the runtime asks of the queue."""

    async def enqueue(self, session_id: str, merchant: str, group: str, priority: int) -> None:
        """Queue the session for the merchant's group; position updates follow as events."""
        ...

    async def leave(self, session_id: str) -> None:
        """Take the session out of the queue or end its human service (visitor left, timeout)."""
        ...


class EventSink(Protocol):
    """Where the queue delivers events for a session (the runtime's serialised entry point)."""

    async def deliver(self, session_id: str, event: Event) -> None: ...


class AgentRelay(Protocol):
    """Where the runtime forwards what the visitor says while an agent serves the session."""

    async def to_agents(self, session_id: str, text: str) -> None: ...


@runtime_checkable
class ImageRelay(Protocol):
    """An :class:`AgentRelay` that can forward images too (the runtime checks for it)."""

    async def image_to_agents(self, session_id: str, url: str) -> None: ...
