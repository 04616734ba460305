"""Which conversation records a caller sees: tenant, scope and filters as SQL clauses.

Records, their exports and the statistics all read conversations through :func:`record_clauses`,
so tenant isolation (merchant), the site scope and the agent scope (self / groups / all) are
applied in one place. Large reads go through :func:`iter_records`: keyset pages in short
transactions, never the whole range in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, get_args

from fastapi import Query, Request
from pydantic import Field
from sqlalchemy import ColumnElement, Engine, String, and_, case, cast, exists, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Mapped, aliased
from sqlmodel import Session, col, select

from chatflow.admin_api.permissions import Actor
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.tenants import MAX_INT
from chatflow.engine.clock import as_utc
from chatflow.engine.effects import EndReason
from chatflow.engine.events import ClosedBy
from chatflow.engine.stats import SERVICE_END_REASONS, WRAP_UP_REASONS
from chatflow.engine.stores.contenttables import VisitorRow, VisitorTagRow
from chatflow.engine.stores.recordsdb import ConversationRow, MessageRow

DEFAULT_DAYS = 30
"""Seed 000: history shows the last 30 days unless asked otherwise."""

CHOICES: dict[str, tuple[str, ...]] = {
    "status": ("bot", "queued", "with_agent", "ended"),
    "closed_by": get_args(ClosedBy),
    "end_reason": get_args(EndReason),
}
"""The values of the enumerated filters, as a record says them (``end_reason`` as records show
it, ``stats.conversation_end_reason``); another value is refused, not matched against nothing."""


@dataclass(frozen=True, slots=True)
class Record:
    """A conversation record as lists, exports and statistics read it: plain columns and the
    visitor's name from its profile (several times cheaper to load than the ORM row)."""

    session_id: str
    merchant_id: str
    site_key: str
    visitor_id: str
    flow_id: str
    status: str
    group_id: str | None
    agent_account: str | None
    agents: list[str]
    started_at: datetime
    queued_at: datetime | None
    first_ring_at: datetime | None
    agent_joined_at: datetime | None
    service_ended_at: datetime | None
    segment_started_at: datetime | None
    served_micros: int | None
    first_agent_reply_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    closed_by: str | None
    rating: int | None
    abandoned: bool
    queue_left_at: datetime | None
    visitor_ip: str | None
    user_agent: str | None
    page_url: str | None
    page_title: str | None
    referrer: str | None
    channel_type: str | None
    channel_key: str | None
    visitor_name: str | None
    """From the profile, not the record: read last (see ``_COLUMNS``)."""


_COLUMNS = [getattr(ConversationRow, name) for name in Record.__slots__ if name != "visitor_name"]


def escape_like(text: str) -> str:
    """``text`` for a LIKE pattern with ``escape="\\"``: ``%`` and ``_`` match themselves."""
    return re.sub(r"([\\%_])", r"\\\1", text)


def now(request: Request) -> datetime:
    """The app's clock (``app.state.clock``, a frozen one in tests) or the system time."""
    clock = getattr(request.app.state, "clock", None)
    return clock.now() if clock is not None else datetime.now(UTC)


def parse_moment(text: str, name: str, *, end: bool = False) -> datetime:
    """An ISO date or datetime; a naive one is UTC. A date as ``end`` covers that whole day."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1 if end else 0), time(), UTC)
        else:
            moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise ApiProblem(
            422,
            "invalid_input",
            f"{name} must be an ISO date (2026-11-23) or datetime (2026-11-23T10:00:00+08:00)",
            errors=[{"path": f"query.{name}", "message": f"not a date: {text!r}"}],
        ) from None
    return as_utc(moment)


@dataclass(frozen=True)
class RecordFilter:
    """What the caller asked for; every list is "any of"."""

    start: datetime
    end: datetime
    sites: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    closed_by: tuple[str, ...] = ()
    end_reasons: tuple[str, ...] = ()
    """As the records show it (``stats.conversation_end_reason``)."""
    ratings: tuple[int, ...] = ()
    tags: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    """``web``, ``webhook`` (every webhook channel) or ``webhook:<key>``
    (:func:`channel_clause`)."""
    visitor: str | None = None
    q: str | None = None
    end_inclusive: bool = False
    """The end was not asked for: it is "now", and a conversation that started at this very
    instant is in (a frozen clock starts every conversation at now)."""

    def before_end(self, started: Mapped[datetime]) -> ColumnElement[bool]:
        """``started`` is within the range's end."""
        return started <= self.end if self.end_inclusive else started < self.end


