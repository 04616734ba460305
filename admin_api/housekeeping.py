"""Retention, carried out: ``chatflow serve`` lets go of what ``retention`` in chatflow.yaml says
is old enough, once an hour (docs/deployment.md, "Retention").

One pass, :meth:`Housekeeping.sweep`:

1. live sessions without any event for ``inactive_sessions_days`` are closed as abandoned
   (ended reason ``idle``), so that they too are let go of in time;
2. ended sessions last changed more than ``ended_sessions_days`` ago leave the session store
   (their state, event log, idempotency keys and timers), in batches;
3. with ``records_days`` set, ended conversations that started longer ago than that are
   deleted from the records database (record, transcript, images with their bytes, webhook
   deliveries) and from the session store;
4. webhook message ids older than ``ended_sessions_days`` and expired login tokens go.

Every step is a short write of at most one batch, so visitors and agents never wait long for
the database. Several workers may sweep at once: each deletion is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from chatflow.channels.image_blobs import ImageBlobs, discard_images
from chatflow.engine.clock import Clock
from chatflow.engine.config import Retention
from chatflow.engine.events import SessionClosed
from chatflow.engine.retention import (
    delete_conversations,
    expired_conversations,
    prune_tokens,
    prune_webhook_ids,
)
from chatflow.engine.runtime import Runtime
from chatflow.engine.stores.base import FORGET_BATCH
from chatflow.engine.stores.recordsdb import utcnow

logger = logging.getLogger("chatflow.housekeeping")

EVERY = 3600.0
"""Seconds between two sweeps."""
FIRST_AFTER = 60.0
"""Seconds after start before the first sweep: start-up and recovery come first."""


@dataclass
class Swept:
    """What one sweep let go of."""

    closed: int = 0
    """Live sessions closed as abandoned."""
    sessions: int = 0
    """Sessions deleted from the session store."""
    records: int = 0
    images: int = 0
    webhook_ids: int = 0
    tokens: int = 0


class Housekeeping:
    def __init__(
        self,
        retention: Retention,
        runtime: Runtime,
        records: Engine,
        blobs: ImageBlobs,
        clock: Clock,
        *,
        wall_clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.retention = retention
        self.runtime = runtime
        self.records = records
        self.blobs = blobs
        self.clock = clock
        self.wall_clock = wall_clock
        """Login tokens expire by the wall clock, as the auth service issues them."""

    async def sweep(self) -> Swept:
        """One pass over everything retention covers (see the module docstring)."""
        swept = Swept()
        now = self.clock.now()
        session_cutoff = now - timedelta(days=self.retention.ended_sessions_days)
        if self.retention.inactive_sessions_days is not None:
            idle_cutoff = now - timedelta(days=self.retention.inactive_sessions_days)
            swept.closed = await self._close_inactive(idle_cutoff, now)
        while ids := await self.runtime.ended_before(session_cutoff, FORGET_BATCH):
            gone = await self.runtime.forget(ids)
            swept.sessions += gone
            if gone == 0 or len(ids) < FORGET_BATCH:
                break
            await asyncio.sleep(0)  # the loop's other work gets its turn between batches
        if self.retention.records_days is not None:
            cutoff = now - timedelta(days=self.retention.records_days)
            while ids := await asyncio.to_thread(expired_conversations, self.records, cutoff):
                images = await asyncio.to_thread(self._delete_records, ids)
                swept.sessions += await self.deleted(ids, images)
                swept.records += len(ids)
                swept.images += len(images)
        before = session_cutoff.timestamp()
        swept.webhook_ids = await asyncio.to_thread(prune_webhook_ids, self.records, before)
        swept.tokens = await asyncio.to_thread(prune_tokens, self.records, self.wall_clock())
        if any(asdict(swept).values()):
            logger.info("housekeeping.swept", extra=asdict(swept))
        return swept

    async def _close_inactive(self, cutoff: datetime, now: datetime) -> int:
        """Close live sessions untouched since ``cutoff`` (reason ``idle``), but not one whose
        flow waits on a timer due after ``now``."""
        closed = 0
        while ids := await self.runtime.inactive_before(cutoff, FORGET_BATCH):
            done = 0
            for session in await self.runtime.find(ids):
                if session is None or any(t.due > now for t in session.timers.values()):
                    continue
                event = SessionClosed(key=f"retention-close:{session.id}", reason="idle")
                done += await self.runtime.apply(session.id, event)
            closed += done
            if done == 0 or len(ids) < FORGET_BATCH:
                break
        return closed

    async def deleted(self, session_ids: list[str], images: list[str]) -> int:
        """What follows the deletion of conversations' records (here, and the console's
        delete): their images' bytes, then their sessions. How many sessions went."""
        await asyncio.to_thread(discard_images, self.blobs, images)
        return await self.runtime.forget(session_ids)

    def _delete_records(self, session_ids: list[str]) -> list[str]:
        with Session(self.records) as db:
            images = delete_conversations(db, session_ids)
            db.commit()
        return images

    async def run(self, every: float = EVERY, first_after: float = FIRST_AFTER) -> None:
        """Sweep every ``every`` seconds until cancelled; a failed sweep is logged and the
        next one tries again."""
        await asyncio.sleep(first_after)
        while True:
            try:
                await self.sweep()
            except Exception:
                logger.exception("housekeeping.failed")
            await asyncio.sleep(every)
