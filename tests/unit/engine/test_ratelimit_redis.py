"""The Redis rate limiter keeps the in-memory one's semantics, shared between workers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis

from chatflow.engine.ratelimit import Limit, MemoryRateLimiter, RateLimiter
from chatflow.engine.ratelimit_redis import RedisRateLimiter

Clock = Callable[[], float]


@pytest.fixture
def made(redis_url: str, redis_prefix: str) -> Iterator[list[RedisRateLimiter]]:
    limiters: list[RedisRateLimiter] = []
    yield limiters
    for limiter in limiters:
        limiter.close()


@pytest.fixture(params=["memory", "redis"])
def limiter_for(
    request: pytest.FixtureRequest,
) -> Callable[[Limit, Clock], RateLimiter]:
    if request.param == "memory":
        return MemoryRateLimiter
    url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
    made: list[RedisRateLimiter] = request.getfixturevalue("made")

    def build(limit: Limit, clock: Clock) -> RateLimiter:
        limiter = RedisRateLimiter("test", limit, url, prefix=prefix, clock=clock)
        made.append(limiter)
        return limiter

    return build


def test_sliding_window_allows_count_then_says_how_long_to_wait(
    limiter_for: Callable[[Limit, Clock], RateLimiter],
) -> None:
    now = [100.0]
    limiter = limiter_for(Limit(3, 60), lambda: now[0])
    assert [limiter.hit("ip:1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.hit("ip:1") == 60.0
    assert limiter.hit("ip:2") == 0.0  # keys are independent
    now[0] += 30
    assert limiter.hit("ip:1") == 30.0
    now[0] += 30.5
    assert limiter.hit("ip:1") == 0.0


def test_reset_forgets_a_key(limiter_for: Callable[[Limit, Clock], RateLimiter]) -> None:
    limiter = limiter_for(Limit(1, 60), lambda: 0.0)
    assert limiter.hit("a") == 0.0
    assert limiter.hit("a") > 0
    limiter.reset("a")
    assert limiter.hit("a") == 0.0


def test_forgive_takes_back_the_newest_hit_only(
    limiter_for: Callable[[Limit, Clock], RateLimiter],
) -> None:
    now = [100.0]
    limiter = limiter_for(Limit(2, 60), lambda: now[0])
    assert limiter.hit("a") == 0.0
    now[0] += 10
    assert limiter.hit("a") == 0.0
    limiter.forgive("a")  # the hit at 110 is gone, the one at 100 stays
    assert limiter.hit("a") == 0.0
    assert limiter.hit("a") == 50.0  # the window is full again; its oldest hit is still 100
    limiter.forgive("b")  # a key with no hits: nothing to take back, no error
    assert limiter.hit("b") == 0.0


def test_a_costly_hit_counts_all_or_nothing(
    limiter_for: Callable[[Limit, Clock], RateLimiter],
) -> None:
    now = [100.0]
    limiter = limiter_for(Limit(10, 60), lambda: now[0])
    assert limiter.hit("a", cost=4) == 0.0
    now[0] += 10
    assert limiter.hit("a", cost=4) == 0.0  # 8 of 10 taken
    assert limiter.hit("a", cost=3) == 50.0  # the 4 hits at 100 must leave first
    assert limiter.hit("a", cost=2) == 0.0  # the refused hit counted nothing
    assert limiter.hit("a") == 50.0
    now[0] += 50
    assert limiter.hit("a", cost=4) == 0.0  # the first 4 left: 6 + 4
    with pytest.raises(ValueError, match="costs 1 to 10"):
        limiter.hit("b", cost=11)
    with pytest.raises(ValueError, match="costs 1 to 10"):
        limiter.hit("b", cost=0)
    assert limiter.hit("b", cost=10) == 0.0


def test_two_workers_share_one_window(
    redis_url: str, redis_prefix: str, made: list[RedisRateLimiter]
) -> None:
    one = RedisRateLimiter("login", Limit(3, 60), redis_url, prefix=redis_prefix)
    two = RedisRateLimiter("login", Limit(3, 60), redis_url, prefix=redis_prefix)
    other = RedisRateLimiter("visitor", Limit(3, 60), redis_url, prefix=redis_prefix)
    made += [one, two, other]
    assert [one.hit("ip:1"), two.hit("ip:1"), one.hit("ip:1")] == [0.0, 0.0, 0.0]
    wait = two.hit("ip:1")
    assert 59 < wait <= 60  # the server's clock: a few ms have passed
    assert other.hit("ip:1") == 0.0  # another limiter's name is another window
    one.reset("ip:1")
    assert two.hit("ip:1") == 0.0


def test_windows_expire_in_redis(
    redis_url: str, redis_prefix: str, made: list[RedisRateLimiter]
) -> None:
    limiter = RedisRateLimiter("ttl", Limit(2, 30), redis_url, prefix=redis_prefix)
    made.append(limiter)
    limiter.hit("k")
    client = redis.Redis.from_url(redis_url)
    try:
        assert 0 < client.pttl(f"{redis_prefix}rl:ttl:k") <= 30_000
    finally:
        client.close()


def test_a_limiter_given_a_client_leaves_it_open(redis_url: str, redis_prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        limiter = RedisRateLimiter("c", Limit(1, 1), client=client, prefix=redis_prefix)
        assert limiter.hit("k") == 0.0
        limiter.close()
        assert client.ping()
    finally:
        client.close()
    with pytest.raises(ValueError, match="either a url or a client"):
        RedisRateLimiter("x", Limit(1, 1))
