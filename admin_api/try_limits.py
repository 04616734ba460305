"""Rate limits of the flow editor's Try (``POST /flows/{id}/try``), per account.

A try is one request that plays a whole conversation from its start (the panel replays every
step on each action and on each change of the drawing), so its cost is its steps: two sliding
windows per account bound the work a logged-in account, or a stolen token, can ask for. One
counts tries, one the steps they play (each try's ``steps`` and its start). Over either, the
try is refused before anything is checked or played: ``429 throttled`` with ``retry_after``
(and the ``Retry-After`` header), and nothing is counted.

The windows are made where the visitor channel's and the login's are
(:func:`chatflow.admin_api.scaleout.shared`): in the process, or in Redis beside them with
``--redis``, so the limits hold across workers. ``create_app`` puts them on
``app.state.try_limits``; a test may set its own there. Their sizes are ``chatflow.yaml``'s
``limits.editor_tries_per_account`` and ``limits.editor_try_steps_per_account``: by default 60
tries a minute (an action a second, kept up for a minute) and 1,000 steps a minute (a
conversation of 40 steps replayed 24 times, or four of the longest tries).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fastapi import FastAPI

from chatflow.admin_api.problems import ApiProblem
from chatflow.engine.ratelimit import RateLimiter


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
    """The app's Try limits (``app.state.try_limits``, set by ``create_app``)."""
    limits: TryLimits = app.state.try_limits
    return limits
