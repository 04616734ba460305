"""The visitor of a conversation, for the workbench's visitor panel (seed 000 history, seed 001
联系人详情): profile, tags, blacklist entry and the visitor's earlier conversations.

Every route names the session, never the visitor: whoever may see the session
(:func:`.agent_access.visible_session`, 404 otherwise) sees its visitor. The agent serving the
conversation may edit the visitor's profile and tags without ``records``/``tags`` edit rights;
blacklisting stays behind ``blacklist:edit``; the history is limited by the site scope, not the
agent scope (docs/decisions.md, "The workbench's visitor panel").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Engine
from sqlmodel import Session as Db
from sqlmodel import col

from chatflow.admin_api import recordquery, visitors
from chatflow.admin_api.agent_access import Access, services_of, visible_session
from chatflow.admin_api.auth import Principal
from chatflow.admin_api.merchant_names import site_name
from chatflow.admin_api.permissions import Actor, resolve_actor
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.recordquery import Offset, refuse_blank_search, site_clauses
from chatflow.admin_api.routes_auth import current_agent
from chatflow.admin_api.routes_records import (
    ChannelNames,
    MatchIndex,
    RecordOut,
    TranscriptOut,
    TranscriptQuery,
    channel_names,
    read_transcript,
    record_out,
    transcript_out,
)
from chatflow.admin_api.routes_tags import TagGroupOut, VisitorTagsIn, merchant_tag_groups
from chatflow.admin_api.routes_visitors import ProfileIn
from chatflow.admin_api.visit_info import VisitOut, session_channel, visit_out
from chatflow.engine.session import Session
from chatflow.engine.stores.contenttables import BlacklistRow, VisitorRow
from chatflow.engine.stores.recordsdb import ConversationRow

router = APIRouter(prefix="/api/v1", tags=["agents"])

Me = Annotated[Principal, Depends(current_agent)]


class VisitorTagOut(BaseModel):
    id: int
    name: str
    group_id: int
    group_name: str


class BlacklistEntry(BaseModel):
    reason: str
    added_by: str
    added_at: datetime


class VisitorRights(BaseModel):
    """What the caller may change of this visitor; the writes check it again."""

    profile: bool
    """Serves the conversation now, or may edit records."""
    tags: bool
    """Serves the conversation now, or may edit tags."""
    blacklist: bool
    """May edit the blacklist."""


class SessionVisitorOut(BaseModel):
    visitor_id: str
    site_key: str
    site_name: str
    """The site's name (its key when it has none)."""
    name: str | None
    phone: str | None
    email: str | None
    note: str | None
    tags: list[VisitorTagOut]
    blacklist: BlacklistEntry | None
    updated_at: datetime | None
    """When the profile last changed; null while the merchant has no profile of the visitor."""
    rights: VisitorRights
    visit: VisitOut
    """Where the visitor was when this conversation started (seed 001: IP, terminal, source)."""


class HistoryPage(BaseModel):
    total: int
    items: list[RecordOut]


@dataclass(frozen=True)
class Target:
    """The session's visitor as the caller sees it."""

    access: Access
    actor: Actor
    channels: ChannelNames
    """The merchant's webhook channels' names by key."""

    @property
    def merchant_id(self) -> str:
        return self.access.session.merchant

    @property
    def visitor_id(self) -> str:
        return self.access.session.sys.visitor_id

    @property
    def rights(self) -> VisitorRights:
        serving, actor = self.access.serving, self.actor
        return VisitorRights(
            profile=serving or actor.can("records", "edit"),
            tags=serving or actor.can("tags", "edit"),
            blacklist=actor.can("blacklist", "edit"),
        )

    def history_clauses(self) -> list[ColumnElement[bool]]:
        """The visitor's conversations the caller may read: its site scope, any agent."""
        return [*site_clauses(self.actor), col(ConversationRow.visitor_id) == self.visitor_id]


def _actor(engine: Engine, principal: Principal) -> Actor:
    with Db(engine) as db:
        return resolve_actor(db, principal)


async def _target(request: Request, me: Principal, session_id: str) -> Target:
    access = await visible_session(request, me, session_id)
    actor = access.actor
    if actor is None:  # the caller serves the session: the queue said so without the database
        actor = await asyncio.to_thread(_actor, services_of(request).records, me)
    return Target(access, actor, channel_names(request, access.session.merchant))


def _visit(db: Db, session: Session, names: ChannelNames) -> VisitOut:
    """This conversation's visit: its record (written just after the start, so a session only
    just started may have none yet) and the live session's channel."""
    record = db.get(ConversationRow, session.id)
    started = record.started_at if record else session.created_at
    kind, channel = session_channel(session, names)
    return visit_out(record, channel, started, kind)


def _visitor_out(db: Db, target: Target) -> SessionVisitorOut:
    merchant, visitor = target.merchant_id, target.visitor_id
    profile = db.get(VisitorRow, (merchant, visitor))
    ban = db.get(BlacklistRow, (merchant, visitor))
    site_key = target.access.session.site_key
    return SessionVisitorOut(
        visitor_id=visitor,
        site_key=site_key,
        site_name=site_name(db, site_key),
        name=profile.name if profile else None,
        phone=profile.phone if profile else None,
        email=profile.email if profile else None,
        note=profile.note if profile else None,
        tags=[
            VisitorTagOut(
                id=tag.id or 0, name=tag.name, group_id=group.id or 0, group_name=group.name
            )
            for tag, group in visitors.held_tags(db, merchant, visitor)
        ],
        blacklist=BlacklistEntry(reason=ban.reason, added_by=ban.added_by, added_at=ban.added_at)
        if ban
        else None,
        updated_at=profile.updated_at if profile else None,
        rights=target.rights,
        visit=_visit(db, target.access.session, target.channels),
    )


