"""Live output feed: wakes the readers of a session when its output log grows.

The store's output log is the truth; the feed only says "look again". A reader replays
``seq > after`` from the store, then waits on the feed and reads the store again, so a burst of
notifications that coalesces, or one that arrives before the reader subscribed, never causes a
gap or a duplicate. In-process here; a Redis pub/sub twin carries the same signal across workers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from chatflow.engine.frames import Frame


class Subscription:
    """One reader's wake-up signal for one session."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.closed = False

    def notify(self) -> None:
        self._event.set()

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

    @contextmanager
    def subscribe(self, session_id: str) -> Iterator[Subscription]:
        sub = Subscription()
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
