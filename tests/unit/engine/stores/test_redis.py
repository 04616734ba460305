"""What the contract suite cannot say about the Redis store: processes, prefixes, big writes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from store_kit import OLDER_AGENT_LINE, T0, frames, session

from chatflow.engine.errors import StoreConflict
from chatflow.engine.frames import Frame
from chatflow.engine.session import Timer
from chatflow.engine.stores.redis import RedisStore

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    made = Redis.from_url(redis_url)
    yield made
    await made.aclose()


async def test_two_stores_on_one_redis_conflict_like_two_workers(
    redis_url: str, redis_prefix: str
) -> None:
    one, two = (
        RedisStore(redis_url, prefix=redis_prefix),
        RedisStore(redis_url, prefix=redis_prefix),
    )
    try:
        await one.create(session(version=1), frames(1, 1))
        a, b = await one.load("s1"), await two.load("s1")
        assert a is not None and b is not None
        a.version = b.version = 2
        await one.save(a, 1, frames(2, 1))
        with pytest.raises(StoreConflict, match="found version 2"):
            await two.save(b, 1, frames(2, 1))
        assert [f.seq for f in await two.read_outputs("s1")] == [1, 2]
    finally:
        await one.close()
        await two.close()


async def test_a_new_store_on_the_same_prefix_sees_everything(
    redis_url: str, redis_prefix: str
) -> None:
    first = RedisStore(redis_url, prefix=redis_prefix)
    timer = Timer("t", "1", T0 + timedelta(seconds=5), "ask")
    await first.create(session(timers={"t": timer}, status="queued"), frames(1, 2))
    version = await first.put_flow_version("demo", "id: demo\n")
    await first.close()
    again = RedisStore(redis_url, prefix=redis_prefix)
    try:
        assert await again.load("s1") == session(timers={"t": timer}, status="queued")
        assert len(await again.read_outputs("s1")) == 2
        assert len(await again.due_timers(T0 + timedelta(seconds=5))) == 1
        assert await again.find_sessions("queued") == ["s1"]
        assert await again.latest_flow_version("demo") == version
    finally:
        await again.close()


async def test_prefixes_keep_deployments_apart(
    client: Redis, redis_url: str, redis_prefix: str
) -> None:
    mine = RedisStore(client=client, prefix=redis_prefix)
    other = RedisStore(client=client, prefix=f"{redis_prefix}other:")
    await mine.create(session(timers={"t": Timer("t", "1", T0, None)}))
    await mine.put_flow_version("demo", "id: demo\n")
    assert await other.load("s1") is None
    assert await other.due_timers(T0) == []
    assert await other.find_sessions("active") == []
    assert await other.latest_flow_version("demo") is None
    keys = [k.decode() async for k in client.scan_iter(match=f"{redis_prefix}*")]
    assert keys and all(k.startswith(redis_prefix) for k in keys)
    await mine.close()  # a store given a client leaves it open for its owner
    assert await client.ping()


async def test_session_ids_with_the_member_separator_round_trip(
    redis_url: str, redis_prefix: str
) -> None:
    store = RedisStore(redis_url, prefix=redis_prefix)
    try:
        timer = Timer("ask:timeout", "3", T0, "ask")
        await store.create(session("web|a|b", timers={"ask:timeout": timer}))
        [due] = await store.due_timers(T0)
        assert (due.session_id, due.name, due.key) == ("web|a|b", "ask:timeout", "timer:3")
    finally:
        await store.close()


async def test_a_save_with_many_frames_is_one_write(redis_url: str, redis_prefix: str) -> None:
    store = RedisStore(redis_url, prefix=redis_prefix)
    try:
        await store.create(session(version=1), frames(1, 1))
        many = frames(2, 1_200)
        many[-1] = replace(many[-1], author="acme_bob")
        await store.save(session(version=2), 1, many)
        assert [f.seq for f in await store.read_outputs("s1", 1_195)] == list(range(1_196, 1_202))
        everything = await store.read_outputs("s1", limit=5_000)
        assert len(everything) == 1_201
        assert [(f.seq, f.author) for f in everything if f.author] == [(1_201, "acme_bob")]
        assert await store.read_outputs("s1", limit=0) == []
    finally:
        await store.close()


async def test_a_log_written_before_authors_were_kept_still_reads(
    client: Redis, redis_url: str, redis_prefix: str
) -> None:
    store = RedisStore(redis_url, prefix=redis_prefix)
    try:
        await store.create(session(version=1), frames(1, 1))
        await client.rpush(f"{redis_prefix}o:s1", OLDER_AGENT_LINE)  # as the version before kept it
        line = Frame(3, "message", {"from": "agent", "text": "在"}, T0.isoformat(), "acme_bob")
        await store.save(session(version=2), 1, [line])
        old, new = await store.read_outputs("s1", after_seq=1)
        assert (old.sender, old.author, old.dumps()) == ("agent", "", OLDER_AGENT_LINE)
        assert new.author == "acme_bob" and "acme_bob" not in new.dumps()
    finally:
        await store.close()


async def test_find_sessions_honours_its_limit(redis_url: str, redis_prefix: str) -> None:
    store = RedisStore(redis_url, prefix=redis_prefix)
    try:
        for n in range(30):
            await store.create(session(f"s{n}", status="queued"))
        assert len(await store.find_sessions("queued", limit=7)) == 7
        assert len(await store.find_sessions("queued")) == 30
    finally:
        await store.close()


def test_a_store_needs_exactly_one_of_url_and_client() -> None:
    with pytest.raises(ValueError, match="either a url or a client"):
        RedisStore()


async def test_sessions_saved_before_the_retention_indexes_are_indexed_as_of_the_upgrade(
    redis_url: str, redis_prefix: str, client: Redis
) -> None:
    old = RedisStore(redis_url, prefix=redis_prefix)
    try:
        await old.create(session("over", status="ended", updated_at=T0 - timedelta(days=30)))
        await old.create(session("open", status="queued", updated_at=T0 - timedelta(days=30)))
        # as a version without the indexes left them
        await client.delete(f"{redis_prefix}ended", f"{redis_prefix}live")
    finally:
        await old.close()
    upgraded = RedisStore(redis_url, prefix=redis_prefix)
    try:
        # counted from now, not from their (unknown) last save: not yet old enough...
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
        assert await upgraded.ended_before(an_hour_ago) == []
        assert await upgraded.inactive_before(an_hour_ago) == []
        # ...but listed once the retention period has passed since the upgrade
        later = datetime.now(UTC) + timedelta(days=1)
        assert await upgraded.ended_before(later) == ["over"]
        assert await upgraded.inactive_before(later) == ["open"]
        assert await upgraded.forget(["over"]) == 1
        assert not await client.sismember(f"{redis_prefix}status:ended", "over")
    finally:
        await upgraded.close()


async def test_forgetting_a_session_leaves_no_key_of_it_behind(
    redis_url: str, redis_prefix: str, client: Redis
) -> None:
    store = RedisStore(redis_url, prefix=redis_prefix)
    try:
        gone = session("gone", status="ended", updated_at=T0)
        gone.remember("k1")
        agent_line = replace(frames(2, 1)[0], author="alice01")
        await store.create(gone, [*frames(1, 1), agent_line])
        assert len(await client.keys(f"{redis_prefix}*:gone")) == 4  # s, k, o, a
        assert await store.forget(["gone"]) == 1
        assert await client.keys(f"{redis_prefix}*:gone") == []
        for index in ("ended", "live", "status:ended"):
            assert await client.keys(f"{redis_prefix}{index}") == []
    finally:
        await store.close()