ListQuery = Annotated[list[str] | None, Query()]
DbId = Annotated[int, Field(ge=1, le=MAX_INT)]
"""A row id: positive and within a 32-bit column (SQLite and PostgreSQL alike)."""
IdsQuery = Annotated[list[DbId] | None, Query()]
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]
StartQuery = Annotated[str | None, Query(description="ISO date or datetime; default 30 days ago")]
EndQuery = Annotated[str | None, Query(description="ISO date (inclusive) or datetime; default now")]


def record_filter(
    request: Request,
    start: StartQuery = None,
    end: EndQuery = None,
    site: ListQuery = None,
    group: ListQuery = None,
    agent: ListQuery = None,
    status: ListQuery = None,
    closed_by: ListQuery = None,
    end_reason: ListQuery = None,
    rating: Annotated[list[Annotated[int, Field(ge=0, le=10)]] | None, Query()] = None,
    tag: IdsQuery = None,
    visitor: Annotated[str | None, Query(max_length=128)] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="text in transcripts or visitor profiles")
    ] = None,
    channel: Annotated[
        list[str] | None,
        Query(description="web, webhook (every webhook channel) or webhook:<channel key>"),
    ] = None,
) -> RecordFilter:
    """Route dependency: the filter from the query string (repeat a name for several values)."""
    until = parse_moment(end, "end", end=True) if end else now(request)
    try:
        since = parse_moment(start, "start") if start else until - timedelta(days=DEFAULT_DAYS)
    except OverflowError:
        raise ApiProblem(422, "invalid_input", "end is too early for a 30-day range") from None
    if since > until:
        raise ApiProblem(422, "invalid_input", "start must not be after end")
    refuse_blank_search(q)
    for name, values in (("status", status), ("closed_by", closed_by), ("end_reason", end_reason)):
        refuse_unknown_choice(name, values or ())
    for value in channel or ():
        refuse_unknown_channel(value)
    return RecordFilter(
        start=since,
        end=until,
        sites=tuple(site or ()),
        groups=tuple(group or ()),
        agents=tuple(agent or ()),
        statuses=tuple(status or ()),
        closed_by=tuple(closed_by or ()),
        end_reasons=tuple(end_reason or ()),
        ratings=tuple(rating or ()),
        tags=tuple(tag or ()),
        channels=tuple(channel or ()),
        visitor=visitor,
        q=q,
        end_inclusive=end is None,
    )


def refuse_blank_search(q: str | None) -> None:
    """422 for a search text of only blanks, in the records list and in a transcript alike."""
    if q is not None and not q.strip():
        raise ApiProblem(422, "invalid_input", "the search text must not be only blanks")


def refuse_unknown_choice(name: str, values: Sequence[str]) -> None:
    """422 at ``query.<name>`` for a value of an enumerated filter (:data:`CHOICES`) that no
    record can have, naming the allowed ones."""
    allowed = CHOICES[name]
    for value in values:
        if value not in allowed:
            message = f"{name} must be one of {', '.join(allowed)}, not {value!r}"
            raise ApiProblem(
                422,
                "invalid_input",
                message,
                errors=[{"path": f"query.{name}", "message": message}],
            )


WEBHOOK_PREFIX = "webhook:"


def refuse_unknown_channel(value: str) -> None:
    """422 for a ``channel`` filter that names no channel the way :func:`channel_clause` reads."""
    if value in ("web", "webhook") or (
        value.startswith(WEBHOOK_PREFIX) and value != WEBHOOK_PREFIX
    ):
        return
    message = f"channel must be web, webhook or webhook:<key>, not {value!r}"
    raise ApiProblem(
        422, "invalid_input", message, errors=[{"path": "query.channel", "message": message}]
    )


