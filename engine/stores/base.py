"""The session store protocol: sessions with compare-and-set, their output logs, timers, flows.

The runtime is the only writer of sessions. One :meth:`SessionStore.save` writes, atomically,
the session (only if it still has ``expected_version``), the frames it produced (the output log)
and the session's pending timers (the due-time index). The shape is chosen for Redis (a hash per
session, a list per log, one sorted set of due timers, a Lua compare-and-set) as much as for
SQL; ``memory.py`` is the in-memory twin and ``sqlite.py`` the embedded store. The contract
tests in ``tests/unit/engine/stores/test_contract.py`` run against every implementation.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from chatflow.engine.clock import as_utc
from chatflow.engine.frames import Frame
from chatflow.engine.session import Session, SessionStatus

T = TypeVar("T")

MAX_READ = 1_000
"""Most frames one :meth:`SessionStore.read_outputs` call returns."""

FORGET_BATCH = 500
"""Most sessions one retention step lists and forgets (one short write each time)."""


@dataclass(frozen=True, order=True)
class DueTimer:
    """An entry of the due-time index: the timer ``name`` of ``session_id`` is due at ``due``."""

    due: datetime
    session_id: str
    name: str
    key: str
    """The ``TimerFired`` idempotency key of this timer instance (``timer:<id>``)."""


async def outcome_of(write: Awaitable[T]) -> T:
    """Await a store write to its outcome even if the caller is cancelled meanwhile.

    A write that was sent may land, and whoever saved must learn whether it did (the runtime
    tells listeners and performs the effects of every saved event). A cancellation that arrives
    meanwhile does not hide the outcome: it is raised again at the caller's next ``await``.
    """
    work = asyncio.ensure_future(write)
    task = asyncio.current_task()
    interrupted = False
    try:
        while True:
            try:
                return await asyncio.shield(work)
            except asyncio.CancelledError:
                if work.cancelled() or task is None:
                    raise
                interrupted = True
                task.uncancel()
    finally:
        if interrupted and task is not None:
            task.cancel()


def saved_at(session: Session) -> float:
    """When ``session`` was last changed, in UNIX seconds: its ``updated_at`` (the runtime's
    clock), or now for a session that has none. What :meth:`SessionStore.ended_before` reads."""
    if session.updated_at is None:
        return time.time()
    return as_utc(session.updated_at).timestamp()


def content_version(yaml_text: str) -> str:
    """The version of a flow text: the first 16 hex digits of its SHA-256 (same text, same version)."""
    return hashlib.sha256(yaml_text.encode("utf-8")).hexdigest()[:16]


class SessionStore(Protocol):
    """Where sessions, their output logs, their timers and the published flow versions live."""

    async def create(self, session: Session, outputs: Sequence[Frame] = ()) -> None:
        """Store a new session with its first frames; :class:`StoreConflict` if the id exists."""
        ...

    async def load(self, session_id: str) -> Session | None:
        """A fresh copy of the session (changing it changes nothing stored), or None."""
        ...

    async def save(
        self, session: Session, expected_version: int, outputs: Sequence[Frame] = ()
    ) -> None:
        """Write ``session`` if the stored version is still ``expected_version``, else raise
        :class:`StoreConflict` and write nothing.

        ``session.version`` must be greater than ``expected_version`` (the caller bumps it).
        In the same atomic write: ``outputs`` are appended to the log and the due-time index is
        replaced by ``session.timers``.
        """
        ...

    async def read_outputs(
        self, session_id: str, after_seq: int = 0, limit: int = MAX_READ
    ) -> list[Frame]:
        """Frames with ``seq > after_seq``, oldest first, at most ``limit``; an agent's line
        with its ``author`` (kept beside the frame's text)."""
        ...

    async def due_timers(self, now: datetime, limit: int = 100) -> list[DueTimer]:
        """Pending timers with ``due <= now``, earliest first, at most ``limit``."""
        ...

    async def find_sessions(self, status: SessionStatus, limit: int = 1_000) -> list[str]:
        """Ids of sessions with this status (recovery after a restart, admin listings)."""
        ...

    async def ended_before(self, cutoff: datetime, limit: int = FORGET_BATCH) -> list[str]:
        """Ids of ended sessions last saved before ``cutoff`` (their ``updated_at``), oldest
        first, at most ``limit``: what retention forgets."""
        ...

    async def inactive_before(self, cutoff: datetime, limit: int = FORGET_BATCH) -> list[str]:
        """Ids of sessions not ended (with the bot, queued or with an agent) last saved before
        ``cutoff``, oldest first, at most ``limit``: what retention closes as abandoned."""
        ...

    async def forget(self, session_ids: Sequence[str]) -> int:
        """Delete these sessions with their output logs, keys and timers, each only if it is
        ended (a live one is left as it is); return how many were deleted. A forgotten
        session loads as None, as one that never was."""
        ...

    async def put_flow_version(self, flow_id: str, yaml_text: str) -> str:
        """Store a flow text, make it the flow's latest, and return its content version."""
        ...

    async def get_flow_version(self, flow_id: str, version: str) -> str | None:
        """The flow text of that version, or None."""
        ...

    async def latest_flow_version(self, flow_id: str) -> str | None:
        """The version new sessions of the flow start on, or None when never published."""
        ...

    async def close(self) -> None:
        """Release connections; the store is not used afterwards."""
        ...
