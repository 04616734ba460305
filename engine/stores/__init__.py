"""Stores: one protocol per store, an in-memory twin and SQLite/Redis implementations.

The session store (``base.SessionStore``) keeps sessions, their output logs, their timers and
the published flow versions; ``recordsdb`` is the records database (tenants, transcripts).
"""

from __future__ import annotations

from chatflow.engine.stores.base import DueTimer, SessionStore, content_version
from chatflow.engine.stores.memory import MemoryStore
from chatflow.engine.stores.sqlite import SqliteStore

__all__ = ["DueTimer", "MemoryStore", "SessionStore", "SqliteStore", "content_version"]
