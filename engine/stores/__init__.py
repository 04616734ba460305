"""Stores: one protocol per store, an in-memory twin and SQLite/Redis implementations.

The session store (``base.SessionStore``) keeps sessions, their output logs, their timers and
the published flow versions; ``recordsdb`` is the records database (tenants, transcripts).
``RedisStore`` is imported on first use: the embedded path never pays for the Redis client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chatflow.engine.stores.base import DueTimer, SessionStore, content_version
from chatflow.engine.stores.memory import MemoryStore
from chatflow.engine.stores.sqlite import SqliteStore

if TYPE_CHECKING:
    from chatflow.engine.stores.redis import RedisStore

__all__ = [
    "DueTimer",
    "MemoryStore",
    "RedisStore",
    "SessionStore",
    "SqliteStore",
    "content_version",
]


def __getattr__(name: str) -> Any:
    if name == "RedisStore":
        from chatflow.engine.stores.redis import RedisStore

        return RedisStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
