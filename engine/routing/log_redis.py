"""One agent queue for every worker: a Redis stream of queue commands each worker applies.

Scaled out, a visitor queued through one worker must be offered to agents connected to any
worker, and every worker must agree who serves whom. :class:`RedisCommandLog` is the
:class:`~chatflow.engine.routing.CommandLog` that makes the workers' queues one:

- Every change to the queue (a visitor queued, an agent's login, an accept, an account edited,
  a rung-out offer's tick...) is a command ``(op, args, now)`` appended to one Redis stream.
- Every worker reads the stream in order and applies each command to its own
  :class:`~chatflow.engine.routing.QueueState`. The state reads no clock (``now`` travels in
  the command) and iterates nothing in hash order, so every copy makes the same decisions.
- Each worker tells the agents whose websockets it holds; the worker that issued a command
  also delivers the decisions' session events and records, once (``QueueService``).
- Reads (an agent's sessions, the queue board, who serves a session) stay local and instant.

Keys (under the deployment's prefix, ``chatflow:`` by default)::

    <p>queue:v<N>:log          stream  the commands (field c: the pickled command)
    <p>queue:v<N>:snapshot     hash    id (the last command it includes), state (a
                                       ``queue_state.dump``), trimmed (commands before it are gone)
    <p>queue:v<N>:worker:<id>  string  a worker's heartbeat (expires when the worker stops)

Every ``snapshot_every`` commands the worker that issued the command saves a snapshot of the
state and trims the stream up to the snapshot before it, so the stream stays short and a
starting worker loads the snapshot and applies only the commands after it. A worker holds
agents' websockets: one whose heartbeat expired (it stopped without a goodbye) is told to the
queue by the others (``worker_gone``), so its agents log out unless they reconnected elsewhere.

Redis is inside the deployment's trust boundary (it holds the sessions and the visitor-token
secret), so commands and snapshots are pickled. ``N`` (``queue_state.FORMAT``) changes whenever the
pickled state's shape does: workers of different formats do not share a queue, so upgrade
every worker at once when it changes (the release notes say so).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import uuid
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from chatflow.engine.routing._decisions import Decision
from chatflow.engine.routing._errors import QueueUnavailable, RoutingError
from chatflow.engine.routing.queue_state import FORMAT, QueueState, dump, load
from chatflow.engine.routing.service import Replica
from chatflow.engine.stores.redis import DEFAULT_PREFIX

logger = logging.getLogger("chatflow.routing.log")


READ_BATCH = 500
BLOCK = 1.0
"""Seconds a follower's read waits for a new command before it reads again."""

_OLDER = """
local function older(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end
"""

# KEYS: 1 log, 2 snapshot; ARGV: 1 the last command applied ("0-0": none), 2 batch size.
# Returns {snapshot id or false, snapshot state or false, commands after what is returned}:
# the snapshot when starting or when commands after ARGV[1] were trimmed away.
_READ = (
    _OLDER
    + """
local snap = redis.call('HMGET', KEYS[2], 'id', 'trimmed')
local after = ARGV[1]
if snap[1] and (after == '0-0' or (snap[2] and older(after, snap[2]))) then
  local state = redis.call('HGET', KEYS[2], 'state')
  return {snap[1], state, redis.call('XRANGE', KEYS[1], '(' .. snap[1], '+', 'COUNT', ARGV[2])}
end
return {false, false, redis.call('XRANGE', KEYS[1], '(' .. after, '+', 'COUNT', ARGV[2])}
"""
)

# KEYS: 1 log, 2 snapshot; ARGV: 1 id of the last command in the state, 2 the state.
# Keeps the newest snapshot only; trims the commands before the snapshot it replaces.
_SNAPSHOT = (
    _OLDER
    + """
local cur = redis.call('HGET', KEYS[2], 'id')
if cur and not older(cur, ARGV[1]) then return 0 end
if cur then
  redis.call('XTRIM', KEYS[1], 'MINID', cur)
  redis.call('HSET', KEYS[2], 'trimmed', cur)
end
redis.call('HSET', KEYS[2], 'id', ARGV[1], 'state', ARGV[2])
return 1
"""
)


