"""Conversation records (seed 000 接待信息, seed 003 search): list, transcript, exports.

The list defaults to the last 30 days, filters by site, group, agent, status, closed_by, rating,
tag, visitor, and searches text in transcripts and visitor profiles. A transcript search answers
"match k of n" like the seed ("總共查到 54 個關鍵字的第 52 個"). Batch actions are in
``routes_batch``. Everything is limited to the caller's tenant and scope (``recordquery``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import IO, Annotated, NamedTuple
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Engine
from sqlmodel import Session, col, select

from chatflow.admin_api import exports
from chatflow.admin_api.export_texts import Lang, Wording
from chatflow.admin_api.exports import DOCX_MAX_RECORDS, Section, Table, format_time
from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.recordquery import (
    Offset,
    Record,
    RecordFilter,
    count_records,
    iter_records,
    one_record,
    page_records,
    record_clauses,
    record_filter,
    refuse_blank_search,
    scope_clauses,
    visible_record,
)
from chatflow.admin_api.visit_info import VisitOut, parse_agent, record_channel, visit_out
from chatflow.engine.clock import as_utc
from chatflow.engine.stats import (
    first_response_micros,
    left_unserved,
    reception_micros,
    round_half_up,
)
from chatflow.engine.stores.recordsdb import AccountRow, GroupRow, MessageRow, SiteRow

router = APIRouter(prefix="/api/v1", tags=["records"])

Viewer = Annotated[Actor, Depends(require("records", "view"))]
Exporter = Annotated[Actor, Depends(require("exports", "view"))]
Filter = Annotated[RecordFilter, Depends(record_filter)]
TranscriptQuery = Annotated[str | None, Query(max_length=100)]
MatchIndex = Annotated[int, Query(ge=1, description="which match to point at; wraps around")]


class RecordOut(BaseModel):
    session_id: str
    site_key: str
    visitor_id: str
    visitor_name: str | None
    flow_id: str
    status: str
    group_id: str | None
    agent_account: str | None
    agents: list[str]
    started_at: datetime
    queued_at: datetime | None
    first_ring_at: datetime | None
    agent_joined_at: datetime | None
    first_agent_reply_at: datetime | None
    service_ended_at: datetime | None
    """When the human service ended (the survey and goodbye may follow)."""
    ended_at: datetime | None
    end_reason: str | None
    closed_by: str | None
    rating: int | None
    abandoned: bool
    first_response_seconds: float | None
    """Agent joined - first ring (seed 000)."""
    reception_minutes: float | None
    """End of the human service (else of the conversation) - agent joined, minutes, one
    decimal."""
    visit: VisitOut | None = None
    """Where the visitor was (address, device, page, channel): in one record's answer and a
    transcript, not in lists."""


class RecordPage(BaseModel):
    total: int
    limit: int
    offset: int
    start: datetime
    end: datetime
    items: list[RecordOut]


class MessageOut(BaseModel):
    seq: int
    sender: str
    agent_account: str | None
    text: str
    at: datetime


class SearchOut(BaseModel):
    """Match ``current`` of ``matches`` (occurrences, oldest first); ``seq`` holds it."""

    query: str
    matches: int
    current: int
    seq: int | None
    offset: int | None
    """Where the match starts in that message's text."""


class TranscriptOut(BaseModel):
    record: RecordOut
    messages: list[MessageOut]
    search: SearchOut | None


def _one_decimal(micros: int | None, unit: int) -> float | None:
    return None if micros is None else float(round_half_up(Decimal(micros) / unit))


def _first_response_seconds(row: Record) -> float | None:
    return _one_decimal(first_response_micros(row), 1_000_000)


def _reception_minutes(row: Record) -> float | None:
    return _one_decimal(reception_micros(row), 60_000_000)


