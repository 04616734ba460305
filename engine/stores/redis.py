"""The scale-out session store: Redis, shared by every ``chatflow serve`` worker.

Keys (under a configurable prefix, ``chatflow:`` by default)::

    <p>s:<id>          hash   v (version), st (status), d (session JSON), tm (timer members, JSON)
    <p>k:<id>          zset   the session's idempotency keys, scored by their number
    <p>o:<id>          list   the output log: frame n (JSON) at index n - 1
    <p>a:<id>          hash   seq -> the agent account that wrote that line (agent lines only)
    <p>due             zset   the due-time index: "<id>|<timer name>|<timer key>" by due timestamp
    <p>status:<st>     set    ids of the sessions with status <st> (one set per status)
    <p>ended           zset   ids of the ended sessions, scored by their last save (retention)
    <p>live            zset   ids of the sessions not ended, scored by their last save (retention)
    <p>flow:<flow id>  hash   content version -> flow text
    <p>flows:latest    hash   flow id -> the version new sessions start on

A create or save is one Lua script, so Redis runs it atomically: the compare-and-set on ``v``,
the new session, the appended frames, the status sets and the session's due-index entries move
together or not at all (every check comes before the first write). A single Redis (or a
primary with replicas / Sentinel) is assumed, not Redis Cluster: the due index and the status
sets span every session.

The authors sit beside the log, not in its JSON (what the visitor is sent): a line logged by a
version that did not keep them simply has no entry.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from chatflow.engine.errors import StoreConflict
from chatflow.engine.frames import Frame
from chatflow.engine.session import STATUSES, Session, SessionStatus
from chatflow.engine.stores.base import (
    FORGET_BATCH,
    MAX_READ,
    DueTimer,
    content_version,
    outcome_of,
    saved_at,
)

DEFAULT_PREFIX = "chatflow:"

# KEYS: 1 session hash, 2 output log, 3 due index, 4 the new status's set, 5 the session's keys,
#       6 the log's authors, 7 the ended index, 8 the live index, 9.. every status set
# ARGV: 1 "create" | "save", 2 expected version, 3 new version, 4 status, 5 session JSON,
#       6 timer members (JSON list), 7 frame count, 8 session id, 9 number of the oldest key
#       kept, 10 new key count, 11 authored frame count, 12 saved at (UNIX seconds), then
#       (number, key) pairs, then the frames, then (seq, author) pairs, then (due timestamp,
#       member) pairs.
#       Returns 1 when written, else {0, version found or false}.
_WRITE = """
local cur = redis.call('HGET', KEYS[1], 'v')
if ARGV[1] == 'create' then
  if cur then return {0, cur} end
elseif not cur then
  return {0, false}
elseif tonumber(cur) ~= tonumber(ARGV[2]) then
  return {0, cur}
end
local id = ARGV[8]
local old = redis.call('HGET', KEYS[1], 'tm')
if old then
  for _, member in ipairs(cjson.decode(old)) do redis.call('ZREM', KEYS[3], member) end
end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'st', ARGV[4], 'd', ARGV[5], 'tm', ARGV[6])
for i = 9, #KEYS do
  if KEYS[i] ~= KEYS[4] then redis.call('SREM', KEYS[i], id) end
end
redis.call('SADD', KEYS[4], id)
if ARGV[4] == 'ended' then
  redis.call('ZADD', KEYS[7], ARGV[12], id)
  redis.call('ZREM', KEYS[8], id)
else
  redis.call('ZADD', KEYS[8], ARGV[12], id)
  redis.call('ZREM', KEYS[7], id)
end
local first = 13
for i = 1, tonumber(ARGV[10]) do
  redis.call('ZADD', KEYS[5], ARGV[first], ARGV[first + 1])
  first = first + 2
end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. ARGV[9])
local frames = tonumber(ARGV[7])
while frames > 0 do
  local n = math.min(frames, 500)
  redis.call('RPUSH', KEYS[2], unpack(ARGV, first, first + n - 1))
  first = first + n
  frames = frames - n
end
for i = 1, tonumber(ARGV[11]) do
  redis.call('HSET', KEYS[6], ARGV[first], ARGV[first + 1])
  first = first + 2
end
for i = first, #ARGV, 2 do
  redis.call('ZADD', KEYS[3], ARGV[i], ARGV[i + 1])
