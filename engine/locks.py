"""Per-key asyncio locks: the runtime's in-process serialisation of one session's events.

A lock exists only while someone holds or waits for it, so a million finished sessions leave no
locks behind. ``asyncio.Lock`` wakes waiters first come, first served, which keeps events of a
session in the order their deliveries started. Across processes the store's compare-and-set
takes over (and a Redis lock when scaled out).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class KeyedLocks:
    """``async with locks.hold(key):`` runs one holder per key at a time."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
