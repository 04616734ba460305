"""Rate limits of the flow editor's Try (``POST /flows/{id}/try``), per account.

A try is one request that plays a whole conversation from its start (the panel replays every
step on each action and on each change of the drawing), so its cost is its steps: two sliding
windows per account bound the work a logged-in account, or a stolen token, can ask for. One
counts tries, one the steps they play (each try's ``steps`` and its start). Over either, the
try is refused before anything is checked or played: ``429 throttled`` with ``retry_after``
(and the ``Retry-After`` header), and nothing is counted.

The windows live where the visitor channel's do (:mod:`chatflow.admin_api.scaleout`): in the
process, or in Redis beside them with ``--redis``, so the limits hold across workers. They are
made on first use (``app.state.try_limits``); a test may set its own there.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from fastapi import FastAPI

from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.scaleout import redis_prefix
from chatflow.engine.ratelimit import Limit, MemoryRateLimiter, RateLimiter
from chatflow.engine.ratelimit_redis import RedisRateLimiter

TRIES = Limit(60, 60)
"""Tries one account may make a minute: an action a second, kept up for a minute."""
STEPS = Limit(1000, 60)
"""Steps one account's tries may play a minute (a try of ``n`` steps costs ``n + 1``): a
conversation of 40 steps replayed 24 times, or four of the longest tries. More than the longest
try (``MAX_STEPS + 1``), which an idle account can always make."""

_LOCK = threading.Lock()


@dataclass(frozen=True)
class TryLimits:
    tries: RateLimiter
    steps: RateLimiter

    def charge(self, account_id: int, steps: int) -> None:
        """Count a try of ``steps`` steps by the account, or refuse it (429) and count nothing."""
        key = f"account:{account_id}"
        wait = self.tries.hit(key)
        if wait:
            raise _throttled("too many tries from this account", wait)
        wait = self.steps.hit(key, cost=steps + 1)
        if wait:
            self.tries.forgive(key)
            raise _throttled(f"this account's tries played too many steps ({steps} now)", wait)


def _throttled(what: str, wait: float) -> ApiProblem:
    seconds = max(1, math.ceil(wait))
    return ApiProblem(
        429, "throttled", f"{what}; try again in {seconds} s", retry_after=round(wait, 1)
    )


def try_limits(app: FastAPI) -> TryLimits:
    """The app's Try limits (``app.state.try_limits``), made on first use like the visitor
    channel's limiters: in Redis when those are."""
    with _LOCK:
        limits: TryLimits | None = getattr(app.state, "try_limits", None)
        if limits is None:
            visitor: RateLimiter = app.state.visitor_channel.session_limiter
            limits = TryLimits(
                tries=_like(app, visitor, "editor-tries", TRIES),
                steps=_like(app, visitor, "editor-try-steps", STEPS),
            )
            app.state.try_limits = limits
        return limits


def _like(app: FastAPI, visitor: RateLimiter, name: str, limit: Limit) -> RateLimiter:
    """A limiter where ``visitor`` keeps its windows: on its Redis client, or in the process."""
    if isinstance(visitor, RedisRateLimiter):
        prefix = redis_prefix(app.state.settings)
        return RedisRateLimiter(name, limit, client=visitor.redis, prefix=prefix)
    return MemoryRateLimiter(limit, time.monotonic)
