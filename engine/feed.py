"""Live output feed: wakes the readers of a session when its output log grows.

The store's output log is the truth; the feed says "look again" and, in-process, hands over the
frames it was told of, so a reader that is up to date sends them without reading the store back.
A reader uses handed frames only when they continue exactly from the last seq it sent, and reads
the store otherwise (replay, a coalesced burst, frames another worker saved, an overflow), so it
never gaps or repeats. A Redis pub/sub twin carries the wake-up across workers.

Live-only frames (an agent's ``typing`` notice) are not in the log: :meth:`OutputFeed.push` hands
them to the subscribers that asked for them (``subscribe(..., live=True)``); a reader that is not
connected at that moment simply never sees them, which is what "live only" means.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from chatflow.engine.frames import Frame


class Subscription:
    """One reader's wake-up signal for one session."""

    MAX_LIVE = 100
    """Live frames kept for a reader that does not drain them (older ones are dropped)."""
    MAX_SAVED = 500
    """Saved frames held for a reader; past that it is told to read the store instead."""

    def __init__(self, live: bool = False) -> None:
        self._event = asyncio.Event()
        self.closed = False
        self.live = live
        self._live: deque[dict[str, Any]] = deque(maxlen=self.MAX_LIVE)
        self._saved: list[Frame] = []

    def notify(self) -> None:
        self._event.set()

    def saved(self, frames: Sequence[Frame]) -> None:
        """Frames just saved to the log, in seq order (dropped on overflow: the store has them)."""
        if len(self._saved) + len(frames) > self.MAX_SAVED:
            self._saved.clear()
        else:
            self._saved.extend(frames)
        self._event.set()

    def take_saved(self, after: int) -> list[Frame] | None:
        """The handed frames if they continue exactly from ``after``; None: read the store."""
        frames, self._saved = self._saved, []
        follows = bool(frames) and frames[0].seq == after + 1
        if follows and all(b.seq == a.seq + 1 for a, b in itertools.pairwise(frames)):
            return frames
        return None

    def push(self, frame: dict[str, Any]) -> None:
        """A live-only frame for this reader (ignored unless it subscribed with ``live``)."""
        if self.live:
            self._live.append(frame)
            self._event.set()

    def take_live(self) -> list[dict[str, Any]]:
        """The live-only frames pushed since the last call, oldest first."""
        frames = list(self._live)
        self._live.clear()
        return frames

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait for new output; True when woken, False on timeout."""
        try:
            async with asyncio.timeout(timeout):  # no extra task per wait, unlike wait_for
                await self._event.wait()
        except TimeoutError:
            return False
        self._event.clear()
        return True


class OutputFeed:
    """An ``OutputListener`` for the runtime that wakes the session's subscribers."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = {}

    def __call__(self, session_id: str, frames: Sequence[Frame]) -> None:
        for sub in self._subscribers.get(session_id, ()):
            sub.saved(frames)

    def notify(self, session_id: str) -> None:
        for sub in self._subscribers.get(session_id, ()):
            sub.notify()

    def push(self, session_id: str, frame: dict[str, Any]) -> None:
        """Send a live-only frame (never logged) to the session's live readers."""
        for sub in self._subscribers.get(session_id, ()):
            sub.push(frame)

    @contextmanager
    def subscribe(self, session_id: str, *, live: bool = False) -> Iterator[Subscription]:
        """Wake-ups for the session; with ``live``, also its live-only frames."""
        sub = Subscription(live)
        self._subscribers.setdefault(session_id, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._subscribers.get(session_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[session_id]

    def close_all(self) -> None:
        """Wake every reader (shutdown): each sees ``closed`` and finishes."""
        for subs in self._subscribers.values():
            for sub in subs:
                sub.closed = True
                sub.notify()

    def subscribers(self, session_id: str) -> int:
        return len(self._subscribers.get(session_id, ()))
