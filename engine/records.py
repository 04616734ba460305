"""Conversation records: the transcript and timing of every conversation, for records and stats.

The runtime reports new output frames; the queue reports its milestones. Timing follows the seed
products: queued at, first offer ("first ring"), agent joined, first agent reply, ended, closed
by (client / seat / admin / timer), rating. First response = agent joined - first ring (seed 000).
The first queueing and the first join are kept whatever follows (transfers, a flow's second
transfer node); the time agents served is summed per service segment, from a join to the end
of that service or to the transfer that ends it, so a wait in a new queue is not reception time.
A record keeps the channel the conversation came through (:class:`Channel`), a web
conversation's also where the visitor was at its start (:class:`Visit`); a transcript keeps a
survey's invitation (its scale beside the prompt) among the messages.
How a conversation ended, as records show it: ``stats.conversation_end_reason``.
Calls are synchronous database writes; async callers run them in a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Dialect, Engine, Table, func
from sqlmodel import Session, select

from chatflow.engine.clock import as_utc
from chatflow.engine.frames import Frame
from chatflow.engine.stats import micros_between
from chatflow.engine.stores.recordsdb import ConversationRow, MessageRow

_MESSAGES: Table = MessageRow.__table__  # type: ignore[attr-defined]
_LINE_COLUMNS = (
    "session_id", "merchant_id", "seq", "sender", "agent_account", "text", "survey", "at",
)  # fmt: skip
"""A transcript line's values, in this order; ``survey`` and ``at`` (the last two) still need
their columns' binding."""
Line = tuple[str, str, int, str, str | None, str, dict[str, Any] | None, datetime]


def _insert_lines(connection: Connection, lines: list[Line]) -> None:
    """Insert transcript lines with one executemany on the driver. SQLAlchemy's statement
    execution processes every row's parameters in Python, which cost more than the database's
    own insert (docs/performance.md); here only ``at`` and a survey's scale are converted, by
    their column types' own bind processors, so the rows are the ones the ORM would write."""
    statement, bind_survey, bind_at = _line_statement(connection.dialect)
    rows = [
        (
            *line[:-2],
            line[-2] if line[-2] is None or bind_survey is None else bind_survey(line[-2]),
            bind_at(line[-1]) if bind_at else line[-1],
        )
        for line in lines
    ]
    connection.exec_driver_sql(statement, rows)


def _line_statement(dialect: Dialect) -> tuple[str, Any, Any]:
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {_MESSAGES.name} ({', '.join(_LINE_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(_LINE_COLUMNS))})"
    )
    columns = _MESSAGES.c
    return (
        statement,
        columns.survey.type.dialect_impl(dialect).bind_processor(dialect),
        columns.at.type.dialect_impl(dialect).bind_processor(dialect),
    )


IMAGE_LABEL = "[图片]"
"""What a transcript line of an image says before the image's URL (the product's own word)."""


def _survey_scale(frame: Frame) -> dict[str, Any]:
    """What a transcript keeps of a survey besides its prompt: its style, levels and labels."""
    body = frame.body
    return {
        "style": str(body.get("style", "star")),
        "levels": int(body.get("levels", 5)),
        "labels": [str(label) for label in body.get("labels", ())],
    }


def _line_text(frame: Frame) -> str:
    """A message's text; an image (``image`` instead of ``text``) as ``[图片] <url>``, so
    transcripts, exports and searches show and find it rather than a blank line."""
    image = frame.body.get("image")
    if not image:
        return frame.text
    text = frame.text
    return f"{IMAGE_LABEL} {image} {text}" if text else f"{IMAGE_LABEL} {image}"


@dataclass(frozen=True, slots=True)
class Visit:
    """Where a web visitor was when a conversation started: their address, browser and the page
    the chat was opened on, as the request and the page said (checked by the channel). Stored
    on the record with its start, in the same insert."""

    ip: str | None = None
    user_agent: str | None = None
    page_url: str | None = None
    page_title: str | None = None
    referrer: str | None = None


NO_VISIT = Visit()
"""A conversation of a channel without a browser (the webhook channel)."""


@dataclass(frozen=True, slots=True)
class Channel:
    """The channel a conversation came through: the web visitor channel (on a site), or a
    webhook/IM channel, by its key in ``chatflow.yaml``. Stored with the record's start."""

    type: Literal["web", "webhook"] = "web"
    key: str | None = None
    """The webhook channel's key; None for the web channel."""


WEB = Channel()
"""The web visitor channel."""


