"""The webhook channel's outbox: every output frame of its sessions, posted signed to the channel's
``webhook_url``, in ``seq`` order per session, retried with exponential backoff, recorded.

The session's output log (the runtime's store) is the truth. A worker per session copies new
frames into ``webhook_delivery`` rows (``pending``), then sends the lowest pending ``seq`` until
a 2xx marks it ``delivered`` or its attempts run out (``failed``); only then does the next frame
go. Nothing but a 2xx counts as delivered. Rows, attempt counts and due times are in the records
database, so a restart resumes where the last process stopped (:meth:`Outbox.start`); a lease on
the row being sent keeps two processes from sending it at once. Delivery is at least once: a
crash between a 2xx and its record sends that frame again, with the same ``X-Chatflow-Delivery``.
An admin may send a failed frame again (:meth:`Outbox.retry`): it rejoins its session's queue at
its own ``seq``, so it goes before the session's later frames that are still pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session as Db
from sqlmodel import col, select

from chatflow.channels.webhook_http import Sender, SendResult
from chatflow.channels.webhook_signing import HEADER, sign
from chatflow.engine.clock import Clock
from chatflow.engine.frames import Frame
from chatflow.engine.httpcall import Backoff
from chatflow.engine.stores.channeltables import DeliveryRow, WebhookSessionRow

logger = logging.getLogger("chatflow.channels.webhook")

BATCH = 200
NOT_OURS = 10_000
"""Session ids remembered as not webhook sessions (so their frames cost no query)."""
DELIVERY_HEADER = "X-Chatflow-Delivery"
ReadOutputs = Callable[[str, int, int], Awaitable[list[Frame]]]
"""``(session_id, after_seq, limit) -> frames``: the runtime's ``outputs``."""


@dataclass(frozen=True)
class Destination:
    """Where a channel's frames go, and the secret they are signed with."""

    key: str
    url: str
    secret: bytes