def _read(engine: Engine, target: Target) -> SessionVisitorOut:
    with Db(engine) as db:
        return _visitor_out(db, target)


def _save_profile(
    engine: Engine, target: Target, body: ProfileIn, at: datetime
) -> SessionVisitorOut:
    with Db(engine) as db:
        profile = visitors.ensure_profile(db, target.merchant_id, target.visitor_id, at=at)
        visitors.update_profile(db, profile, body.model_dump(), at=at)
        db.commit()
        return _visitor_out(db, target)


def _save_tags(
    engine: Engine, target: Target, tag_ids: list[int], at: datetime
) -> SessionVisitorOut:
    with Db(engine) as db:
        tags = visitors.merchant_tags(db, target.merchant_id, tag_ids)
        visitors.set_tags(db, target.merchant_id, target.visitor_id, tags, at=at)
        db.commit()
        return _visitor_out(db, target)


def _history(
    engine: Engine,
    clauses: list[ColumnElement[bool]],
    names: ChannelNames,
    limit: int,
    offset: int,
) -> HistoryPage:
    with Db(engine) as db:
        total = recordquery.count_records(db, clauses)
        rows = recordquery.page_records(db, clauses, limit=limit, offset=offset)
    return HistoryPage(total=total, items=[record_out(row, names=names) for row in rows])


@router.get("/sessions/{session_id}/visitor", response_model=SessionVisitorOut)
async def get_session_visitor(request: Request, me: Me, session_id: str) -> SessionVisitorOut:
    """The visitor's profile, tags (with names) and blacklist entry, and what the caller may
    change of them."""
    target = await _target(request, me, session_id)
    return await asyncio.to_thread(_read, services_of(request).records, target)


@router.put("/sessions/{session_id}/visitor", response_model=SessionVisitorOut)
async def put_session_visitor(
    request: Request, me: Me, session_id: str, body: ProfileIn
) -> SessionVisitorOut:
    """Set the visitor's name, phone, email and note (fields left out are cleared)."""
    target = await _target(request, me, session_id)
    if not target.rights.profile:
        raise ApiProblem(
            403,
            "forbidden",
            "only an agent serving this conversation or with records:edit may edit its visitor",
        )
    engine = services_of(request).records
    return await asyncio.to_thread(_save_profile, engine, target, body, recordquery.now(request))


@router.put("/sessions/{session_id}/visitor/tags", response_model=SessionVisitorOut)
async def put_session_visitor_tags(
    request: Request, me: Me, session_id: str, body: VisitorTagsIn
) -> SessionVisitorOut:
    """Replace the visitor's tags (one per single-choice group)."""
    target = await _target(request, me, session_id)
    _may_tag(target)
    engine = services_of(request).records
    return await asyncio.to_thread(
        _save_tags, engine, target, body.tag_ids, recordquery.now(request)
    )


def _may_tag(target: Target) -> None:
    if not target.rights.tags:
        raise ApiProblem(
            403,
            "forbidden",
            "only an agent serving this conversation or with tags:edit may tag its visitor",
        )


def _tag_groups(engine: Engine, merchant_id: str) -> list[TagGroupOut]:
    with Db(engine) as db:
        return merchant_tag_groups(db, merchant_id)


@router.get("/sessions/{session_id}/visitor/tag-groups", response_model=list[TagGroupOut])
async def get_session_visitor_tag_groups(
    request: Request, me: Me, session_id: str
) -> list[TagGroupOut]:
    """The tags the caller may give this visitor: the merchant's tag groups, for whoever may
    tag it (``rights.tags``), even without the ``tags: view`` right."""
    target = await _target(request, me, session_id)
    _may_tag(target)
    engine = services_of(request).records
    return await asyncio.to_thread(_tag_groups, engine, target.merchant_id)


@router.get("/sessions/{session_id}/visitor/history", response_model=HistoryPage)
async def get_session_visitor_history(
    request: Request,
    me: Me,
    session_id: str,
    days: Annotated[int, Query(ge=1, le=90)] = recordquery.DEFAULT_DAYS,
    q: Annotated[str | None, Query(max_length=100, description="text in the transcript")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Offset = 0,
) -> HistoryPage:
    """The visitor's other conversations of the last ``days`` days, newest first, whoever
    served them (within the caller's sites)."""
    refuse_blank_search(q)
    target = await _target(request, me, session_id)
    clauses = [
        *target.history_clauses(),
        col(ConversationRow.session_id) != session_id,
        col(ConversationRow.started_at) >= recordquery.now(request) - timedelta(days=days),
    ]
    if q:
        clauses.append(recordquery.transcript_search(target.merchant_id, q))
    engine = services_of(request).records
    return await asyncio.to_thread(_history, engine, clauses, target.channels, limit, offset)


@router.get("/sessions/{session_id}/visitor/history/{other_id}", response_model=TranscriptOut)
async def get_session_visitor_transcript(
    request: Request,
    me: Me,
    session_id: str,
    other_id: str,
    q: TranscriptQuery = None,
    k: MatchIndex = 1,
) -> TranscriptOut:
    """A conversation of the same visitor (this one included), every line oldest first; with
    ``q``, where its k-th occurrence is, like a record's transcript."""
    refuse_blank_search(q)
    target = await _target(request, me, session_id)
    engine = services_of(request).records
    transcript = await asyncio.to_thread(
        read_transcript, engine, other_id, target.history_clauses()
    )
    return transcript_out(transcript, q, k, target.channels)
