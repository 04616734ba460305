"""The admin API's window on live conversations: close, transfer, and the queue dashboard.

Records are rows in the database, but closing or transferring a conversation that is still running
goes through the runtime and the dispatcher. The admin routes only see this small protocol; the
composition root sets the real one on ``app.state.live``. :class:`MemoryLive` is its in-memory
twin: it records every call, can be told to refuse some, and serves a fixed queue snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from fastapi import Request

from chatflow.admin_api.problems import ApiProblem


class LiveError(Exception):
    """A live action was refused; ``code`` is machine-readable (``not_live``, ``no_agents``...)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class AgentState:
    account: str
    status: str
    """free, busy, rest, arrange, not_ready or offline."""
    groups: tuple[str, ...] = ()
    sessions: int = 0
    """Conversations it is serving now."""


@dataclass(frozen=True)
class Ringing:
    """A queued visitor offered to an agent that has not accepted yet (it still waits)."""

    session_id: str
    group: str
    agent: str
    """The account it rings for."""


@dataclass(frozen=True)
class QueueSnapshot:
    """The live queue of one merchant: visitors waiting per group (ringing ones included, and
    listed in ``ringing`` with their agent), and the agents."""

    waiting: dict[str, int] = field(default_factory=dict)
    longest_wait_seconds: dict[str, float] = field(default_factory=dict)
    agents: tuple[AgentState, ...] = ()
    ringing: tuple[Ringing, ...] = ()


class LiveSessions(Protocol):
    """What the admin API asks of the runtime; every method raises :class:`LiveError` to refuse."""

    async def close(self, merchant_id: str, session_id: str, *, by: str) -> None:
        """End the conversation as an admin action (``closed_by: admin``); ``by`` is the account."""
        ...

    async def transfer(
        self, merchant_id: str, session_id: str, *, group: str | None, agent: str | None, by: str
    ) -> None:
        """Move the conversation to another group's queue or to one agent."""
        ...

    async def snapshot(self, merchant_id: str) -> QueueSnapshot:
        """The merchant's live queue now."""
        ...


def live_sessions(request: Request) -> LiveSessions:
    """Route dependency: the live protocol, or 503 when this deployment has not wired one."""
    live: LiveSessions | None = getattr(request.app.state, "live", None)
    if live is None:
        raise ApiProblem(503, "live_unavailable", "live conversations are not available here")
    return live


@dataclass
class MemoryLive:
    """The in-memory twin: records calls; ``refuse[session_id] = LiveError(...)`` makes one fail."""

    snapshots: dict[str, QueueSnapshot] = field(default_factory=dict)
    refuse: dict[str, LiveError] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)

    async def close(self, merchant_id: str, session_id: str, *, by: str) -> None:
        self._maybe_refuse(session_id)
        self.calls.append(("close", merchant_id, session_id, by))

    async def transfer(
        self, merchant_id: str, session_id: str, *, group: str | None, agent: str | None, by: str
    ) -> None:
        self._maybe_refuse(session_id)
        target = f"group:{group}" if group else f"agent:{agent}"
        self.calls.append(("transfer", merchant_id, session_id, target, by))

    async def snapshot(self, merchant_id: str) -> QueueSnapshot:
        self.calls.append(("snapshot", merchant_id))
        return self.snapshots.get(merchant_id, QueueSnapshot())

    def _maybe_refuse(self, session_id: str) -> None:
        if session_id in self.refuse:
            raise self.refuse[session_id]