end
return 1
"""

# KEYS: 1 output log, 2 the log's authors. ARGV: 1 first index, 2 last index.
# Returns {frames, their authors (false for none)}; a log without authors costs no HMGET.
_READ = """
local rows = redis.call('LRANGE', KEYS[1], ARGV[1], ARGV[2])
local authors = {}
if #rows == 0 or redis.call('EXISTS', KEYS[2]) == 0 then return {rows, authors} end
local before = tonumber(ARGV[1])
for from = 1, #rows, 500 do
  local seqs = {}
  for i = from, math.min(from + 499, #rows) do seqs[#seqs + 1] = before + i end
  for _, author in ipairs(redis.call('HMGET', KEYS[2], unpack(seqs))) do
    authors[#authors + 1] = author
  end
end
return {rows, authors}
"""

# KEYS: 1 session hash, 2 session keys, 3 output log, 4 authors, 5 due index, 6 ended index,
#       7 live index, 8.. every status set. ARGV: 1 session id.
#       Returns 1 when the ended session was deleted, 0 when it is live (left as it is) or gone.
_FORGET = """
local status = redis.call('HGET', KEYS[1], 'st')
if status ~= 'ended' then
  if not status then
    redis.call('ZREM', KEYS[6], ARGV[1])
    redis.call('ZREM', KEYS[7], ARGV[1])
  end
  return 0
end
local timers = redis.call('HGET', KEYS[1], 'tm')
if timers then
  for _, member in ipairs(cjson.decode(timers)) do redis.call('ZREM', KEYS[5], member) end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('ZREM', KEYS[7], ARGV[1])
for i = 8, #KEYS do redis.call('SREM', KEYS[i], ARGV[1]) end
return 1
"""


class RedisStore:
    """A :class:`~chatflow.engine.stores.base.SessionStore` in Redis (see the module docstring).

    Give it a URL (``redis://host:6379/0``; the store owns and closes that client) or a
    ``redis.asyncio.Redis`` client (the caller closes it).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Redis | None = None,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        if (url is None) == (client is None):
            raise ValueError("give RedisStore either a url or a client")
        self._owned = client is None
        self.redis: Redis = client if client is not None else Redis.from_url(str(url))
        self.prefix = prefix
        self._due = f"{prefix}due"
        self._ended = f"{prefix}ended"
        self._live = f"{prefix}live"
        self._indexed = False
        self._latest = f"{prefix}flows:latest"
        self._status_keys = [self._status_key(s) for s in STATUSES]
        self._write = self.redis.register_script(_WRITE)
        self._read = self.redis.register_script(_READ)
        self._forget = self.redis.register_script(_FORGET)

    def _status_key(self, status: str) -> str:
        return f"{self.prefix}status:{status}"

    def _session_key(self, session_id: str) -> str:
        return f"{self.prefix}s:{session_id}"

    def _keys_key(self, session_id: str) -> str:
        return f"{self.prefix}k:{session_id}"

    def _log_key(self, session_id: str) -> str:
        return f"{self.prefix}o:{session_id}"

    def _authors_key(self, session_id: str) -> str:
        return f"{self.prefix}a:{session_id}"

    def _own_keys(self, session_id: str) -> tuple[str, str, str, str]:
        """Every key of one session alone, in the order the forget script takes them: a key
        added for a session belongs here too, or forgetting the session leaves it behind."""
        return (
            self._session_key(session_id),
            self._keys_key(session_id),
            self._log_key(session_id),
            self._authors_key(session_id),
        )

    async def create(self, session: Session, outputs: Sequence[Frame] = ()) -> None:
        found = await self._run("create", session, 0, outputs)
        if found is not True:
            raise StoreConflict(f"session {session.id!r} already exists")

    async def load(self, session_id: str) -> Session | None:
        async with self.redis.pipeline(transaction=True) as tx:
            tx.hget(self._session_key(session_id), "d")
            tx.zrange(self._keys_key(session_id), 0, -1, withscores=True)
            data, keys = await tx.execute()
        if data is None:
            return None
        session = Session.loads(_text(data))
        first = session.first_kept_key
        session.restore_keys([_text(key) for key, n in keys if n >= first])
        return session

    async def save(
        self, session: Session, expected_version: int, outputs: Sequence[Frame] = ()
    ) -> None:
        if session.version <= expected_version:
            raise ValueError("bump session.version above expected_version before saving")
        found = await self._run("save", session, expected_version, outputs)
        if found is not True:
            where = "no session" if found is None else f"version {found}"
            raise StoreConflict(
                f"session {session.id!r} changed: expected version {expected_version}, "
                f"found {where}"
            )

    async def _run(
        self, mode: str, session: Session, expected: int, outputs: Sequence[Frame]
    ) -> bool | str | None:
        """Run the write script; True when written, else the version found (None: no session)."""
        members: list[str] = []
        scored: list[str | float] = []
        for timer in session.timers.values():
            member = f"{session.id}|{timer.name}|{timer.key}"
            members.append(member)
            scored += [timer.due.timestamp(), member]
        keys = [
            self._session_key(session.id),
            self._log_key(session.id),
            self._due,
            self._status_key(session.status),
            self._keys_key(session.id),
            self._authors_key(session.id),
            self._ended,
            self._live,
            *self._status_keys,
        ]
        keys_to_add = session.unsaved_keys()
        authored = [(f.seq, f.author) for f in outputs if f.author]
        args: list[Any] = [
            mode,
            expected,
            session.version,
            session.status,
            session.dumps(),
            json.dumps(members, ensure_ascii=False) if members else "[]",
            len(outputs),
            session.id,
            session.first_kept_key,
            len(keys_to_add),
            len(authored),
            saved_at(session),
            *(part for pair in keys_to_add for part in pair),
            *(f.dumps() for f in outputs),
            *(part for pair in authored for part in pair),
            *scored,
        ]
        result = await outcome_of(self._write(keys=keys, args=args))
        if result == 1:
            session.keys_saved()
            return True
        found = result[1] if isinstance(result, list) and len(result) > 1 else None
        return _text(found) if found is not None else None

    async def read_outputs(
        self, session_id: str, after_seq: int = 0, limit: int = MAX_READ
    ) -> list[Frame]:
        if limit <= 0:
            return []
        start = max(after_seq, 0)
        # seq runs 1, 2, 3... without gaps: frame n sits at index n - 1.
        keys = [self._log_key(session_id), self._authors_key(session_id)]
        rows, authors = await self._read(keys=keys, args=[start, start + limit - 1])
        authors = [_text(a) if a else "" for a in authors] or [""] * len(rows)
        frames = [Frame.loads(row, a) for row, a in zip(rows, authors, strict=True)]
        return [f for f in frames if f.seq > after_seq]

    async def due_timers(self, now: datetime, limit: int = 100) -> list[DueTimer]:
        rows = await self.redis.zrangebyscore(
            self._due, "-inf", now.timestamp(), start=0, num=max(limit, 0), withscores=True
        )
        due: list[DueTimer] = []
        for row in rows:
            member, score = row[0], row[1]
            session_id, name, key = _text(member).rsplit("|", 2)
            due.append(DueTimer(datetime.fromtimestamp(float(score), UTC), session_id, name, key))
        due.sort()
        return due

    async def find_sessions(self, status: SessionStatus, limit: int = 1_000) -> list[str]:
        found: list[str] = []
        async for member in self.redis.sscan_iter(self._status_key(status), count=1_000):
            if len(found) >= limit:
                break
            found.append(_text(member))
        return found

    async def ended_before(self, cutoff: datetime, limit: int = FORGET_BATCH) -> list[str]:
        return await self._older(self._ended, cutoff, limit)

    async def inactive_before(self, cutoff: datetime, limit: int = FORGET_BATCH) -> list[str]:
        return await self._older(self._live, cutoff, limit)

    async def _older(self, index: str, cutoff: datetime, limit: int) -> list[str]:
        if limit <= 0:
            return []
        await self._index_older_sessions()
        rows = await self.redis.zrangebyscore(
            index, "-inf", f"({cutoff.timestamp()}", start=0, num=limit
        )
        return [_text(row) for row in rows]

    async def _index_older_sessions(self) -> None:
        """Sessions saved before this version kept the ``ended`` and ``live`` indexes are only
        in the status sets: index them as of now, once per store (so retention counts from
        the upgrade, never from an unknown earlier time)."""
        if self._indexed:
            return
        now = time.time()
        for status in STATUSES:
            index = self._ended if status == "ended" else self._live
            batch: dict[str, float] = {}
            async for member in self.redis.sscan_iter(self._status_key(status), count=1_000):
                batch[_text(member)] = now
                if len(batch) >= 1_000:
                    await self.redis.zadd(index, batch, nx=True)
                    batch = {}
            if batch:
                await self.redis.zadd(index, batch, nx=True)
        self._indexed = True

    async def forget(self, session_ids: Sequence[str]) -> int:
        gone = 0
        for sid in dict.fromkeys(session_ids):
            keys = [
                *self._own_keys(sid),
                self._due,
                self._ended,
                self._live,
                *self._status_keys,
            ]
            gone += int(await self._forget(keys=keys, args=[sid]))
        return gone

    async def put_flow_version(self, flow_id: str, yaml_text: str) -> str:
        version = content_version(yaml_text)
        async with self.redis.pipeline(transaction=True) as tx:
            tx.hsetnx(f"{self.prefix}flow:{flow_id}", version, yaml_text)
            tx.hset(self._latest, flow_id, version)
            await tx.execute()
        return version

    async def get_flow_version(self, flow_id: str, version: str) -> str | None:
        text = await self.redis.hget(f"{self.prefix}flow:{flow_id}", version)
        return _text(text) if text is not None else None

    async def latest_flow_version(self, flow_id: str) -> str | None:
        version = await self.redis.hget(self._latest, flow_id)
        return _text(version) if version is not None else None

    async def close(self) -> None:
        if self._owned:
            await self.redis.aclose()


def _text(value: object) -> str:
    """Redis replies are bytes unless the client decodes them."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
