"""Conversation records: the transcript and timing of every conversation, for records and stats.

The runtime reports new output frames; the queue reports its milestones. Timing follows the seed
products: queued at, first offer ("first ring"), agent joined, first agent reply, ended, closed
by (client / seat / admin / timer), rating. First response = agent joined - first ring (seed 000).
Calls are synchronous database writes; async callers run them in a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from chatflow.engine.frames import Frame
from chatflow.engine.stores.recordsdb import ConversationRow, MessageRow


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Recorder:
    """Writes conversation records into the records database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def started(
        self, session_id: str, *, merchant: str, site: str, visitor: str, flow: str, at: datetime
    ) -> None:
        with Session(self._engine) as db:
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
                db.commit()

    def frames(self, session_id: str, frames: Iterable[Frame], *, agent: str | None = None) -> None:
        """Store message frames as transcript lines; note the first agent reply and the end."""
        with Session(self._engine) as db:
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
                    if sender == "agent" and row.first_agent_reply_at is None:
                        row.first_agent_reply_at = at
                elif frame.type == "ended" and row.ended_at is None:
                    row.ended_at = at
                    row.end_reason = str(frame.body.get("reason", "flow"))
                    if row.status == "queued":
                        row.abandoned = True
                    row.status = "ended"
            db.add(row)
            db.commit()

    def queued(self, session_id: str, group: str, at: datetime) -> None:
        self._update(session_id, status="queued", group_id=group, queued_at=at)

    def rang(self, session_id: str, agent: str, at: datetime) -> None:
        """An offer rang for an agent; only the first ring is kept."""
        with Session(self._engine) as db:
            row = db.get(ConversationRow, session_id)
            if row is not None and row.first_ring_at is None:
                row.first_ring_at = at
                db.add(row)
                db.commit()

    def joined(self, session_id: str, agent: str, at: datetime) -> None:
        with Session(self._engine) as db:
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
            db.commit()

    def service_ended(self, session_id: str, closed_by: str, at: datetime) -> None:
        self._update(session_id, closed_by=closed_by)

    def rated(self, session_id: str, score: int) -> None:
        self._update(session_id, rating=score)

    def _update(self, session_id: str, **values: object) -> None:
        with Session(self._engine) as db:
            row = db.get(ConversationRow, session_id)
            if row is None:
                return
            for name, value in values.items():
                setattr(row, name, value)
            db.add(row)
            db.commit()


def first_response_seconds(row: ConversationRow) -> float | None:
    """Agent join time - first ring time (seed 000), None when either is missing."""
    joined, rang = _aware(row.agent_joined_at), _aware(row.first_ring_at)
    if joined is None or rang is None:
        return None
    return (joined - rang).total_seconds()
