"""Fixtures for engine tests: the in-memory twins of the clock and the session store."""

from __future__ import annotations

import pytest

from chatflow.engine.clock import FrozenClock
from chatflow.engine.stores.memory import MemoryStore


@pytest.fixture
def frozen_clock() -> FrozenClock:
    """10:00 on Monday 23 November 2026 in Shanghai; moves only when told to."""
    return FrozenClock("2026-11-23T10:00:00+08:00")


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()
