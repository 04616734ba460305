"""The Try limits keep their windows where the visitor limits do: in the process, or in Redis
with ``--redis``, where every worker counts into the same window."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from fastapi import FastAPI

from chatflow.admin_api import scaleout
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.settings import ServeSettings
from chatflow.admin_api.try_limits import STEPS, TRIES, try_limits
from chatflow.engine.ratelimit import MemoryRateLimiter
from chatflow.engine.ratelimit_redis import RedisRateLimiter
from chatflow.engine.testing.trial import MAX_STEPS

pytestmark = pytest.mark.anyio


def app_on(shared: scaleout.Shared, settings: ServeSettings) -> FastAPI:
    """An app with what ``create_app`` gives the Try limits: the shared pieces' windows."""
    app = FastAPI()
    app.state.settings = settings
    app.state.try_limits = shared.try_limits
    return app


def test_the_longest_try_fits_an_idle_accounts_window() -> None:
    assert STEPS.count > MAX_STEPS + 1 and TRIES.count >= 1


async def test_embedded_the_windows_are_the_processs(tmp_path: Path) -> None:
    settings = ServeSettings(data=tmp_path)
    shared = scaleout.shared(settings)
    try:
        app = app_on(shared, settings)
        limits = try_limits(app)
        assert isinstance(limits.tries, MemoryRateLimiter) and limits.tries.limit == TRIES
        assert isinstance(limits.steps, MemoryRateLimiter) and limits.steps.limit == STEPS
        assert try_limits(app) is limits  # one pair per app
    finally:
        await shared.aclose()
        await shared.store.close()


async def test_with_redis_two_workers_count_into_one_window(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    settings = ServeSettings(
        data=tmp_path, redis_url=redis_url, env={scaleout.PREFIX_ENV: redis_prefix}
    )
    one, two = scaleout.shared(settings), scaleout.shared(settings)
    try:
        first, second = try_limits(app_on(one, settings)), try_limits(app_on(two, settings))
        assert isinstance(first.tries, RedisRateLimiter) and first.tries.limit == TRIES
        assert isinstance(second.steps, RedisRateLimiter) and second.steps.limit == STEPS
        for n in range(TRIES.count):
            (first if n % 2 else second).charge(7, 0)
        for limits in (first, second):
            with pytest.raises(ApiProblem) as refused:
                limits.charge(7, 0)
            assert refused.value.status == 429 and refused.value.extra["retry_after"] > 0
        second.charge(8, MAX_STEPS)  # another account
        client = redis.Redis.from_url(redis_url)
        try:
            assert client.zcard(f"{redis_prefix}rl:editor-tries:account:7") == TRIES.count
            assert client.zcard(f"{redis_prefix}rl:editor-try-steps:account:8") == MAX_STEPS + 1
        finally:
            client.close()
    finally:
        for shared in (one, two):
            await shared.aclose()
            await shared.store.close()
