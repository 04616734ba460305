"""Conversation records (seed 000 接待信息, seed 003 search): list, one record, transcript.

The list defaults to the last 30 days, filters by site, group, agent, status, closed_by,
end_reason, rating, tag, channel, visitor, and searches text in transcripts and visitor
profiles. A transcript search answers "match k of n" like the seed ("總共查到 54 個關鍵字的第
52 個"). Batch actions are in ``routes_batch``, the exports in ``routes_record_exports``.
Everything is limited to the caller's tenant and scope (``recordquery``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Annotated, Literal, NamedTuple

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Engine
from sqlmodel import Session, col, select

from chatflow.admin_api.merchant_names import webhook_channel_names
from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.recordquery import (
    Offset,
    Record,
    RecordFilter,
    count_records,
    one_record,
    page_records,
    record_clauses,
    record_filter,
    refuse_blank_search,
    scope_clauses,
    visible_record,
)
from chatflow.admin_api.visit_info import VisitOut, record_channel, visit_out
from chatflow.engine.clock import as_utc
from chatflow.engine.stats import (
    conversation_end_reason,
    first_response_micros,
    left_unserved,
    reception_micros,
    round_half_up,
)
from chatflow.engine.stores.recordsdb import MessageRow

router = APIRouter(prefix="/api/v1", tags=["records"])

Viewer = Annotated[Actor, Depends(require("records", "view"))]
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
    """How the conversation ended: after a service, the way the service ended
    (``stats.conversation_end_reason``)."""
    closed_by: str | None
    rating: int | None
    abandoned: bool
    first_response_seconds: float | None
    """Agent joined - first ring (seed 000)."""
    reception_minutes: float | None
    """End of the human service (else of the conversation) - agent joined, minutes, one
    decimal."""
    channel_type: Literal["web", "webhook"] | None
    """The channel it came through: ``web`` (the web visitor channel) or ``webhook``; None in
    a record older than chatflow keeping it that its upgrade could not tell."""
    channel_key: str | None
    """The webhook channel's key; None for the web channel."""
    channel_name: str | None
    """The webhook channel's ``name`` in ``chatflow.yaml``, else its key; None for the web
    channel."""
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


class SurveyOut(BaseModel):
    """A survey's invitation (its line's ``text`` is the prompt) and what it recorded."""

    style: str
    """``star`` or ``number``."""
    levels: int
    labels: list[str]
    """Names of the levels, lowest first (may be empty)."""
    rating: int | None
    """The score the conversation recorded, on the last invitation of the transcript; None:
    not rated (or not yet, while the conversation runs)."""


class MessageOut(BaseModel):
    seq: int
    sender: str
    agent_account: str | None
    text: str
    at: datetime
    survey: SurveyOut | None = None
    """On the line of a survey's invitation."""


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


def first_response_seconds(row: Record) -> float | None:
    return _one_decimal(first_response_micros(row), 1_000_000)


def reception_minutes(row: Record) -> float | None:
    return _one_decimal(reception_micros(row), 60_000_000)


ChannelNames = Mapping[str, str]
"""The merchant's webhook channels' names by key (``merchant_names.webhook_channel_names``)."""
NO_NAMES: ChannelNames = MappingProxyType({})
"""No names: a webhook channel is called by its key."""


def channel_names(request: Request, merchant_id: str) -> ChannelNames:
    return webhook_channel_names(request.app.state.services.config, merchant_id)


def record_out(
    row: Record, visit: VisitOut | None = None, names: ChannelNames = NO_NAMES
) -> RecordOut:
    kind = row.channel_type if row.channel_type in ("web", "webhook") else None
    key = row.channel_key if kind == "webhook" else None
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
        end_reason=conversation_end_reason(row.end_reason, row.closed_by),
        closed_by=row.closed_by,
        rating=row.rating,
        abandoned=left_unserved(row),
        first_response_seconds=first_response_seconds(row),
        reception_minutes=reception_minutes(row),
        channel_type=kind,
        channel_key=key,
        channel_name=names.get(key, key) if key is not None else None,
        visit=visit,
    )


def record_visit(db: Session, row: Record) -> VisitOut:
    return visit_out(row, record_channel(db, row), row.started_at)


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


def visible_transcript(request: Request, actor: Actor, session_id: str) -> Transcript:
    """The conversation (404 outside the caller's scope) and its lines, oldest first."""
    return read_transcript(request.app.state.records, session_id, scope_clauses(actor))


def rated_survey(lines: Sequence[MessageRow]) -> int | None:
    """The seq of the survey invitation the record's rating answers: the transcript's last."""
    return next((m.seq for m in reversed(lines) if m.survey is not None), None)


def survey_out(line: MessageRow, rating: int | None) -> SurveyOut | None:
    """The survey of an invitation's line (``rating`` the record's, or None); None for others."""
    survey = line.survey
    if survey is None:
        return None
    labels = survey.get("labels")
    return SurveyOut(
        style=str(survey.get("style", "star")),
        levels=int(survey.get("levels", 0)),
        labels=[str(label) for label in labels] if isinstance(labels, list) else [],
        rating=rating,
    )


def transcript_out(
    transcript: Transcript, q: str | None, k: int, names: ChannelNames = NO_NAMES
) -> TranscriptOut:
    """The record and its lines; with ``q``, where its k-th occurrence is ("k of n")."""
    row, lines, visit = transcript
    rated = rated_survey(lines)
    return TranscriptOut(
        record=record_out(row, visit, names),
        messages=[
            MessageOut(
                seq=m.seq,
                sender=m.sender,
                agent_account=m.agent_account,
                text=m.text,
                at=as_utc(m.at) or m.at,
                survey=survey_out(m, row.rating if m.seq == rated else None),
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
    names = channel_names(request, actor.merchant_id)
    return RecordPage(
        total=total,
        limit=limit,
        offset=offset,
        start=wanted.start,
        end=wanted.end,
        items=[record_out(row, names=names) for row in rows],
    )


@router.get("/records/{session_id}", response_model=RecordOut)
def get_record(request: Request, actor: Viewer, session_id: str) -> RecordOut:
    """One record, with its visit."""
    with Session(request.app.state.records) as db:
        row = visible_record(db, actor, session_id)
        return record_out(row, record_visit(db, row), channel_names(request, actor.merchant_id))


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
    names = channel_names(request, actor.merchant_id)
    return transcript_out(visible_transcript(request, actor, session_id), q, k, names)