class RedisCommandLog:
    """See the module docstring. The service calls ``start`` and ``aclose``."""

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Redis | None = None,
        prefix: str = DEFAULT_PREFIX,
        snapshot_every: int = 500,
        heartbeat: float = 5.0,
        submit_timeout: float = 10.0,
        reconnect_delay: float = 0.5,
    ) -> None:
        if (url is None) == (client is None):
            raise ValueError("give RedisCommandLog either a url or a client")
        self._owned = client is None
        self.redis: Redis = (
            client if client is not None else Redis.from_url(str(url), socket_timeout=BLOCK * 5)
        )
        self.worker = uuid.uuid4().hex[:12]
        base = f"{prefix}queue:v{FORMAT}:"
        self.log_key, self.snapshot_key, self._base = f"{base}log", f"{base}snapshot", base
        self._wake_key = f"{base}wake:{self.worker}"
        """A stream of this worker's own, read beside the log: an entry ends a blocked read."""
        self._stop = asyncio.Event()
        self.snapshot_every = snapshot_every
        self.heartbeat = heartbeat
        self.submit_timeout = submit_timeout
        self.reconnect_delay = reconnect_delay
        self.last = "0-0"
        """Id of the last command applied here."""
        self._replica: Replica | None = None
        self._waiting: dict[str, asyncio.Future[list[Decision]]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._read = self.redis.register_script(_READ)
        self._save = self.redis.register_script(_SNAPSHOT)

    def _alive_key(self, worker: str) -> str:
        return f"{self._base}worker:{worker}"

    # -- CommandLog ----------------------------------------------------------------------------

    async def start(self, replica: Replica) -> None:
        """Announce this worker, load the snapshot, apply every command since, then follow."""
        self._replica = replica
        await self.redis.set(self._alive_key(self.worker), b"1", ex=self._ttl())
        while await self._catch_up() == READ_BATCH:
            pass
        self._tasks = [
            asyncio.create_task(self._follow(), name="chatflow-queue-follow"),
            asyncio.create_task(self._watch_workers(), name="chatflow-queue-workers"),
        ]
        logger.info(
            "queue.joined",
            extra={"worker": self.worker, "last": self.last, "applied": replica.state.applied},
        )

    async def submit(self, op: str, args: tuple[Any, ...], now: float) -> list[Decision]:
        op_id = uuid.uuid4().hex
        waiting = asyncio.get_running_loop().create_future()
        self._waiting[op_id] = waiting
        try:
            command = pickle.dumps((op, args, now, self.worker, op_id))
            try:
                await self.redis.xadd(self.log_key, {"c": command})
            except (RedisError, OSError) as exc:
                raise QueueUnavailable(f"the shared queue is unreachable: {exc}") from exc
            try:
                return await asyncio.wait_for(waiting, self.submit_timeout)
            except TimeoutError:
                raise QueueUnavailable("the shared queue did not answer in time") from None
        finally:
            self._waiting.pop(op_id, None)

    async def aclose(self) -> None:
        """Stop following; the heartbeat key expires by itself, so this worker's agents have
        its time to live to reconnect elsewhere before the others log them out.

        The loops are stopped, not cancelled: a task cancelled inside a blocked Redis read
        may never finish (redis-py), so the read is woken by an entry on the worker's own
        wake stream and the loops see the stop."""
        self._stop.set()
        if self._tasks:
            with contextlib.suppress(RedisError, OSError):
                await self.redis.xadd(self._wake_key, {"w": b"1"}, maxlen=1)
            _done, pending = await asyncio.wait(self._tasks, timeout=BLOCK * 6)
            for task in pending:
                task.cancel()
            with contextlib.suppress(RedisError, OSError):
                await self.redis.delete(self._wake_key)
        self._tasks = []
        for waiting in self._waiting.values():
            if not waiting.done():
                waiting.set_exception(QueueUnavailable("the worker is stopping"))
        if self._owned:
            await self.redis.aclose()

    # -- following -----------------------------------------------------------------------------

    async def _catch_up(self) -> int:
        """Apply what the log holds after ``last`` (or the snapshot first); how many commands."""
        snap_id, snap_state, entries = await self._read(
            keys=[self.log_key, self.snapshot_key], args=[self.last, READ_BATCH]
        )
        replica = self._replica
        assert replica is not None
        if snap_id is not None:
            state = load(snap_state)
            if state is None:
                raise QueueUnavailable(f"the queue snapshot in {self.snapshot_key} is unreadable")
            replica.state = state
            self.last = snap_id.decode()
            if self._waiting:
                logger.warning("queue.snapshot_loaded", extra={"worker": self.worker})
        for entry_id, fields in entries:
            await self._apply(replica, entry_id.decode(), _fields(fields)[b"c"])
        return len(entries)

    async def _apply(self, replica: Replica, entry_id: str, data: bytes) -> None:
        try:
            op, args, now, worker, op_id = pickle.loads(data)  # trusted, see the docstring
        except Exception:
            logger.exception("queue.bad_command", extra={"id": entry_id})
            self.last = entry_id
            return
        waiting = self._waiting.get(op_id) if worker == self.worker else None
        decisions: list[Decision] = []
        try:
            decisions = replica.state.apply(op, args, now)
        except Exception as exc:  # the same on every worker: the issuer reports it
            if waiting is not None and not waiting.done():
                waiting.set_exception(exc)
            elif not isinstance(exc, RoutingError):
                logger.exception("queue.command_failed", extra={"op": op, "id": entry_id})
        else:
            if waiting is not None and not waiting.done():
                waiting.set_result(decisions)
        self.last = entry_id
        await replica.replicated(decisions)
        if worker == self.worker and replica.state.applied % self.snapshot_every == 0:
            await self._snapshot(replica.state, entry_id)

    async def _snapshot(self, state: QueueState, entry_id: str) -> None:
        try:
            await self._save(keys=[self.log_key, self.snapshot_key], args=[entry_id, dump(state)])
        except (RedisError, OSError) as exc:  # the next snapshot will do
            logger.warning("queue.snapshot_failed", extra={"error": repr(exc)})

    async def _follow(self) -> None:
        block = int(BLOCK * 1000)
        while not self._stop.is_set():
            try:
                if await self._catch_up() < READ_BATCH and not self._stop.is_set():
                    # At the end of the log: wait for a new command (XREAD answers at once if
                    # one came meanwhile); it is read, with the gap check, by _catch_up.
                    streams = {self.log_key: self.last, self._wake_key: "$"}
                    await self.redis.xread(streams, count=1, block=block)  # type: ignore[arg-type]
            except (RedisError, OSError) as exc:
                logger.warning("queue.disconnected", extra={"error": repr(exc)})
                await self._pause(self.reconnect_delay)
            except Exception:
                logger.exception("queue.follow_failed", extra={"worker": self.worker})
                await self._pause(self.reconnect_delay)

    async def _pause(self, seconds: float) -> None:
        """Sleep, or return at once when the log stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    # -- workers -------------------------------------------------------------------------------

    def _ttl(self) -> int:
        return max(int(self.heartbeat * 3), 1)

    async def _watch_workers(self) -> None:
        """Keep this worker's heartbeat; tell the queue of workers whose heartbeat is gone."""
        replica = self._replica
        assert replica is not None
        while True:
            await self._pause(self.heartbeat)
            if self._stop.is_set():
                return
            try:
                await self.redis.set(self._alive_key(self.worker), b"1", ex=self._ttl())
                for worker in replica.state.workers():
                    if worker != self.worker and not await self.redis.exists(
                        self._alive_key(worker)
                    ):
                        logger.info("queue.worker_gone", extra={"worker": worker})
                        await replica.worker_gone(worker)
            except (RedisError, OSError, RoutingError) as exc:
                logger.warning("queue.heartbeat_failed", extra={"error": repr(exc)})
            except Exception:
                # Whatever a departure's observers raise, this worker's own heartbeat must go
                # on: without it the others would log its agents out.
                logger.exception("queue.heartbeat_failed")


def _fields(fields: Any) -> dict[bytes, bytes]:
    """A stream entry's fields as redis-py returns them from a script (a flat list)."""
    if isinstance(fields, dict):
        return fields
    return dict(zip(fields[0::2], fields[1::2], strict=True))
