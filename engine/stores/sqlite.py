"""The embedded session store: one SQLite file in WAL mode, one transaction per save.

``chatflow serve`` uses it by default (under ``--data``). The tables are SQLAlchemy Core tables
in their own metadata, apart from the records database's: the session store is key-value shaped
(a session is one JSON document) and the compare-and-set is one explicit
``UPDATE ... WHERE version = ?``. A save opens its transaction with that UPDATE (a write), so
several processes on one file serialise on SQLite's write lock and the loser sees the new version.

Calls run on the event loop's thread: a WAL commit with ``synchronous=NORMAL`` takes tens of
microseconds, less than handing the work to a thread would. ``synchronous=NORMAL`` survives a
killed process; pass ``durable=True`` (``FULL``) to survive a power cut as well.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.pool import StaticPool

from chatflow.engine.errors import StoreConflict
from chatflow.engine.frames import Frame
from chatflow.engine.session import Session, SessionStatus
from chatflow.engine.stores.base import MAX_READ, DueTimer, content_version

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
outputs = Table(
    "cf_output",
    METADATA,
    Column("session_id", String, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("frame", Text, nullable=False),
)
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

        self._begin_sql = "BEGIN"

        @event.listens_for(self._engine, "connect")
        def _settings(dbapi_connection: Any, _record: Any) -> None:
            # Transactions are issued by us (below), not guessed by the sqlite3 module.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            for pragma in pragmas:
                cursor.execute(pragma)
            cursor.close()

        @event.listens_for(self._engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql(self._begin_sql)

        with self._engine.begin() as conn:
            METADATA.create_all(conn)
        self._conn: Connection | None = self._engine.connect()

    @contextmanager
    def _tx(self, *, write: bool = False) -> Iterator[Connection]:
        """One transaction; writes take SQLite's write lock up front (``BEGIN IMMEDIATE``), so a
        compare-and-set never works from a stale snapshot when processes share the file."""
        conn = self.conn
        self._begin_sql = "BEGIN IMMEDIATE" if write else "BEGIN"
        with conn.begin():
            yield conn

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("the store is closed")
        return self._conn

    async def create(self, session: Session, outputs: Sequence[Frame] = ()) -> None:
        with self._tx(write=True) as conn:
            found = conn.execute(select(sessions.c.id).where(sessions.c.id == session.id))
            if found.first() is not None:
                raise StoreConflict(f"session {session.id!r} already exists")
            conn.execute(insert(sessions).values(**_row(session)))
            self._write_rest(conn, session, outputs)

    async def load(self, session_id: str) -> Session | None:
        with self._tx() as conn:
            row = conn.execute(select(sessions.c.data).where(sessions.c.id == session_id)).first()
        return Session.loads(row[0]) if row is not None else None

    async def save(
        self, session: Session, expected_version: int, outputs: Sequence[Frame] = ()
    ) -> None:
        if session.version <= expected_version:
            raise ValueError("bump session.version above expected_version before saving")
        with self._tx(write=True) as conn:
            done = conn.execute(
                update(sessions)
                .where(sessions.c.id == session.id, sessions.c.version == expected_version)
                .values(**_row(session))
            )
            if done.rowcount != 1:
                raise StoreConflict(
                    f"session {session.id!r} changed: expected version {expected_version}"
                )
            conn.execute(delete(timers).where(timers.c.session_id == session.id))
            self._write_rest(conn, session, outputs)

    def _write_rest(self, conn: Connection, session: Session, frames: Sequence[Frame]) -> None:
        if frames:
            conn.execute(
                insert(outputs),
                [
                    {
                        "session_id": session.id,
                        "seq": f.seq,
                        "frame": json.dumps(f.to_json(), ensure_ascii=False),
                    }
                    for f in frames
                ],
            )
        if session.timers:
            conn.execute(
                insert(timers),
                [
                    {"session_id": session.id, "name": t.name, "key": t.key, "due": _ts(t.due)}
                    for t in session.timers.values()
                ],
            )

    async def read_outputs(
        self, session_id: str, after_seq: int = 0, limit: int = MAX_READ
    ) -> list[Frame]:
        with self._tx() as conn:
            rows = conn.execute(
                select(outputs.c.frame)
                .where(outputs.c.session_id == session_id, outputs.c.seq > after_seq)
                .order_by(outputs.c.seq)
                .limit(limit)
            ).all()
        return [Frame.from_json(json.loads(r[0])) for r in rows]

    async def due_timers(self, now: datetime, limit: int = 100) -> list[DueTimer]:
        with self._tx() as conn:
            rows = conn.execute(
                select(timers.c.due, timers.c.session_id, timers.c.name, timers.c.key)
                .where(timers.c.due <= _ts(now))
                .order_by(timers.c.due, timers.c.session_id, timers.c.name)
                .limit(limit)
            ).all()
        return [DueTimer(datetime.fromtimestamp(r[0], UTC), r[1], r[2], r[3]) for r in rows]

    async def find_sessions(self, status: SessionStatus, limit: int = 1_000) -> list[str]:
        with self._tx() as conn:
            rows = conn.execute(
                select(sessions.c.id).where(sessions.c.status == status).limit(limit)
            ).all()
        return [r[0] for r in rows]

    async def put_flow_version(self, flow_id: str, yaml_text: str) -> str:
        version = content_version(yaml_text)
        with self._tx(write=True) as conn:
            key = (flow_versions.c.flow_id == flow_id, flow_versions.c.version == version)
            if conn.execute(select(flow_versions.c.version).where(*key)).first() is None:
                conn.execute(
                    insert(flow_versions).values(
                        flow_id=flow_id, version=version, yaml=yaml_text, created_at=time.time()
                    )
                )
            conn.execute(delete(flow_latest).where(flow_latest.c.flow_id == flow_id))
            conn.execute(insert(flow_latest).values(flow_id=flow_id, version=version))
        return version

    async def get_flow_version(self, flow_id: str, version: str) -> str | None:
        with self._tx() as conn:
            row = conn.execute(
                select(flow_versions.c.yaml).where(
                    flow_versions.c.flow_id == flow_id, flow_versions.c.version == version
                )
            ).first()
        return str(row[0]) if row is not None else None

    async def latest_flow_version(self, flow_id: str) -> str | None:
        with self._tx() as conn:
            row = conn.execute(
                select(flow_latest.c.version).where(flow_latest.c.flow_id == flow_id)
            ).first()
        return str(row[0]) if row is not None else None

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._engine.dispose()


def _row(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "version": session.version,
        "status": session.status,
        "flow_id": session.flow_id,
        "updated_at": time.time(),
        "data": session.dumps(),
    }


def _ts(when: datetime) -> float:
    return when.timestamp()
