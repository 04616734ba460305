"""The captcha's one-time use across workers: two workers (two :class:`Captcha` with the
deployment's secret) share one Redis limiter, so an answer taken by one is refused by the other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chatflow.channels.captcha import USED, Captcha, CaptchaAnswer
from chatflow.channels.image_blobs import MemoryBlobs
from chatflow.engine.clock import FrozenClock
from chatflow.engine.ratelimit_redis import RedisRateLimiter

SECRET = b"s" * 32


@pytest.fixture
def used(redis_url: str, redis_prefix: str) -> Iterator[RedisRateLimiter]:
    limiter = RedisRateLimiter("captcha-used", USED, redis_url, prefix=redis_prefix)
    yield limiter
    limiter.close()


def test_an_answer_taken_by_one_worker_is_refused_by_another(used: RedisRateLimiter) -> None:
    clock = FrozenClock("2026-11-23T10:00:00+08:00")
    one = Captcha(SECRET, clock, MemoryBlobs(), used)
    two = Captcha(SECRET, clock, MemoryBlobs(), used)
    token = one.keys.issue("acme-web")
    answer = CaptchaAnswer(challenge=token, x=two.keys.place(token.split(".")[0]).x)
    assert two.check("acme-web", answer)  # drawn by one worker, checked by another
    assert not one.check("acme-web", answer)
    assert not two.check("acme-web", answer)
    fresh = one.keys.issue("acme-web")
    wrong = CaptchaAnswer(challenge=fresh, x=one.keys.place(fresh.split(".")[0]).x + 30)
    assert not two.check("acme-web", wrong)
    assert not one.check("acme-web", wrong.model_copy(update={"x": wrong.x - 30}))
