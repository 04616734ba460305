from __future__ import annotations

from chatflow.engine.ratelimit import Limit, MemoryRateLimiter


def test_sliding_window_allows_count_then_says_how_long_to_wait() -> None:
    now = [100.0]
    limiter = MemoryRateLimiter(Limit(3, 60), lambda: now[0])
    assert [limiter.hit("ip:1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.hit("ip:1") == 60.0
    assert limiter.hit("ip:2") == 0.0  # keys are independent
    now[0] += 30
    assert limiter.hit("ip:1") == 30.0
    now[0] += 30.5
    assert limiter.hit("ip:1") == 0.0


def test_reset_forgets_a_key() -> None:
    limiter = MemoryRateLimiter(Limit(1, 60), lambda: 0.0)
    assert limiter.hit("a") == 0.0
    assert limiter.hit("a") > 0
    limiter.reset("a")
    assert limiter.hit("a") == 0.0


def test_idle_keys_are_swept() -> None:
    now = [0.0]
    limiter = MemoryRateLimiter(Limit(5, 1), lambda: now[0])
    for i in range(2000):
        limiter.hit(f"k{i}")
    now[0] += 5
    for _ in range(1024):
        limiter.hit("fresh")
    assert len(limiter._hits) < 10
