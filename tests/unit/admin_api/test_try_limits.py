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
from chatflow.admin_api.try_limits import try_limits
from chatflow.engine.config import Limits, Rate
from chatflow.engine.ratelimit import Limit, MemoryRateLimiter
from chatflow.engine.ratelimit_redis import RedisRateLimiter
from chatflow.engine.testing.trial import MAX_STEPS

pytestmark = pytest.mark.anyio


def app_on(shared: scaleout.Shared, settings: ServeSettings) -> FastAPI:
    """An app with what ``create_app`` gives the Try limits: the shared pieces' windows."""
    app = FastAPI()
    app.state.settings = settings
    app.state.try_limits = shared.try_limits
    return app


TRIES, STEPS = Limit(60, 60), Limit(1000, 60)
"""The defaults docs/editor.md states."""


def test_the_defaults_and_a_step_window_too_small_for_the_longest_try() -> None:
    defaults = Limits()
    assert defaults.editor_tries_per_account == Rate(count=TRIES.count, seconds=TRIES.seconds)
    assert defaults.editor_try_steps_per_account == Rate(count=STEPS.count, seconds=STEPS.seconds)
    Limits(editor_try_steps_per_account=Rate(count=MAX_STEPS + 1, seconds=60))
    with pytest.raises(ValueError, match=f"must be more than {MAX_STEPS}"):
        Limits(editor_try_steps_per_account=Rate(count=MAX_STEPS, seconds=60))
    # the reference says the bound too (a docstring cannot compute it): it must stay true
    described = Limits.model_fields["editor_try_steps_per_account"].description or ""
    assert f"the longest try ({MAX_STEPS} steps)" in described


async def test_the_configured_sizes_make_the_windows(tmp_path: Path) -> None:
    limits = Limits(
        editor_tries_per_account=Rate(count=5, seconds=10),
        editor_try_steps_per_account=Rate(count=300, seconds=30),
    )
    settings = ServeSettings(data=tmp_path)
    shared = scaleout.shared(settings, limits)
    try:
        made = try_limits(app_on(shared, settings))
        assert isinstance(made.tries, MemoryRateLimiter) and made.tries.limit == Limit(5, 10)
        assert isinstance(made.steps, MemoryRateLimiter) and made.steps.limit == Limit(300, 30)
        for _ in range(5):
            made.charge(1, 0)
        with pytest.raises(ApiProblem):
            made.charge(1, 0)
    finally:
        await shared.aclose()
        await shared.store.close()


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