def payload_for(row: DeliveryRow, user_id: str) -> bytes:
    """The delivered JSON (compact UTF-8); the signature covers exactly these bytes."""
    body = {
        "delivery_id": f"{row.session_id}:{row.seq}",
        "channel": row.channel_key,
        "user_id": user_id,
        "session_id": row.session_id,
        "seq": row.seq,
        "frame": row.payload,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class Outbox:
    """See the module docstring; ``on_frames`` is a runtime output listener."""

    def __init__(
        self,
        records: Engine,
        read_outputs: ReadOutputs,
        destinations: Mapping[str, Destination],
        sender: Sender,
        clock: Clock,
        *,
        max_attempts: int = 8,
        backoff: Callable[[int], float] | None = None,
        timeout: float = 10.0,
        lease: float = 60.0,
        sweep_interval: float = 5.0,
    ) -> None:
        self.records = records
        self.read_outputs = read_outputs
        self.destinations = dict(destinations)
        self.sender = sender
        self.clock = clock
        self.max_attempts = max_attempts
        self.backoff = backoff or Backoff(base=2.0, cap=300.0)
        """Seconds before retry ``n`` (1-based); 2, 4, 8... up to 5 minutes, with jitter."""
        self.timeout = timeout
        self.lease = lease
        self.sweep_interval = sweep_interval
        self.sessions: dict[str, str] = {}
        """Open webhook sessions of this process -> channel key (the listener's filter)."""
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._dirty: set[str] = set()
        self._not_ours: OrderedDict[str, None] = OrderedDict()
        self._lookups: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._pauses: dict[str, asyncio.Event] = {}
        """Sessions whose worker waits for its head to be due; set to cut the wait short."""
        self._retried: set[str] = set()
        """Sessions with a frame sent again since their worker last read its head."""

    # -- wiring ------------------------------------------------------------------------------

    def track(self, session_id: str, channel_key: str) -> None:
        """A new session of a channel (its ``webhook_session`` row is already written)."""
        self.sessions[session_id] = channel_key

    def on_frames(self, session_id: str, frames: Sequence[Frame]) -> None:
        """Wake the session's worker; a session this process did not start (another worker
        started it, or a restart) is looked up once, then remembered either way."""
        if session_id in self.sessions:
            self.wake(session_id)
        elif session_id not in self._not_ours:
            task = asyncio.create_task(self._lookup(session_id))
            self._lookups.add(task)
            task.add_done_callback(self._lookups.discard)

    async def _lookup(self, session_id: str) -> None:
        try:
            row = await asyncio.to_thread(self._session_row, session_id)
        except Exception:
            logger.exception("webhook.lookup_failed", extra={"session_id": session_id})
            return
        if row is not None and not row.closed:
            self.track(session_id, row.channel_key)
            self.wake(session_id)
        else:
            self._not_ours[session_id] = None
            while len(self._not_ours) > NOT_OURS:
                self._not_ours.popitem(last=False)

    def wake(self, session_id: str) -> None:
        if session_id in self._workers:
            self._dirty.add(session_id)
        else:
            self._workers[session_id] = asyncio.create_task(self._work(session_id))

    async def retry(self, delivery_id: int) -> bool:
        """Send a ``failed`` delivery again: back to ``pending`` with no attempts, due now, and its
        session's worker woken. Being the lowest pending ``seq`` of its session (every later
        frame waited for it), it is the next one sent: after the attempt in flight, before the
        frames still pending. False when the row is not ``failed`` (any more)."""
        session_id = await asyncio.to_thread(self._reset, delivery_id)
        if session_id is None:
            return False
        logger.info("webhook.retry_requested", extra={"session_id": session_id})
        self._retried.add(session_id)
        self.wake(session_id)
        if (pause := self._pauses.get(session_id)) is not None:
            pause.set()
        return True

    async def start(self) -> None:
        """Resume every open session (frames queued before a restart, pending deliveries)."""
        for row in await asyncio.to_thread(self._open_sessions):
            self.track(row.session_id, row.channel_key)
            self.wake(row.session_id)
        self._sweeper = asyncio.create_task(self._sweep())

    async def drain(self) -> None:
        """Wait until no session has work in progress (tests)."""
        while self._workers or self._lookups:
            pending = [*self._workers.values(), *self._lookups]
            await asyncio.gather(*pending, return_exceptions=True)

    async def aclose(self) -> None:
        tasks = [*self._workers.values(), *self._lookups]
        tasks += [self._sweeper] if self._sweeper else []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._workers.clear()

    # -- the per-session worker --------------------------------------------------------------

    async def _work(self, session_id: str) -> None:
        try:
            meta = await asyncio.to_thread(self._session_row, session_id)
            if meta is None:
                return
            last = await self.read_outputs(session_id, max(meta.queued_seq - 1, 0), 1)
            ended = bool(last) and last[-1].type == "ended" and last[-1].seq == meta.queued_seq
            while True:
                self._dirty.discard(session_id)
                ended = await self._queue_frames(meta) or ended
                row = await asyncio.to_thread(self._head, session_id)
                if row is None:
                    if session_id in self._dirty:
                        continue
                    if ended:
                        await asyncio.to_thread(self._close, session_id)
                        self.sessions.pop(session_id, None)
                    return
                wait = row.next_attempt_at - self.clock.now().timestamp()
                if wait > 0:
                    cut_short = await self._pause(session_id, wait)
                    head = await asyncio.to_thread(self._head, session_id)
                    if cut_short or head is None or head.id != row.id:
                        continue  # an earlier frame was retried meanwhile, or this one settled
                    row = head
                if not await self._attempt(row, meta):
                    return  # another process holds it; its worker carries on
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("webhook.worker_failed", extra={"session_id": session_id})
        finally:
            self._workers.pop(session_id, None)
            self._retried.discard(session_id)

    async def _pause(self, session_id: str, seconds: float) -> bool:
        """Wait ``seconds``; True at once, or when it is cut short, if :meth:`retry` sent a frame
        of the session again (since the head was read, or while waiting)."""
        pause = self._pauses[session_id] = asyncio.Event()
        try:
            if session_id not in self._retried:
                await asyncio.wait_for(pause.wait(), seconds)
        except TimeoutError:
            return False
        finally:
            self._pauses.pop(session_id, None)
        self._retried.discard(session_id)
        return True

    async def _queue_frames(self, meta: WebhookSessionRow) -> bool:
        """Copy frames past ``queued_seq`` into pending rows; True if one of them is ``ended``."""
        ended = False
        while True:
            frames = await self.read_outputs(meta.session_id, meta.queued_seq, BATCH)
            if frames:
                await asyncio.to_thread(self._insert, meta, frames)
                meta.queued_seq = frames[-1].seq
            ended = ended or any(f.type == "ended" for f in frames)
            if len(frames) < BATCH:
                return ended

    async def _attempt(self, row: DeliveryRow, meta: WebhookSessionRow) -> bool:
        now = self.clock.now().timestamp()
        if not await asyncio.to_thread(self._take_lease, row.id, now):
            return False
        destination = self.destinations.get(row.channel_key)
        attempt = row.attempts + 1
        if destination is None:
            result = SendResult(None, "the channel is no longer configured", final=True)
        else:
            body = payload_for(row, meta.user_id)
            headers = [
                ("Content-Type", "application/json"),
                (HEADER, sign(destination.secret, body, int(now))),
                (DELIVERY_HEADER, f"{row.session_id}:{row.seq}"),
                ("X-Chatflow-Attempt", str(attempt)),
                ("User-Agent", "chatflow-webhook/1"),
            ]
            try:
                result = await self.sender(destination.url, body, headers, self.timeout)
            except asyncio.CancelledError:  # shutting down: let the next start send it at once
                self._release(row.id)
                raise
            except Exception as exc:  # a sender bug must not mark anything delivered
                logger.exception("webhook.sender_failed", extra={"session_id": row.session_id})
                result = SendResult(None, f"error: {type(exc).__name__}: {exc}")
        await asyncio.to_thread(self._record, row, attempt, result)
        return True

    # -- the records database ----------------------------------------------------------------

    def _open_sessions(self) -> list[WebhookSessionRow]:
        with Db(self.records) as db:
            stmt = select(WebhookSessionRow).where(col(WebhookSessionRow.closed).is_(False))
            return list(db.exec(stmt).all())

    def _session_row(self, session_id: str) -> WebhookSessionRow | None:
        with Db(self.records) as db:
            return db.get(WebhookSessionRow, session_id)

    def _insert(self, meta: WebhookSessionRow, frames: list[Frame]) -> None:
        for _try in range(3):
            try:
                with Db(self.records) as db:
                    known = set(
                        db.exec(
                            select(DeliveryRow.seq).where(
                                DeliveryRow.session_id == meta.session_id,
                                col(DeliveryRow.seq) > meta.queued_seq,
                            )
                        ).all()
                    )
                    for frame in frames:
                        if frame.seq not in known:
                            db.add(self._row(meta, frame))
                    row = db.get(WebhookSessionRow, meta.session_id)
                    if row is not None:
                        row.queued_seq = max(row.queued_seq, frames[-1].seq)
                        db.add(row)
                    db.commit()
                return
            except IntegrityError:  # another process queued the same frames meanwhile
                continue

    def _row(self, meta: WebhookSessionRow, frame: Frame) -> DeliveryRow:
        return DeliveryRow(
            channel_key=meta.channel_key,
            session_id=meta.session_id,
            seq=frame.seq,
            payload=frame.to_json(),
            next_attempt_at=0.0,
            created_at=self.clock.now(),
        )

    def _head(self, session_id: str) -> DeliveryRow | None:
        """The session's lowest pending frame: nothing after it goes before it is settled."""
        with Db(self.records) as db:
            stmt = (
                select(DeliveryRow)
                .where(DeliveryRow.session_id == session_id, DeliveryRow.status == "pending")
                .order_by(col(DeliveryRow.seq))
                .limit(1)
            )
            return db.exec(stmt).first()

    def _take_lease(self, row_id: int | None, now: float) -> bool:
        stmt = (
            update(DeliveryRow)
            .where(
                col(DeliveryRow.id) == row_id,
                col(DeliveryRow.status) == "pending",
                col(DeliveryRow.lease_until).is_(None) | (col(DeliveryRow.lease_until) < now),
            )
            .values(lease_until=now + self.timeout + self.lease)
        )
        with self.records.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    def _release(self, row_id: int | None) -> None:
        with self.records.begin() as conn:
            conn.execute(
                update(DeliveryRow).where(col(DeliveryRow.id) == row_id).values(lease_until=None)
            )

    def _record(self, row: DeliveryRow, attempt: int, result: SendResult) -> None:
        values: dict[str, Any] = {
            "attempts": attempt,
            "last_status": result.status,
            "last_error": result.error,
            "lease_until": None,
        }
        ids = {"session_id": row.session_id, "seq": row.seq, "channel": row.channel_key}
        if result.delivered:
            delivered = self.clock.now()
            values.update(status="delivered", delivered_at=delivered, last_error=None)
            logger.info("webhook.delivered", extra={**ids, "attempts": attempt})
        elif result.final or attempt >= self.max_attempts:
            values["status"] = "failed"
            logger.warning("webhook.failed", extra={**ids, "error": result.error})
        else:
            delay = self.backoff(attempt)
            values["next_attempt_at"] = self.clock.now().timestamp() + delay
            logger.info("webhook.retry", extra={**ids, "error": result.error, "in": delay})
        with self.records.begin() as conn:
            conn.execute(update(DeliveryRow).where(col(DeliveryRow.id) == row.id).values(values))

    def _reset(self, delivery_id: int) -> str | None:
        """A failed row back to pending (its last status and error stay until the next attempt);
        its session id, or None when it was not failed."""
        failed = (col(DeliveryRow.id) == delivery_id, col(DeliveryRow.status) == "failed")
        with self.records.begin() as conn:
            session_id = conn.execute(select(DeliveryRow.session_id).where(*failed)).scalar()
            reset = update(DeliveryRow).where(*failed)
            values = {"status": "pending", "attempts": 0, "next_attempt_at": 0.0}
            if conn.execute(reset.values(lease_until=None, **values)).rowcount != 1:
                return None
        return None if session_id is None else str(session_id)

    def _close(self, session_id: str) -> None:
        with self.records.begin() as conn:
            conn.execute(
                update(WebhookSessionRow)
                .where(col(WebhookSessionRow.session_id) == session_id)
                .values(closed=True)
            )

    def _due_sessions(self, now: float) -> list[str]:
        with Db(self.records) as db:
            stmt = (
                select(DeliveryRow.session_id)
                .where(
                    DeliveryRow.status == "pending",
                    col(DeliveryRow.next_attempt_at) <= now,
                    col(DeliveryRow.lease_until).is_(None) | (col(DeliveryRow.lease_until) < now),
                )
                .distinct()
                .limit(500)
            )
            return list(db.exec(stmt).all())

    async def _sweep(self) -> None:
        """Now and then, pick up due deliveries nobody works on (a lost wake-up, a dead worker)."""
        while True:
            await asyncio.sleep(self.sweep_interval)
            with contextlib.suppress(Exception):
                for session_id in await asyncio.to_thread(
                    self._due_sessions, self.clock.now().timestamp()
                ):
                    if session_id not in self._workers:
                        self.wake(session_id)
