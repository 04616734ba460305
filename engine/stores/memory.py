"""The in-memory session store: the twin of the SQLite and Redis stores, for tests and benches.

It keeps each session as its JSON text, so a loaded session never aliases the stored one and
everything stored is proven serialisable, exactly as with a real store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chatflow.engine.errors import StoreConflict
from chatflow.engine.frames import Frame
from chatflow.engine.session import MAX_SEEN_KEYS, Session, SessionStatus
from chatflow.engine.stores.base import (
    FORGET_BATCH,
    MAX_READ,
    DueTimer,
    content_version,
    saved_at,
)


class MemoryStore:
    """A :class:`~chatflow.engine.stores.base.SessionStore` in dictionaries."""

    def __init__(self) -> None:
        self._sessions: dict[str, tuple[int, SessionStatus, str]] = {}
        self._keys: dict[str, dict[int, str]] = {}
        self._outputs: dict[str, list[Frame]] = {}
        self._timers: dict[str, list[DueTimer]] = {}
        self._flows: dict[tuple[str, str], str] = {}
        self._latest: dict[str, str] = {}
        self._saved: dict[str, float] = {}
        """Session id -> when it was last saved (UNIX seconds)."""

    async def create(self, session: Session, outputs: Sequence[Frame] = ()) -> None:
        if session.id in self._sessions:
            raise StoreConflict(f"session {session.id!r} already exists")
        self._write(session, outputs)

    async def load(self, session_id: str) -> Session | None:
        row = self._sessions.get(session_id)
        if row is None:
            return None
        session = Session.loads(row[2])
        keys = self._keys.get(session_id, {})
        first = session.first_kept_key
        session.restore_keys([keys[n] for n in sorted(keys) if n >= first])
        return session

    async def save(
        self, session: Session, expected_version: int, outputs: Sequence[Frame] = ()
    ) -> None:
        if session.version <= expected_version:
            raise ValueError("bump session.version above expected_version before saving")
        row = self._sessions.get(session.id)
        if row is None or row[0] != expected_version:
            found = "no session" if row is None else f"version {row[0]}"
            raise StoreConflict(
                f"session {session.id!r} changed: expected version {expected_version}, "
                f"found {found}"
            )
        self._write(session, outputs)

    def _write(self, session: Session, outputs: Sequence[Frame]) -> None:
        text = session.dumps()
        self._sessions[session.id] = (session.version, session.status, text)
        self._saved[session.id] = saved_at(session)
        keys = self._keys.setdefault(session.id, {})
        keys.update(session.unsaved_keys())
        if len(keys) > MAX_SEEN_KEYS:
            first = session.first_kept_key
            for n in [n for n in keys if n < first]:
                del keys[n]
        session.keys_saved()
        if outputs:
            self._outputs.setdefault(session.id, []).extend(outputs)
        timers = [DueTimer(t.due, session.id, t.name, t.key) for t in session.timers.values()]
        if timers:
            self._timers[session.id] = timers
        else:
            self._timers.pop(session.id, None)

    async def read_outputs(
        self, session_id: str, after_seq: int = 0, limit: int = MAX_READ
    ) -> list[Frame]:
        frames = self._outputs.get(session_id, [])
        # seq runs 1, 2, 3...: frame n sits at index n - 1.
        start = max(after_seq, 0)
        return frames[start : start + max(limit, 0)]

    async def due_timers(self, now: datetime, limit: int = 100) -> list[DueTimer]:
        due = [t for timers in self._timers.values() for t in timers if t.due <= now]
        due.sort()
        return due[:limit]

    async def find_sessions(self, status: SessionStatus, limit: int = 1_000) -> list[str]:
        return [sid for sid, row in self._sessions.items() if row[1] == status][:limit]

    async def ended_before(self, cutoff: datetime, limit: int = FORGET_BATCH) -> list[str]:
        return self._older(cutoff, limit, ended=True)

    async def inactive_before(self, cutoff: datetime, limit: int = FORGET_BATCH) -> list[str]:
        return self._older(cutoff, limit, ended=False)

    def _older(self, cutoff: datetime, limit: int, *, ended: bool) -> list[str]:
        bound = cutoff.timestamp()
        old = sorted(
            (at, sid)
            for sid, at in self._saved.items()
            if at < bound and (self._sessions[sid][1] == "ended") == ended
        )
        return [sid for _, sid in old[: max(limit, 0)]]

    async def forget(self, session_ids: Sequence[str]) -> int:
        gone = 0
        for sid in dict.fromkeys(session_ids):
            row = self._sessions.get(sid)
            if row is None or row[1] != "ended":
                continue
            del self._sessions[sid], self._saved[sid]
            self._keys.pop(sid, None)
            self._outputs.pop(sid, None)
            self._timers.pop(sid, None)
            gone += 1
        return gone

    async def put_flow_version(self, flow_id: str, yaml_text: str) -> str:
        version = content_version(yaml_text)
        self._flows[(flow_id, version)] = yaml_text
        self._latest[flow_id] = version
        return version

    async def get_flow_version(self, flow_id: str, version: str) -> str | None:
        return self._flows.get((flow_id, version))

    async def latest_flow_version(self, flow_id: str) -> str | None:
        return self._latest.get(flow_id)

    async def close(self) -> None:
        return None
