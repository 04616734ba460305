"""Exports of the records (seed 000 導出 Word / Excel): the filtered list, with its transcripts,
and one conversation, each as Excel or Word, worded for programs or for people
(:mod:`.export_texts`); the files are written by :mod:`.exports`.

Its router goes before :mod:`.routes_records`'s, so ``/records/export`` is not read as the
record ``export``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import IO, Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from chatflow.admin_api import exports
from chatflow.admin_api.export_texts import Lang, Wording
from chatflow.admin_api.exports import DOCX_MAX_RECORDS, Section, Table, format_time
from chatflow.admin_api.merchant_names import agent_names, group_names, site_names
from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.recordquery import (
    Record,
    channel_value,
    count_records,
    iter_records,
    record_clauses,
)
from chatflow.admin_api.routes_records import (
    ChannelNames,
    Filter,
    channel_names,
    first_response_seconds,
    rated_survey,
    reception_minutes,
    visible_transcript,
)
from chatflow.admin_api.visit_info import parse_agent
from chatflow.engine.stats import conversation_end_reason, left_unserved
from chatflow.engine.stores.recordsdb import MessageRow

router = APIRouter(prefix="/api/v1", tags=["records"])

Exporter = Annotated[Actor, Depends(require("exports", "view"))]

RECORD_HEADERS = (
    "session_id", "site", "visitor_id", "visitor_name", "group", "agent", "agents", "status",
    "started_at", "queued_at", "first_ring_at", "agent_joined_at", "first_response_s",
    "service_ended_at", "ended_at", "reception_min", "end_reason", "closed_by", "rating",
    "abandoned", "visitor_ip", "page_url", "browser", "os", "channel",
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
        when(row.agent_joined_at, tz), first_response_seconds(row),
        when(row.service_ended_at, tz), when(row.ended_at, tz),
        reception_minutes(row),
        conversation_end_reason(row.end_reason, row.closed_by), row.closed_by, row.rating,
        left_unserved(row),
        row.visitor_ip, row.page_url, agent and agent.browser, agent and agent.os,
        channel_value(row),
    ]  # fmt: skip


def message_cells(
    message: MessageRow, tz: ZoneInfo, when: Clock = format_time, text: str | None = None
) -> list[object]:
    """One transcript line; ``text`` in place of the line's own (a survey's, worded)."""
    return [
        message.session_id,
        message.seq,
        when(message.at, tz),
        message.sender,
        message.agent_account,
        message.text if text is None else text,
    ]


def transcript_cells(
    record: Record, lines: list[MessageRow], words: Wording, tz: ZoneInfo, when: Clock
) -> Iterator[list[object]]:
    """A conversation's lines, worded; a survey's invitation says its scale and the rating."""
    rated = rated_survey(lines)
    ended = record.status == "ended"
    for m in lines:
        rating = record.rating if m.seq == rated else None
        text = words.line_text(m.text, m.survey, rating, ended)
        yield words.row(MESSAGE_HEADERS, message_cells(m, tz, when, text))


def export_wording(
    engine: Engine, merchant_id: str, lang: Lang | None, channels: ChannelNames
) -> tuple[Wording, Clock]:
    """How an export words itself and writes times: for people, the merchant's names of its
    sites, groups, agents (as the console shows them) and webhook channels (``channels``, by
    key), and times as times."""
    if lang is None:
        return Wording(), format_time
    with Session(engine) as db:
        names = {
            "site": site_names(db, merchant_id),
            "group": group_names(db, merchant_id),
            "agent": agent_names(db, merchant_id),
            "channel": dict(channels),
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
    channels = channel_names(request, actor.merchant_id)
    words, when = export_wording(engine, actor.merchant_id, lang, channels)
    clauses = record_clauses(actor, wanted)

    def record_rows() -> Iterator[list[object]]:
        for batch in iter_records(engine, actor, wanted):
            for record in batch:
                yield words.row(RECORD_HEADERS, record_cells(record, zone, when))

    def message_rows() -> Iterator[list[object]]:
        for batch in iter_records(engine, actor, wanted):
            by_session: dict[str, list[MessageRow]] = {}
            for line in _batch_messages(engine, actor.merchant_id, [r.session_id for r in batch]):
                by_session.setdefault(line.session_id, []).append(line)
            for record in batch:
                lines = by_session.get(record.session_id, [])
                yield from transcript_cells(record, lines, words, zone, when)

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
    channels = channel_names(request, actor.merchant_id)
    words, when = export_wording(request.app.state.records, actor.merchant_id, lang, channels)
    row, lines, _visit = visible_transcript(request, actor, session_id)
    cells = words.row(RECORD_HEADERS, record_cells(row, zone, when))
    details = list(zip(words.headings(RECORD_HEADERS), cells, strict=True))
    line_keys = MESSAGE_HEADERS[2:]
    transcript = [cells[2:] for cells in transcript_cells(row, lines, words, zone, when)]
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
