"""The Redis output feed wakes readers on every worker, and recovers from a lost connection."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from chatflow.engine.feed_redis import RedisOutputFeed
from chatflow.engine.frames import Frame

pytestmark = pytest.mark.anyio

FRAME = Frame(1, "message", {"from": "bot", "text": "hi"}, "2026-11-23T02:00:00+00:00")


@pytest.fixture
async def feeds(redis_url: str, redis_prefix: str) -> AsyncIterator[Callable[..., RedisOutputFeed]]:
    """Started feeds on one Redis, as on several workers; closed afterwards."""
    made: list[RedisOutputFeed] = []

    def build(**options: object) -> RedisOutputFeed:
        feed = RedisOutputFeed(redis_url, prefix=redis_prefix, **options)  # type: ignore[arg-type]
        made.append(feed)
        return feed

    yield build
    for feed in made:
        await feed.aclose()


async def test_a_reader_on_another_worker_is_woken(feeds: Callable[..., RedisOutputFeed]) -> None:
    a, b = feeds(), feeds()
    await a.start()
    await b.start()
    with b.subscribe("s1") as on_b, b.subscribe("s2") as elsewhere, a.subscribe("s1") as on_a:
        a("s1", [FRAME])  # what the runtime calls after a save on worker A
        assert await on_b.wait(5)
        assert await on_a.wait(1)  # A's own readers are woken at once, without Redis
        assert not await elsewhere.wait(0.2)
        assert not await on_a.wait(0.2)  # A skips its own message when it comes back


async def test_live_frames_reach_live_readers_on_other_workers(
    feeds: Callable[..., RedisOutputFeed],
) -> None:
    a, b = feeds(), feeds()
    await a.start()
    await b.start()
    with b.subscribe("s1", live=True) as live, b.subscribe("s1") as plain:
        a.push("s1", {"type": "typing", "from": "agent"})
        assert await live.wait(5)
        assert live.take_live() == [{"type": "typing", "from": "agent"}]
        assert plain.take_live() == []


async def test_a_burst_for_one_session_is_one_wake_up(
    feeds: Callable[..., RedisOutputFeed],
) -> None:
    a, b = feeds(), feeds()
    await a.start()
    await b.start()
    with b.subscribe("s1") as sub:
        for _ in range(50):
            a("s1", [FRAME])
        assert await sub.wait(5)
        await asyncio.sleep(0.2)
        # At most a few coalesced wake-ups remain; the reader reads the store once per wake-up.
        woken = 0
        while await sub.wait(0.05):
            woken += 1
        assert woken <= 1


async def test_the_listener_reconnects_and_wakes_its_readers(
    redis_url: str, redis_prefix: str, feeds: Callable[..., RedisOutputFeed]
) -> None:
    name = f"cftest-feed-{uuid.uuid4().hex[:8]}"
    client = Redis.from_url(redis_url, client_name=name)
    b = RedisOutputFeed(client=client, prefix=redis_prefix, reconnect_delay=0.05)
    a = feeds()
    await a.start()
    await b.start()
    admin = Redis.from_url(redis_url, decode_responses=True)
    try:
        with b.subscribe("s1") as sub:
            for line in await admin.client_list(_type="pubsub"):
                if line.get("name") == name:
                    await admin.client_kill_filter(_id=line["id"])
            assert await sub.wait(5)  # woken by the reconnect itself: it may have missed some
            for _ in range(100):  # then live again: A's wake-ups arrive
                a("s1", [FRAME])
                if await sub.wait(0.1):
                    break
            else:
                pytest.fail("no wake-up after the reconnect")
    finally:
        await b.aclose()
        await client.aclose()
        await admin.aclose()


async def test_an_unstarted_feed_still_wakes_its_own_readers(redis_url: str) -> None:
    feed = RedisOutputFeed(redis_url)
    try:
        with feed.subscribe("s1") as sub:
            feed("s1", [FRAME])
            assert await sub.wait(1)
    finally:
        await feed.aclose()
    with pytest.raises(ValueError, match="either a url or a client"):
        RedisOutputFeed()
