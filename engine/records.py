"""Conversation records: the transcript and timing of every conversation, for records and stats.

The runtime reports new output frames; the queue reports its milestones. Timing follows the seed
products: queued at, first offer ("first ring"), agent joined, first agent reply, ended, closed
by (client / seat / admin / timer), rating. First response = agent joined - first ring (seed 000).
Calls are synchronous database writes; async callers run them in a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from chatflow.engine.frames import Frame
from chatflow.engine.stores.recordsdb import ConversationRow, MessageRow


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Recorder:
    """Writes conversation records into the records database.

    Each public method is one transaction; :meth:`run_batch` applies many calls in one, which is
    how the server's record writer keeps up with busy conversations.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def run_batch(self, calls: Sequence[tuple[str, tuple[Any, ...], dict[str, Any]]]) -> None:
        """Apply ``(method, args, kwargs)`` calls in order, in one transaction."""
        with Session(self._engine) as db:
            for method, args, kwargs in calls:
                getattr(self, f"_{method}")(db, *args, **kwargs)
                db.flush()
            db.commit()

    def started(
        self, session_id: str, *, merchant: str, site: str, visitor: str, flow: str, at: datetime
    ) -> None:
        self.run_batch(
            [
                (
                    "started",
                    (session_id,),
                    {
                        "merchant": merchant,
                        "site": site,
                        "visitor": visitor,
                        "flow": flow,
                        "at": at,
                    },
                )
            ]
        )

    def frames(self, session_id: str, frames: Iterable[Frame], *, agent: str | None = None) -> None:
        """Store message frames as transcript lines; note the first agent reply and the end."""
        self.run_batch([("frames", (session_id, list(frames)), {"agent": agent})])

    def queued(self, session_id: str, group: str, at: datetime) -> None:
        self.run_batch([("queued", (session_id, group, at), {})])

    def rang(self, session_id: str, agent: str, at: datetime) -> None:
        """An offer rang for an agent; only the first ring is kept."""
        self.run_batch([("rang", (session_id, agent, at), {})])

    def joined(self, session_id: str, agent: str, at: datetime) -> None:
        self.run_batch([("joined", (session_id, agent, at), {})])

    def service_ended(self, session_id: str, closed_by: str, at: datetime) -> None:
        self.run_batch([("service_ended", (session_id, closed_by, at), {})])

    def rated(self, session_id: str, score: int) -> None:
        self.run_batch([("rated", (session_id, score), {})])

    # -- the work, inside a caller's transaction ---------------------------------------------

    def _started(
        self,
        db: Session,
        session_id: str,
        *,
        merchant: str,
        site: str,
        visitor: str,
        flow: str,
        at: datetime,
    ) -> None:
        if db.get(ConversationRow, session_id) is None:
            db.add(
                ConversationRow(
                    session_id=session_id,
                    merchant_id=merchant,
                    site_key=site,
                    visitor_id=visitor,
                    flow_id=flow,
                    started_at=at,
                )
            )

    def _frames(
        self, db: Session, session_id: str, frames: Iterable[Frame], *, agent: str | None = None
    ) -> None:
        row = db.get(ConversationRow, session_id)
        if row is None:
            return
        known = set(
            db.exec(select(MessageRow.seq).where(MessageRow.session_id == session_id)).all()
        )
        for frame in frames:
            at = datetime.fromisoformat(frame.at) if frame.at else datetime.now(UTC)
            if frame.type == "message" and frame.seq not in known:
                sender = frame.sender
                db.add(
                    MessageRow(
                        session_id=session_id,
                        merchant_id=row.merchant_id,
                        seq=frame.seq,
                        sender=sender,
                        agent_account=agent if sender == "agent" else None,
                        text=frame.text,
                        at=at,
                    )
                )
                known.add(frame.seq)
                if sender == "agent" and row.first_agent_reply_at is None:
                    row.first_agent_reply_at = at
            elif frame.type == "ended" and row.ended_at is None:
                row.ended_at = at
                row.end_reason = str(frame.body.get("reason", "flow"))
                if row.status == "queued":
                    row.abandoned = True
                row.status = "ended"
        db.add(row)

    def _queued(self, db: Session, session_id: str, group: str, at: datetime) -> None:
        self._set(db, session_id, status="queued", group_id=group, queued_at=at)

    def _rang(self, db: Session, session_id: str, agent: str, at: datetime) -> None:
        row = db.get(ConversationRow, session_id)
        if row is not None and row.first_ring_at is None:
            row.first_ring_at = at
            db.add(row)

    def _joined(self, db: Session, session_id: str, agent: str, at: datetime) -> None:
        row = db.get(ConversationRow, session_id)
        if row is None:
            return
        row.status = "with_agent"
        if row.agent_joined_at is None:
            row.agent_joined_at = at
        row.agent_account = agent
        if agent not in row.agents:
            row.agents = [*row.agents, agent]
        db.add(row)

    def _service_ended(self, db: Session, session_id: str, closed_by: str, at: datetime) -> None:
        self._set(db, session_id, closed_by=closed_by)

    def _rated(self, db: Session, session_id: str, score: int) -> None:
        self._set(db, session_id, rating=score)

    def _set(self, db: Session, session_id: str, **values: object) -> None:
        row = db.get(ConversationRow, session_id)
        if row is None:
            return
        for name, value in values.items():
            setattr(row, name, value)
        db.add(row)


def first_response_seconds(row: ConversationRow) -> float | None:
    """Agent join time - first ring time (seed 000), None when either is missing."""
    joined, rang = _aware(row.agent_joined_at), _aware(row.first_ring_at)
    if joined is None or rang is None:
        return None
    return (joined - rang).total_seconds()
