"""The embedded session store: one SQLite file in WAL mode, one transaction per save.

``chatflow serve`` uses it by default (under ``--data``). The schema is SQLAlchemy Core tables in
their own metadata, apart from the records database's; the session store is key-value shaped (a
session is one JSON document) and the compare-and-set is one explicit
``UPDATE ... WHERE id = ? AND version = ?``. A save is one ``BEGIN IMMEDIATE`` transaction, so
several processes on one file serialise on SQLite's write lock and the loser sees the new version.
A file made by an older version gets the nullable columns it lacks when the store opens it.

Calls run on the event loop's thread: a WAL commit with ``synchronous=NORMAL`` takes tens of
microseconds, less than handing the work to a thread would. ``synchronous=NORMAL`` survives a
killed process; pass ``durable=True`` (``FULL``) to survive a power cut as well.

Saves are group-committed: every :meth:`SqliteStore.save` made while the event loop runs one
round of callbacks is written in one transaction at the start of the next round, each with its own
compare-and-set, and each caller resumes only once that transaction is committed. Busy servers pay
one commit for many sessions' events; a lone event waits one loop round.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, event
from sqlalchemy.pool import StaticPool

from chatflow.engine.errors import StoreConflict
from chatflow.engine.frames import Frame
from chatflow.engine.session import Session, SessionStatus
from chatflow.engine.stores.base import (
    FORGET_BATCH,
    MAX_READ,
    DueTimer,
    content_version,
    outcome_of,
    saved_at,
)

METADATA = MetaData()

sessions = Table(
    "cf_session",
    METADATA,
    Column("id", String, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", String, nullable=False, index=True),
    Column("flow_id", String, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("data", Text, nullable=False),
)
"""``updated_at``: the session's own ``updated_at`` (the runtime's clock) in UNIX seconds; in
files written before retention, the wall clock of the save."""
outputs = Table(
    "cf_output",
    METADATA,
    Column("session_id", String, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("frame", Text, nullable=False),
    Column("author", String, nullable=True),
)
"""The output log: ``frame`` is the visitor's wire text, ``author`` the agent account of an
agent's line (NULL otherwise, and in rows written before the column existed)."""
seen_keys = Table(
    "cf_seen",
    METADATA,
    Column("session_id", String, primary_key=True),
    Column("n", Integer, primary_key=True),
    Column("key", String, nullable=False),
    sqlite_with_rowid=False,
)
"""A session's idempotency keys, numbered: each save adds only the new ones (see Session.seen)."""
timers = Table(
    "cf_timer",
    METADATA,
    Column("session_id", String, primary_key=True),
    Column("name", String, primary_key=True),
    Column("key", String, nullable=False),
    Column("due", Float, nullable=False, index=True),
)
flow_versions = Table(
    "cf_flow_version",
    METADATA,
    Column("flow_id", String, primary_key=True),
    Column("version", String, primary_key=True),
    Column("yaml", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)
flow_latest = Table(
    "cf_flow_latest",
    METADATA,
    Column("flow_id", String, primary_key=True),
    Column("version", String, nullable=False),
)


def sqlite_pragmas(durable: bool = False) -> tuple[str, ...]:
    """The connection settings of the store (the benchmark's baseline uses the same)."""
    return (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}",
        "PRAGMA busy_timeout=10000",
    )