@dataclass
class _Known:
    merchant: str
    last_seq: int


def _at(frame: Frame) -> datetime:
    return datetime.fromisoformat(frame.at) if frame.at else datetime.now(UTC)


class Recorder:
    """Writes conversation records into the records database.

    Each public method is one transaction; :meth:`run_batch` applies many calls in one, which is
    how the server's record writer keeps up with busy conversations.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._known: dict[str, _Known] = {}
        """Open conversations this process writes: merchant and last transcript seq."""
        self._lines: list[Line] = []
        """Transcript lines of the batch being written."""

    def run_batch(self, calls: Sequence[tuple[str, tuple[Any, ...], dict[str, Any]]]) -> None:
        """Apply ``(method, args, kwargs)`` calls in order, in one transaction."""
        self._lines = []
        try:
            with Session(self._engine) as db:
                for method, args, kwargs in calls:
                    getattr(self, f"_{method}")(db, *args, **kwargs)
                if self._lines:
                    _insert_lines(db.connection(), self._lines)
                db.commit()
        except BaseException:
            self._known.clear()  # what it says may not have been written: read it back next time
            raise

    def started(
        self,
        session_id: str,
        *,
        merchant: str,
        site: str,
        visitor: str,
        flow: str,
        at: datetime,
        visit: Visit = NO_VISIT,
        channel: Channel = WEB,
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
                        "visit": visit,
                        "channel": channel,
                    },
                )
            ]
        )

    def frames(self, session_id: str, frames: Iterable[Frame], *, agent: str | None = None) -> None:
        """Store message frames as transcript lines; note the first agent reply and the end.

        An agent line is attributed to its frame's ``author``, else to ``agent``."""
        self.run_batch([("frames", (session_id, list(frames)), {"agent": agent})])

    def queued(self, session_id: str, group: str, at: datetime) -> None:
        """Queued for a group (a flow's transfer node); only the first queueing's time is kept."""
        self.run_batch([("queued", (session_id, group, at), {})])

    def left_queue(self, session_id: str, at: datetime) -> None:
        """The flow took it out of the queue and goes on (no agents, the queue timeout)."""
        self.run_batch([("left_queue", (session_id, at), {})])

    def transferred(self, session_id: str, group: str | None, at: datetime) -> None:
        """Handed on by a transfer (an agent's or an admin's) to a group's queue, or to ring one
        agent (``group`` None: the group stays); the service of the agents before ends here."""
        self.run_batch([("transferred", (session_id, group, at), {})])

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
        visit: Visit = NO_VISIT,
        channel: Channel = WEB,
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
                    visitor_ip=visit.ip,
                    user_agent=visit.user_agent,
                    page_url=visit.page_url,
                    page_title=visit.page_title,
                    referrer=visit.referrer,
                    channel_type=channel.type,
                    channel_key=channel.key,
                )
            )

    def _frames(
        self, db: Session, session_id: str, frames: Iterable[Frame], *, agent: str | None = None
    ) -> None:
        frames = list(frames)
        known = self._known.get(session_id)
        if known is None:  # first frames of this session since the process started
            row = db.get(ConversationRow, session_id)
            if row is None:
                return
            last = db.exec(
                select(func.max(MessageRow.seq)).where(MessageRow.session_id == session_id)
            ).one()
            known = self._known[session_id] = _Known(row.merchant_id, last or 0)
        lines = self._lines
        agent_at: datetime | None = None
        for frame in frames:
            if frame.type not in ("message", "survey") or frame.seq <= known.last_seq:
                continue
            known.last_seq = frame.seq
            if frame.type == "survey":  # the invitation, a bot line, so the rating reads as one
                prompt = str(frame.body.get("prompt", ""))
                survey = _survey_scale(frame)
                lines.append(
                    (session_id, known.merchant, frame.seq, "bot", None, prompt, survey, _at(frame))
                )
                continue
            sender = frame.sender
            if sender == "agent" and agent_at is None:
                agent_at = _at(frame)
            author = (frame.author or agent) if sender == "agent" else None
            text = _line_text(frame)
            at = _at(frame)
            lines.append((session_id, known.merchant, frame.seq, sender, author, text, None, at))
        ended = next((f for f in frames if f.type == "ended"), None)
        if agent_at is None and ended is None:
            return
        row = db.get(ConversationRow, session_id)
        if row is None:
            return
        if agent_at is not None and row.first_agent_reply_at is None:
            row.first_agent_reply_at = agent_at
        if ended is not None and row.ended_at is None:
            row.ended_at = _at(ended)
            row.end_reason = str(ended.body.get("reason", "flow"))
            if row.status == "queued" and row.agent_joined_at is None:
                row.abandoned = True  # never served; a served visitor who left a new queue is not
                row.queue_left_at = row.ended_at
            _end_segment(row, row.ended_at)  # the queue's own service end may come just after
            row.status = "ended"
            self._known.pop(session_id, None)
        db.add(row)

    def _queued(self, db: Session, session_id: str, group: str, at: datetime) -> None:
        """A flow's second transfer node queues it again: the record moves to that group, and
        ``queued_at`` stays the first queueing (the visitor's wait runs from there)."""
        row = db.get(ConversationRow, session_id)
        if row is None or row.status == "ended":
            return
        row.status = "queued"
        row.group_id = group
        if row.queued_at is None:
            row.queued_at = at
        row.abandoned, row.queue_left_at = False, None  # a new wait: how it ends is not known
        db.add(row)

    def _left_queue(self, db: Session, session_id: str, at: datetime) -> None:
        """The flow gave up the wait and goes on: the bot's again. Never served: it left the
        queue unserved (``abandoned``), its wait ending here, not when the conversation does."""
        row = db.get(ConversationRow, session_id)
        if row is None or row.status != "queued":
            return
        row.status = "bot"
        if row.agent_joined_at is None:
            row.abandoned, row.queue_left_at = True, at
        db.add(row)

    def _transferred(self, db: Session, session_id: str, group: str | None, at: datetime) -> None:
        """The record names the group the conversation was queued for last, so the group that
        served it in the end counts it, once. ``queued_at`` and ``agent_joined_at`` stay the
        first queueing and the first join; the service of the agents before ends at ``at``."""
        row = db.get(ConversationRow, session_id)
        if row is None or row.status == "ended":
            return
        _end_segment(row, at)
        if group is not None:
            row.group_id = group
        row.status = "queued"
        db.add(row)

    def _rang(self, db: Session, session_id: str, agent: str, at: datetime) -> None:
        row = db.get(ConversationRow, session_id)
        if row is not None and row.first_ring_at is None:
            row.first_ring_at = at
            db.add(row)

    def _joined(self, db: Session, session_id: str, agent: str, at: datetime) -> None:
        row = db.get(ConversationRow, session_id)
        if row is None or row.status == "ended":
            return
        row.status = "with_agent"
        if row.agent_joined_at is None:
            row.agent_joined_at = at
        if _segment_start(row) is None:
            row.segment_started_at = at
        row.agent_account = agent
        if agent not in row.agents:
            row.agents = [*row.agents, agent]
        db.add(row)

    def _service_ended(self, db: Session, session_id: str, closed_by: str, at: datetime) -> None:
        """The agents' service ended; a conversation that goes on (the flow's survey after the
        transfer node) is with the bot again, not "with an agent" until it ends."""
        row = db.get(ConversationRow, session_id)
        if row is None:
            return
        _end_segment(row, at)
        row.closed_by = closed_by
        row.service_ended_at = at
        if row.status == "with_agent":
            row.status = "bot"
        db.add(row)

    def _rated(self, db: Session, session_id: str, score: int) -> None:
        self._set(db, session_id, rating=score)

    def _set(self, db: Session, session_id: str, **values: object) -> None:
        row = db.get(ConversationRow, session_id)
        if row is None:
            return
        for name, value in values.items():
            setattr(row, name, value)
        db.add(row)


def _segment_start(row: ConversationRow) -> datetime | None:
    """When the service running now started; None when no agent serves. A record an older
    version wrote while an agent served it has no segment: its service runs from the join."""
    if row.segment_started_at is not None:
        return row.segment_started_at
    legacy = row.status == "with_agent" and row.served_micros is None
    return row.agent_joined_at if legacy and row.service_ended_at is None else None


def _end_segment(row: ConversationRow, at: datetime) -> None:
    """End the service running now, if any: its time joins the time agents served."""
    start = _segment_start(row)
    if start is None:
        return
    row.served_micros = (row.served_micros or 0) + (micros_between(start, at) or 0)
    row.segment_started_at = None


def first_response_seconds(row: ConversationRow) -> float | None:
    """Agent join time - first ring time (seed 000), None when either is missing."""
    joined, rang = as_utc(row.agent_joined_at), as_utc(row.first_ring_at)
    if joined is None or rang is None:
        return None
    return (joined - rang).total_seconds()