def record_out(row: Record, visit: VisitOut | None = None) -> RecordOut:
    return RecordOut(
        session_id=row.session_id,
        site_key=row.site_key,
        visitor_id=row.visitor_id,
        visitor_name=row.visitor_name,
        flow_id=row.flow_id,
        status=row.status,
        group_id=row.group_id,
        agent_account=row.agent_account,
        agents=list(row.agents),
        started_at=as_utc(row.started_at) or row.started_at,
        queued_at=as_utc(row.queued_at),
        first_ring_at=as_utc(row.first_ring_at),
        agent_joined_at=as_utc(row.agent_joined_at),
        first_agent_reply_at=as_utc(row.first_agent_reply_at),
        service_ended_at=as_utc(row.service_ended_at),
        ended_at=as_utc(row.ended_at),
        end_reason=row.end_reason,
        closed_by=row.closed_by,
        rating=row.rating,
        abandoned=left_unserved(row),
        first_response_seconds=_first_response_seconds(row),
        reception_minutes=_reception_minutes(row),
        visit=visit,
    )


def record_visit(db: Session, row: Record) -> VisitOut:
    return visit_out(row, record_channel(db, row.session_id, row.site_key), row.started_at)


def find_matches(texts: Sequence[tuple[int, str]], query: str, k: int) -> SearchOut:
    """Occurrences of ``query`` (case-insensitive), oldest message first; ``k`` wraps around."""
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    found = [(seq, m.start()) for seq, text in texts for m in pattern.finditer(text)]
    if not found:
        return SearchOut(query=query, matches=0, current=0, seq=None, offset=None)
    current = (k - 1) % len(found) + 1
    seq, offset = found[current - 1]
    return SearchOut(query=query, matches=len(found), current=current, seq=seq, offset=offset)


class Transcript(NamedTuple):
    record: Record
    lines: list[MessageRow]
    """Oldest first."""
    visit: VisitOut


def read_transcript(
    engine: Engine, session_id: str, clauses: Sequence[ColumnElement[bool]]
) -> Transcript:
    """The conversation if it meets ``clauses`` (a scope; 404 otherwise), its lines and its
    visit: the records' transcript and the workbench's visitor history share it."""
    with Session(engine) as db:
        row = one_record(db, session_id, clauses)
        statement = (
            select(MessageRow)
            .where(
                col(MessageRow.session_id) == row.session_id,
                col(MessageRow.merchant_id) == row.merchant_id,
            )
            .order_by(col(MessageRow.seq))
        )
        return Transcript(row, list(db.exec(statement).all()), record_visit(db, row))


def _transcript(request: Request, actor: Actor, session_id: str) -> Transcript:
    """The conversation (404 outside the caller's scope) and its lines, oldest first."""
    return read_transcript(request.app.state.records, session_id, scope_clauses(actor))


def transcript_out(transcript: Transcript, q: str | None, k: int) -> TranscriptOut:
    """The record and its lines; with ``q``, where its k-th occurrence is ("k of n")."""
    row, lines, visit = transcript
    return TranscriptOut(
        record=record_out(row, visit),
        messages=[
            MessageOut(
                seq=m.seq,
                sender=m.sender,
                agent_account=m.agent_account,
                text=m.text,
                at=as_utc(m.at) or m.at,
            )
            for m in lines
        ],
        search=find_matches([(m.seq, m.text) for m in lines], q, k) if q else None,
    )


