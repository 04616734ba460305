"""Fixtures for engine tests: the in-memory twins of the clock and the session store, and every
session store for the tests that must hold for all of them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from chatflow.engine.clock import FrozenClock
from chatflow.engine.stores.base import SessionStore
from chatflow.engine.stores.memory import MemoryStore
from chatflow.engine.stores.redis import RedisStore
from chatflow.engine.stores.sqlite import SqliteStore

STORES: dict[str, Callable[[pytest.FixtureRequest, Path], SessionStore]] = {
    "memory": lambda _request, _tmp: MemoryStore(),
    "sqlite": lambda _request, tmp: SqliteStore(tmp / "sessions.db"),
    "redis": lambda request, _tmp: RedisStore(
        request.getfixturevalue("redis_url"), prefix=request.getfixturevalue("redis_prefix")
    ),
}


@pytest.fixture
def frozen_clock() -> FrozenClock:
    """10:00 on Monday 23 November 2026 in Shanghai; moves only when told to."""
    return FrozenClock("2026-11-23T10:00:00+08:00")


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture(params=sorted(STORES))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SessionStore]:
    """Each session store in turn (Redis: the test Redis, under a prefix of the test's own)."""
    made = STORES[request.param](request, tmp_path)
    yield made
    await made.close()


@pytest.fixture(params=["redis", "sqlite"])
async def suspending_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[SessionStore]:
    """The stores whose saves suspend the caller (an in-memory save never does)."""
    made = STORES[request.param](request, tmp_path)
    yield made
    await made.close()