def channel_clause(value: str) -> ColumnElement[bool]:
    """Conversations of one channel filter value: ``web`` the web visitor channel, ``webhook``
    every webhook channel, ``webhook:<key>`` that webhook channel. A record older than the
    channel column that the upgrade could not tell (null) matches none of them."""
    kind, key = col(ConversationRow.channel_type), col(ConversationRow.channel_key)
    if value in ("web", "webhook"):
        return kind == value
    return and_(kind == "webhook", key == value.removeprefix(WEBHOOK_PREFIX))


def channel_value(row: Record) -> str | None:
    """The record's channel as the ``channel`` filter names it (``web``, ``webhook:<key>``);
    None when not known."""
    if row.channel_type == "web":
        return "web"
    if row.channel_type == "webhook" and row.channel_key:
        return f"{WEBHOOK_PREFIX}{row.channel_key}"
    return None


def served_by(account: str) -> ColumnElement[bool]:
    """Conversations the account holds or held (``agents`` is a JSON list of accounts)."""
    pattern = f'%"{escape_like(account)}"%'
    return or_(
        col(ConversationRow.agent_account) == account,
        cast(col(ConversationRow.agents), String).like(pattern, escape="\\"),
    )


def site_clauses(actor: Actor) -> list[ColumnElement[bool]]:
    """Tenant and site scope of ``actor``, without its agent scope (a visitor's history)."""
    clauses: list[ColumnElement[bool]] = [col(ConversationRow.merchant_id) == actor.merchant_id]
    if actor.site_scope is not None:
        clauses.append(col(ConversationRow.site_key).in_(sorted(actor.site_scope)))
    return clauses


def scope_clauses(actor: Actor) -> list[ColumnElement[bool]]:
    """Tenant, site scope and agent scope of ``actor``."""
    clauses = site_clauses(actor)
    groups = actor.sees_agent_groups()
    if groups is not None:
        mine = served_by(actor.principal.account)
        clauses.append(
            or_(col(ConversationRow.group_id).in_(sorted(groups)), mine) if groups else mine
        )
    return clauses


def tagged(
    merchant_id: str, visitor_id: Mapped[str], tag_ids: Sequence[int]
) -> ColumnElement[bool]:
    """The visitor in ``visitor_id`` holds any of ``tag_ids`` (records and visitor lists)."""
    return exists().where(
        col(VisitorTagRow.merchant_id) == merchant_id,
        col(VisitorTagRow.visitor_id) == visitor_id,
        col(VisitorTagRow.tag_id).in_(tag_ids),
    )


def transcript_search(merchant_id: str, q: str) -> ColumnElement[bool]:
    """``q`` in a line of the conversation's transcript (case-insensitive)."""
    return exists().where(
        col(MessageRow.session_id) == col(ConversationRow.session_id),
        col(MessageRow.merchant_id) == merchant_id,
        col(MessageRow.text).ilike(f"%{escape_like(q)}%", escape="\\"),
    )


def text_search(merchant_id: str, q: str) -> ColumnElement[bool]:
    """``q`` in a transcript line or the visitor's name, phone, email or note (seed 003)."""
    like = f"%{escape_like(q)}%"
    in_messages = transcript_search(merchant_id, q)
    profile = aliased(VisitorRow)  # the list itself joins VisitorRow: do not correlate
    fields = (col(profile.name), col(profile.phone), col(profile.email), col(profile.note))
    in_profile = exists().where(
        col(profile.merchant_id) == merchant_id,
        col(profile.visitor_id) == col(ConversationRow.visitor_id),
        or_(*(field.ilike(like, escape="\\") for field in fields)),
    )
    return or_(in_messages, in_profile, col(ConversationRow.visitor_id) == q)


def shown_end_reason() -> ColumnElement[str]:
    """:func:`chatflow.engine.stats.conversation_end_reason` in SQL: records written before
    it and after read the same, with nothing rewritten."""
    c = ConversationRow
    service = case(SERVICE_END_REASONS, value=col(c.closed_by), else_=col(c.end_reason))
    return case((col(c.end_reason).in_(WRAP_UP_REASONS), service), else_=col(c.end_reason))