@router.get("/records", response_model=RecordPage)
def list_records(
    request: Request,
    actor: Viewer,
    wanted: Filter,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> RecordPage:
    """Conversations newest first; ``total`` counts every match, ``items`` is one page."""
    clauses = record_clauses(actor, wanted)
    with Session(request.app.state.records) as db:
        total = count_records(db, clauses)
        rows = page_records(db, clauses, limit=limit, offset=offset)
    return RecordPage(
        total=total,
        limit=limit,
        offset=offset,
        start=wanted.start,
        end=wanted.end,
        items=[record_out(row) for row in rows],
    )


RECORD_HEADERS = (
    "session_id", "site", "visitor_id", "visitor_name", "group", "agent", "agents", "status",
    "started_at", "queued_at", "first_ring_at", "agent_joined_at", "first_response_s",
    "service_ended_at", "ended_at", "reception_min", "end_reason", "closed_by", "rating",
    "abandoned", "visitor_ip", "page_url", "browser", "os",
)  # fmt: skip
"""New columns go at the end: spreadsheets built on an export read columns by position."""
MESSAGE_HEADERS = ("session_id", "seq", "at", "sender", "agent", "text")


Clock = Callable[[datetime | None, ZoneInfo], object]
"""How a time is written: :func:`exports.format_time` (text, for programs) or
:func:`exports.local_time` (a time a spreadsheet can sort, for people)."""


def record_cells(row: Record, tz: ZoneInfo, when: Clock = format_time) -> list[object]:
    """One spreadsheet row; no validation model in between (an export may hold 100,000)."""
    agent = parse_agent(row.user_agent) if row.user_agent else None
    return [
        row.session_id, row.site_key, row.visitor_id, row.visitor_name, row.group_id,
        row.agent_account, ", ".join(row.agents), row.status, when(row.started_at, tz),
        when(row.queued_at, tz), when(row.first_ring_at, tz),
        when(row.agent_joined_at, tz), _first_response_seconds(row),
        when(row.service_ended_at, tz), when(row.ended_at, tz),
        _reception_minutes(row),
        row.end_reason, row.closed_by, row.rating, left_unserved(row),
        row.visitor_ip, row.page_url, agent and agent.browser, agent and agent.os,
    ]  # fmt: skip


def message_cells(message: MessageRow, tz: ZoneInfo, when: Clock = format_time) -> list[object]:
    return [
        message.session_id,
        message.seq,
        when(message.at, tz),
        message.sender,
        message.agent_account,
        message.text,
    ]


def export_wording(engine: Engine, merchant_id: str, lang: Lang | None) -> tuple[Wording, Clock]:
    """How an export words itself and writes times: for people, the merchant's names of its
    sites, groups and agents (as the console shows them) and times as times."""
    if lang is None:
        return Wording(), format_time
    with Session(engine) as db:
        sites = db.exec(select(SiteRow).where(SiteRow.merchant_id == merchant_id)).all()
        groups = db.exec(select(GroupRow).where(GroupRow.merchant_id == merchant_id)).all()
        accounts = db.exec(select(AccountRow).where(AccountRow.merchant_id == merchant_id)).all()
        names = {
            "site": {row.key: row.name for row in sites if row.name},
            "group": {row.id: row.name for row in groups if row.name},
            "agent": {row.account: row.nickname for row in accounts if row.nickname},
        }
    return Wording(lang, names), exports.local_time


def _batch_messages(engine: Engine, merchant_id: str, ids: list[str]) -> list[MessageRow]:
    with Session(engine) as db:
        statement = (
            select(MessageRow)
            .where(col(MessageRow.merchant_id) == merchant_id, col(MessageRow.session_id).in_(ids))
            .order_by(col(MessageRow.session_id), col(MessageRow.seq))
        )
        found = list(db.exec(statement).all())
    order = {session_id: i for i, session_id in enumerate(ids)}
    return sorted(found, key=lambda m: (order[m.session_id], m.seq))


def _exporter(actor: Exporter) -> Actor:
    if not actor.can("records", "view"):
        raise ApiProblem(403, "forbidden", "this account may not view records")
    return actor


RecordExporter = Annotated[Actor, Depends(_exporter)]
FormatQuery = Annotated[exports.Format, Query(alias="format")]
TzQuery = Annotated[str, Query(description="IANA time zone of the times in the file")]
LangQuery = Annotated[
    Lang | None,
    Query(description="headings and values worded for people; without it, the documented keys"),
]


@router.get("/records/export", response_class=StreamingResponse)
async def export_records(
    request: Request,
    actor: RecordExporter,
    wanted: Filter,
    fmt: FormatQuery = "xlsx",
    tz: TzQuery = "UTC",
    transcripts: bool = False,
    lang: LangQuery = None,
) -> StreamingResponse:
    """The filtered records as Excel (streamed; ``transcripts`` adds a sheet of every message)
    or Word (at most 2000 conversations)."""
    zone = exports.timezone(tz)
    engine: Engine = request.app.state.records
    words, when = export_wording(engine, actor.merchant_id, lang)
    clauses = record_clauses(actor, wanted)

    def record_rows() -> Iterator[list[object]]:
        for batch in iter_records(engine, actor, wanted):
            for record in batch:
                yield words.row(RECORD_HEADERS, record_cells(record, zone, when))

    def message_rows() -> Iterator[list[object]]:
        for batch in iter_records(engine, actor, wanted):
            ids = [record.session_id for record in batch]
            for message in _batch_messages(engine, actor.merchant_id, ids):
                yield words.row(MESSAGE_HEADERS, message_cells(message, zone, when))

    if fmt == "docx":
        with Session(engine) as db:
            total = count_records(db, clauses)
        if total > DOCX_MAX_RECORDS:
            raise ApiProblem(
                422,
                "too_many_records",
                f"{total} conversations match; a Word export holds at most {DOCX_MAX_RECORDS}: "
                "narrow the range or export Excel",
                limit=DOCX_MAX_RECORDS,
                total=total,
            )

    span = f"{format_time(wanted.start, zone)} - {format_time(wanted.end, zone)} ({tz})"
    records = Table(words.text("records"), words.headings(RECORD_HEADERS), record_rows())
    messages = Table(words.text("messages"), words.headings(MESSAGE_HEADERS), message_rows())

    def build(out: IO[bytes]) -> None:
        if fmt == "xlsx":
            exports.write_xlsx(out, [records, messages] if transcripts else [records])
            return
        sections = [Section(records.title, [span], [replace(records, title="")])]
        if transcripts:
            sections.append(Section(messages.title, [], [replace(messages, title="")]))
        exports.write_docx(out, words.text("conversation records"), sections)

    days = exports.date_span(wanted.start, wanted.end, zone, end_inclusive=wanted.end_inclusive)
    return await exports.file_response(
        build, f"records-{days}", fmt, local_name=words.local_name("records", days)
    )


@router.get("/records/{session_id}", response_model=RecordOut)
def get_record(request: Request, actor: Viewer, session_id: str) -> RecordOut:
    """One record, with its visit."""
    with Session(request.app.state.records) as db:
        row = visible_record(db, actor, session_id)
        return record_out(row, record_visit(db, row))


@router.get("/records/{session_id}/transcript", response_model=TranscriptOut)
def get_transcript(
    request: Request,
    actor: Viewer,
    session_id: str,
    q: TranscriptQuery = None,
    k: MatchIndex = 1,
) -> TranscriptOut:
    """Every line, oldest first; with ``q``, where its k-th occurrence is ("k of n")."""
    refuse_blank_search(q)
    return transcript_out(_transcript(request, actor, session_id), q, k)


@router.get("/records/{session_id}/export", response_class=StreamingResponse)
async def export_transcript(
    request: Request,
    actor: RecordExporter,
    session_id: str,
    fmt: FormatQuery = "docx",
    tz: TzQuery = "UTC",
    lang: LangQuery = None,
) -> StreamingResponse:
    """One conversation, its details and transcript, as Word (default) or Excel."""
    zone = exports.timezone(tz)
    words, when = export_wording(request.app.state.records, actor.merchant_id, lang)
    row, lines, _visit = _transcript(request, actor, session_id)
    cells = words.row(RECORD_HEADERS, record_cells(row, zone, when))
    details = list(zip(words.headings(RECORD_HEADERS), cells, strict=True))
    line_keys = MESSAGE_HEADERS[2:]
    transcript = [words.row(line_keys, message_cells(m, zone, when)[2:]) for m in lines]
    messages = Table(words.text("messages"), words.headings(line_keys), transcript)

    def build(out: IO[bytes]) -> None:
        if fmt == "xlsx":
            fields = words.headings(("field", "value"))
            exports.write_xlsx(out, [Table(words.text("conversation"), fields, details), messages])
        else:
            info = [f"{key}: {'' if value is None else value}" for key, value in details]
            title = words.text("conversation {id}", id=session_id)
            section = Section(words.text("details"), info, [replace(messages, title="")])
            exports.write_docx(out, title, [section])

    stem = session_id[:40]
    return await exports.file_response(
        build, f"conversation-{stem}", fmt, local_name=words.local_name("conversation", stem)
    )
