"""Rate limits: a sliding-window counter per key (login per account and per IP, session creation
per IP, messages per session, the editor's tries per account). The in-memory limiter serves one
process; a Redis one shares it.

A hit may cost more than one (``hit(key, cost=n)``): the flow editor's Try charges the steps a
try plays, all or nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Limit:
    """At most ``count`` hits per ``seconds``."""

    count: int
    seconds: float


class RateLimiter(Protocol):
    def hit(self, key: str, cost: int = 1) -> float:
        """Count ``cost`` hits at once; return 0 when allowed (all counted), else the seconds
        until that many are allowed (none counted). A cost over the limit's count is a
        ``ValueError``: no wait would let it through."""
        ...

    def reset(self, key: str) -> None:
        """Forget the hits of ``key`` (e.g. after a successful login)."""
        ...

    def forgive(self, key: str) -> None:
        """Take back the latest hit of ``key`` (a try that turned out not to count; one of a
        costlier hit)."""
        ...


def check_cost(limit: Limit, cost: int) -> None:
    if not 1 <= cost <= limit.count:
        raise ValueError(f"a hit costs 1 to {limit.count} (the limit's count), not {cost}")


class MemoryRateLimiter:
    """Sliding window per key, in process memory; keys with no recent hits are dropped."""

    def __init__(self, limit: Limit, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._calls = 0

    def hit(self, key: str, cost: int = 1) -> float:
        check_cost(self.limit, cost)
        now = self._clock()
        window = self._hits.setdefault(key, deque())
        self._expire(window, now)
        self._calls += 1
        if self._calls % 1024 == 0:
            self._sweep(now)
        over = len(window) + cost - self.limit.count
        if over > 0:  # the ``over`` oldest hits must leave the window first
            return max(window[over - 1] + self.limit.seconds - now, 0.001)
        window.extend([now] * cost)
        return 0.0

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)

    def forgive(self, key: str) -> None:
        window = self._hits.get(key)
        if window:
            window.pop()

    def _expire(self, window: deque[float], now: float) -> None:
        while window and window[0] <= now - self.limit.seconds:
            window.popleft()

    def _sweep(self, now: float) -> None:
        for key in list(self._hits):
            self._expire(self._hits[key], now)
            if not self._hits[key]:
                del self._hits[key]
