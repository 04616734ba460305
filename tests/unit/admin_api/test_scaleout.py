"""``chatflow serve`` picks in-process pieces by default and Redis ones with ``--redis``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatflow.admin_api import scaleout
from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.config import Limits, Rate
from chatflow.engine.errors import ChatflowError
from chatflow.engine.feed import OutputFeed
from chatflow.engine.feed_redis import RedisOutputFeed
from chatflow.engine.ratelimit import Limit, MemoryRateLimiter
from chatflow.engine.ratelimit_redis import RedisRateLimiter
from chatflow.engine.stores.redis import RedisStore
from chatflow.engine.stores.sqlite import SqliteStore

pytestmark = pytest.mark.anyio


async def test_embedded_pieces_live_in_the_process_and_the_data_folder(tmp_path: Path) -> None:
    shared = scaleout.shared(ServeSettings(data=tmp_path / "data"))
    try:
        assert isinstance(shared.store, SqliteStore)
        assert type(shared.feed) is OutputFeed
        assert isinstance(shared.session_limiter, MemoryRateLimiter)
        assert shared.login_per_account is None  # AuthService keeps its own
        assert (tmp_path / "data" / "visitor-token.key").read_bytes() == shared.visitor_secret
        await shared.start()
    finally:
        await shared.aclose()
        await shared.store.close()


async def test_with_redis_every_worker_gets_the_same_shared_pieces(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    def settings(name: str) -> ServeSettings:
        return ServeSettings(
            data=tmp_path / name,
            redis_url=redis_url,
            env={scaleout.PREFIX_ENV: redis_prefix},
        )

    limits = Limits(new_sessions_per_ip=Rate(count=2, seconds=5))
    one, two = scaleout.shared(settings("a"), limits), scaleout.shared(settings("b"))
    try:
        assert isinstance(one.store, RedisStore) and one.store.prefix == redis_prefix
        assert isinstance(one.feed, RedisOutputFeed)
        assert isinstance(one.message_limiter, RedisRateLimiter)
        assert isinstance(one.session_limiter, RedisRateLimiter)
        assert one.session_limiter.limit == Limit(2, 5)  # chatflow.yaml's limits
        assert one.message_limiter.limit == Limit(30, 10)
        assert isinstance(one.login_per_ip, RedisRateLimiter)
        assert one.visitor_secret == two.visitor_secret and len(one.visitor_secret) == 32
        assert not (tmp_path / "a").exists()  # nothing on disk
        await one.start()
        await two.start()
    finally:
        for made in (one, two):
            await made.aclose()
            await made.store.close()


def test_an_unreachable_redis_is_a_clear_error(tmp_path: Path) -> None:
    settings = ServeSettings(data=tmp_path, redis_url="redis://127.0.0.1:1/0")
    with pytest.raises(ChatflowError, match=re.escape("cannot use Redis at redis://127.0.0.1:1/0")):
        scaleout.shared(settings)


async def test_the_session_store_alone_follows_the_same_choice(
    tmp_path: Path, redis_url: str
) -> None:
    from chatflow.admin_api.scaleout import session_store

    store = session_store(ServeSettings(redis_url=redis_url))
    assert isinstance(store, RedisStore)
    await store.close()
    store = session_store(ServeSettings(data=tmp_path / "new", database_url="postgresql://x/y"))
    assert isinstance(store, SqliteStore)  # --database alone: sessions stay in SQLite
    assert (tmp_path / "new").is_dir()
    await store.close()