def record_clauses(
    actor: Actor, wanted: RecordFilter, *, until: bool = True
) -> list[ColumnElement[bool]]:
    """Everything a records query filters on: scope first, then the caller's filters.
    ``until=False`` leaves out the end of the range (:func:`iter_records` pages by it)."""
    c = ConversationRow
    clauses = scope_clauses(actor)
    clauses.append(col(c.started_at) >= wanted.start)
    if until:
        clauses.append(wanted.before_end(col(c.started_at)))
    for column, values in (
        (col(c.site_key), wanted.sites),
        (col(c.group_id), wanted.groups),
        (col(c.status), wanted.statuses),
        (col(c.closed_by), wanted.closed_by),
        (shown_end_reason(), wanted.end_reasons),
        (col(c.rating), wanted.ratings),
    ):
        if values:
            clauses.append(column.in_(values))
    if wanted.agents:
        clauses.append(or_(*(served_by(account) for account in wanted.agents)))
    if wanted.channels:
        clauses.append(or_(*(channel_clause(value) for value in wanted.channels)))
    if wanted.tags:
        clauses.append(tagged(actor.merchant_id, col(c.visitor_id), wanted.tags))
    if wanted.visitor is not None:
        clauses.append(col(c.visitor_id) == wanted.visitor)
    if wanted.q:
        clauses.append(text_search(actor.merchant_id, wanted.q))
    return clauses


def _select_rows(clauses: Sequence[ColumnElement[bool]]) -> Any:
    return (
        sa_select(*_COLUMNS, col(VisitorRow.name))
        .outerjoin(
            VisitorRow,
            and_(
                col(VisitorRow.merchant_id) == col(ConversationRow.merchant_id),
                col(VisitorRow.visitor_id) == col(ConversationRow.visitor_id),
            ),
        )
        .where(*clauses)
        .order_by(col(ConversationRow.started_at).desc(), col(ConversationRow.session_id).desc())
    )


def count_records(db: Session, clauses: Sequence[ColumnElement[bool]]) -> int:
    statement = select(func.count()).select_from(ConversationRow).where(*clauses)
    return int(db.exec(statement).one())


def page_records(
    db: Session, clauses: Sequence[ColumnElement[bool]], *, limit: int, offset: int
) -> list[Record]:
    """One page, newest first."""
    return [Record(*row) for row in db.exec(_select_rows(clauses).limit(limit).offset(offset))]


def iter_records(
    engine: Engine, actor: Actor, wanted: RecordFilter, *, batch: int = 1000
) -> Iterator[list[Record]]:
    """Every record ``actor`` sees in ``wanted``, newest first, ``batch`` at a time.

    Keyset pages on the ``(merchant_id, started_at, session_id)`` index, each in its own short
    transaction: neither memory nor a database snapshot grows with the range, and each page
    starts where the last ended instead of skipping what came before (no OFFSET).
    """
    clauses = record_clauses(actor, wanted, until=False)
    started, session_id = col(ConversationRow.started_at), col(ConversationRow.session_id)
    bound: ColumnElement[bool] = wanted.before_end(started)
    while True:
        with Session(engine) as db:
            rows = [Record(*row) for row in db.exec(_select_rows([*clauses, bound]).limit(batch))]
        if rows:
            yield rows
        if len(rows) < batch:
            return
        last = rows[-1]
        bound = and_(
            started <= last.started_at,
            or_(started < last.started_at, session_id < last.session_id),
        )


def one_record(db: Session, session_id: str, clauses: Sequence[ColumnElement[bool]]) -> Record:
    """The conversation if it meets ``clauses`` (a scope); 404 otherwise, whatever the reason."""
    row = db.exec(_select_rows([col(ConversationRow.session_id) == session_id, *clauses])).first()
    if row is None:
        raise ApiProblem(404, "not_found", f"no conversation {session_id!r}")
    return Record(*row)


def visible_record(db: Session, actor: Actor, session_id: str) -> Record:
    """The conversation if ``actor`` may see it; 404 otherwise (another tenant's ids included)."""
    return one_record(db, session_id, scope_clauses(actor))


def stats_filter(
    request: Request,
    start: StartQuery = None,
    end: EndQuery = None,
    site: ListQuery = None,
    group: ListQuery = None,
    agent: ListQuery = None,
) -> RecordFilter:
    """Route dependency of the statistics: a date range and site/group/agent filters."""
    return record_filter(request, start, end, site, group, agent)