class SqliteStore:
    """A :class:`~chatflow.engine.stores.base.SessionStore` in one SQLite file."""

    def __init__(self, path: str | Path, *, durable: bool = False) -> None:
        self.path = Path(path)
        self._engine = create_engine(f"sqlite:///{self.path}", poolclass=StaticPool)
        pragmas = sqlite_pragmas(durable)

        @event.listens_for(self._engine, "connect")
        def _settings(dbapi_connection: Any, _record: Any) -> None:
            # Transactions are issued by us (BEGIN / BEGIN IMMEDIATE), not by the sqlite3 module.
            dbapi_connection.isolation_level = None
            for pragma in pragmas:
                dbapi_connection.execute(pragma)

        with self._engine.connect() as conn:
            METADATA.create_all(conn)
            conn.commit()
        self._raw: Any = self._engine.raw_connection()
        self._db: sqlite3.Connection | None = self._raw.driver_connection
        self._pending: list[_Write] = []
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Add the nullable columns this version has and an older file lacks (forward only,
        like the records database), under the write lock: processes opening the file together
        agree on what is missing."""
        with self._tx() as db:
            for table in METADATA.sorted_tables:
                have = {row[1] for row in db.execute(f'PRAGMA table_info("{table.name}")')}
                for column in table.columns:
                    if column.nullable and column.name not in have:
                        kind = column.type.compile(dialect=self._engine.dialect)
                        db.execute(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the store is closed")
        return self._db

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. It takes SQLite's write lock up front (``BEGIN IMMEDIATE``),
        so a compare-and-set never works from a stale snapshot when processes share the file."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    async def create(self, session: Session, outputs: Sequence[Frame] = ()) -> None:
        with self._tx() as db:
            if db.execute(_EXISTS, (session.id,)).fetchone() is not None:
                raise StoreConflict(f"session {session.id!r} already exists")
            db.execute(_INSERT_SESSION, _row(session))
            _write_rest(db, session, outputs)
        session.keys_saved()

    async def load(self, session_id: str) -> Session | None:
        row = self.db.execute(_LOAD, (session_id,)).fetchone()
        if row is None:
            return None
        session = Session.loads(row[0])
        keys = self.db.execute(_LOAD_KEYS, (session_id, session.first_kept_key)).fetchall()
        session.restore_keys([k[0] for k in keys])
        return session

    async def save(
        self, session: Session, expected_version: int, outputs: Sequence[Frame] = ()
    ) -> None:
        if session.version <= expected_version:
            raise ValueError("bump session.version above expected_version before saving")
        if self._db is None:
            raise RuntimeError("the store is closed")
        loop = asyncio.get_running_loop()
        write = _Write(session, expected_version, _row(session), outputs, loop.create_future())
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append(write)
        await outcome_of(write.done)

    def _flush(self) -> None:
        """Write every pending save in one transaction; settle each caller's future."""
        writes, self._pending = self._pending, []
        if not writes:  # already written by close()
            return
        outcomes: list[BaseException | None] = []
        try:
            with self._tx() as db:
                for write in writes:
                    outcomes.append(_apply_save(db, write))
        except BaseException as exc:  # nothing of the batch was written
            for write in writes:
                write.done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for write, outcome in zip(writes, outcomes, strict=True):
            if outcome is None:
                write.session.keys_saved()
                write.done.set_result(None)
            else:
                write.done.set_exception(outcome)

    async def read_outputs(
        self, session_id: str, after_seq: int = 0, limit: int = MAX_READ
    ) -> list[Frame]:
        rows = self.db.execute(_READ_OUTPUTS, (session_id, after_seq, limit)).fetchall()
        return [Frame.loads(r[0], r[1] or "") for r in rows]

    async def due_timers(self, now: datetime, limit: int = 100) -> list[DueTimer]:
        rows = self.db.execute(_DUE, (now.timestamp(), limit)).fetchall()
        return [DueTimer(datetime.fromtimestamp(r[0], UTC), r[1], r[2], r[3]) for r in rows]

    async def find_sessions(self, status: SessionStatus, limit: int = 1_000) -> list[str]:
        rows = self.db.execute(_FIND, (status, limit)).fetchall()
        return [r[0] for r in rows]

    async def ended_before(self, cutoff: datetime, limit: int = FORGET_BATCH) -> list[str]:
        rows = self.db.execute(_ENDED_BEFORE, (cutoff.timestamp(), max(limit, 0))).fetchall()
        return [r[0] for r in rows]

    async def inactive_before(self, cutoff: datetime, limit: int = FORGET_BATCH) -> list[str]:
        rows = self.db.execute(_INACTIVE_BEFORE, (cutoff.timestamp(), max(limit, 0))).fetchall()
        return [r[0] for r in rows]

    async def forget(self, session_ids: Sequence[str]) -> int:
        gone = 0
        with self._tx() as db:
            for sid in dict.fromkeys(session_ids):
                if db.execute(_FORGET_SESSION, (sid,)).rowcount != 1:
                    continue
                for statement in _FORGET_REST:
                    db.execute(statement, (sid,))
                gone += 1
        return gone

    async def put_flow_version(self, flow_id: str, yaml_text: str) -> str:
        version = content_version(yaml_text)
        with self._tx() as db:
            db.execute(_INSERT_FLOW, (flow_id, version, yaml_text, time.time()))
            db.execute(_SET_LATEST, (flow_id, version))
        return version

    async def get_flow_version(self, flow_id: str, version: str) -> str | None:
        row = self.db.execute(_GET_FLOW, (flow_id, version)).fetchone()
        return str(row[0]) if row is not None else None

    async def latest_flow_version(self, flow_id: str) -> str | None:
        row = self.db.execute(_LATEST, (flow_id,)).fetchone()
        return str(row[0]) if row is not None else None

    async def close(self) -> None:
        if self._pending:  # saves already made are written before the connection goes
            self._flush()
        if self._db is not None:
            self._db = None
            self._raw.close()
        self._engine.dispose()


