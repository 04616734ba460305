"""Live output feed: wakes the readers of a session when its output log grows.

The store's output log is the truth; the feed only says "look again". A reader replays
``seq > after`` from the store, then waits on the feed and reads the store again, so a burst of
notifications that coalesces, or one that arrives before the reader subscribed, never causes a
gap or a duplicate. In-process here; a Redis pub/sub twin carries the same signal across workers.

Live-only frames (an agent's ``typing`` notice) are not in the log: :meth:`OutputFeed.push` hands
them to the subscribers that asked for them (``subscribe(..., live=True)``); a reader that is not
connected at that moment simply never sees them, which is what "live only" means.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from chatflow.engine.frames import Frame


class Subscription:
    """One reader's wake-up signal for one session."""

    MAX_LIVE = 100
    """Live frames kept for a reader that does not drain them (older ones are dropped)."""

    def __init__(self, live: bool = False) -> None:
        self._event = asyncio.Event()
        self.closed = False
        self.live = live
        self._live: deque[dict[str, Any]] = deque(maxlen=self.MAX_LIVE)

    def notify(self) -> None:
        self._event.set()

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
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        self._event.clear()
        return True


class OutputFeed:
    """An ``OutputListener`` for the runtime that wakes the session's subscribers."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = {}

    def __call__(self, session_id: str, frames: Sequence[Frame]) -> None:
        self.notify(session_id)

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