# The hot path runs plain SQL on the driver connection: building SQLAlchemy statements costs
# more per call than SQLite's own commit (see docs/performance.md). The schema above is the truth.
_EXISTS = "SELECT 1 FROM cf_session WHERE id = ?"
_LOAD = "SELECT data FROM cf_session WHERE id = ?"
_LOAD_KEYS = "SELECT key FROM cf_seen WHERE session_id = ? AND n >= ? ORDER BY n"
_INSERT_KEY = "INSERT OR REPLACE INTO cf_seen (session_id, n, key) VALUES (?, ?, ?)"
_FORGET_KEYS = "DELETE FROM cf_seen WHERE session_id = ? AND n < ?"
_INSERT_SESSION = (
    "INSERT INTO cf_session (version, status, flow_id, updated_at, data, id) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_UPDATE_SESSION = (
    "UPDATE cf_session SET version = ?, status = ?, flow_id = ?, updated_at = ?, data = ? "
    "WHERE id = ? AND version = ?"
)
_DELETE_TIMERS = "DELETE FROM cf_timer WHERE session_id = ?"
_INSERT_OUTPUT = "INSERT INTO cf_output (session_id, seq, frame, author) VALUES (?, ?, ?, ?)"
_INSERT_TIMER = "INSERT INTO cf_timer (session_id, name, key, due) VALUES (?, ?, ?, ?)"
_READ_OUTPUTS = (
    "SELECT frame, author FROM cf_output WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?"
)
_DUE = (
    "SELECT due, session_id, name, key FROM cf_timer WHERE due <= ? "
    "ORDER BY due, session_id, name LIMIT ?"
)
_FIND = "SELECT id FROM cf_session WHERE status = ? LIMIT ?"
_ENDED_BEFORE = (
    "SELECT id FROM cf_session WHERE status = 'ended' AND updated_at < ? "
    "ORDER BY updated_at LIMIT ?"
)
_INACTIVE_BEFORE = (
    "SELECT id FROM cf_session WHERE status IN ('active', 'queued', 'with_agent') "
    "AND updated_at < ? ORDER BY updated_at LIMIT ?"
)
_FORGET_SESSION = "DELETE FROM cf_session WHERE id = ? AND status = 'ended'"
_FORGET_REST = (
    "DELETE FROM cf_output WHERE session_id = ?",
    "DELETE FROM cf_seen WHERE session_id = ?",
    _DELETE_TIMERS,
)
_INSERT_FLOW = (
    "INSERT OR IGNORE INTO cf_flow_version (flow_id, version, yaml, created_at) VALUES (?, ?, ?, ?)"
)
_SET_LATEST = "INSERT OR REPLACE INTO cf_flow_latest (flow_id, version) VALUES (?, ?)"
_GET_FLOW = "SELECT yaml FROM cf_flow_version WHERE flow_id = ? AND version = ?"
_LATEST = "SELECT version FROM cf_flow_latest WHERE flow_id = ?"


@dataclass
class _Write:
    """One save waiting for the next group commit."""

    session: Session
    expected_version: int
    row: tuple[int, str, str, float, str, str]
    outputs: Sequence[Frame]
    done: asyncio.Future[None]


def _apply_save(db: sqlite3.Connection, write: _Write) -> StoreConflict | None:
    """One save inside the group's transaction; a lost compare-and-set writes nothing."""
    version, status, flow_id, updated_at, data, sid = write.row
    done = db.execute(
        _UPDATE_SESSION, (version, status, flow_id, updated_at, data, sid, write.expected_version)
    )
    if done.rowcount != 1:
        return StoreConflict(f"session {sid!r} changed: expected version {write.expected_version}")
    db.execute(_DELETE_TIMERS, (sid,))
    _write_rest(db, write.session, write.outputs)
    return None


TRIM_KEYS_EVERY = 64
"""Forgotten idempotency keys are deleted each time this many new ones were added."""


def _write_rest(db: sqlite3.Connection, session: Session, frames: Sequence[Frame]) -> None:
    keys = session.unsaved_keys()
    if keys:
        db.executemany(_INSERT_KEY, [(session.id, n, key) for n, key in keys])
        if session.first_kept_key and session.seen_count % TRIM_KEYS_EVERY < len(keys):
            db.execute(_FORGET_KEYS, (session.id, session.first_kept_key))
    if frames:
        db.executemany(
            _INSERT_OUTPUT, [(session.id, f.seq, f.dumps(), f.author or None) for f in frames]
        )
    if session.timers:
        db.executemany(
            _INSERT_TIMER,
            [(session.id, t.name, t.key, t.due.timestamp()) for t in session.timers.values()],
        )


def _row(session: Session) -> tuple[int, str, str, float, str, str]:
    """(version, status, flow_id, updated_at, data, id): the order of the two statements."""
    return (
        session.version,
        session.status,
        session.flow_id,
        saved_at(session),
        session.dumps(),
        session.id,
    )
