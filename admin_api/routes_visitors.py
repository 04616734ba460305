"""Visitor profiles and the blacklist (seed 001 联系人详情 / 设置黑名单, seed 003 search fields).

A profile holds what the merchant knows (name, phone, email, note) and shows the visitor's tags
and blacklist state. Only visitors the merchant knows (a profile or a conversation) can be
written; any other id, including another merchant's visitor, is 404. The visitor channel asks
:func:`chatflow.engine.content.is_blacklisted` before starting a conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, col, exists, func, or_, select

from chatflow.admin_api import visitors
from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.recordquery import IdsQuery, Offset, escape_like, now, tagged
from chatflow.engine.stores.contenttables import BlacklistRow, VisitorRow, VisitorTagRow
from chatflow.nodes.form import email_address

router = APIRouter(prefix="/api/v1", tags=["visitors"])
log = logging.getLogger("chatflow.api.visitors")

Reader = Annotated[Actor, Depends(require("records", "view"))]
Writer = Annotated[Actor, Depends(require("records", "edit"))]
BlacklistReader = Annotated[Actor, Depends(require("blacklist", "view"))]
BlacklistWriter = Annotated[Actor, Depends(require("blacklist", "edit"))]


class ProfileIn(BaseModel):
    name: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    note: str | None = Field(default=None, max_length=1000)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        """The form node's check: a dotted domain; a full-width ＠ from an IME is mended."""
        if value is None or not value.strip():
            return value
        address = email_address(value)
        if address is None:
            raise ValueError("not an email address (name@example.com)")
        return address


class BlacklistOut(BaseModel):
    visitor_id: str
    name: str | None
    reason: str
    added_by: str
    added_at: datetime


class VisitorOut(ProfileIn):
    visitor_id: str
    tag_ids: list[int]
    blacklist: BlacklistOut | None
    updated_at: datetime


class VisitorPage(BaseModel):
    total: int
    items: list[VisitorOut]


class BlacklistIn(BaseModel):
    reason: str = Field(default="", max_length=200)


class BlacklistPage(BaseModel):
    total: int
    items: list[BlacklistOut]


def _blacklist_out(row: BlacklistRow, name: str | None) -> BlacklistOut:
    return BlacklistOut(
        visitor_id=row.visitor_id,
        name=name,
        reason=row.reason,
        added_by=row.added_by,
        added_at=row.added_at,
    )


def _visitors_out(
    db: Session, merchant_id: str, profiles: Sequence[VisitorRow]
) -> list[VisitorOut]:
    """The profiles with their tags and blacklist entries, read in one query each."""
    ids = [profile.visitor_id for profile in profiles]
    tags: dict[str, list[int]] = {}
    for visitor_id, tag_id in db.exec(
        select(VisitorTagRow.visitor_id, VisitorTagRow.tag_id)
        .where(
            col(VisitorTagRow.merchant_id) == merchant_id, col(VisitorTagRow.visitor_id).in_(ids)
        )
        .order_by(col(VisitorTagRow.tag_id))
    ):
        tags.setdefault(visitor_id, []).append(tag_id)
    banned = {
        row.visitor_id: row
        for row in db.exec(
            select(BlacklistRow).where(
                col(BlacklistRow.merchant_id) == merchant_id, col(BlacklistRow.visitor_id).in_(ids)
            )
        )
    }
    out = []
    for profile in profiles:
        ban = banned.get(profile.visitor_id)
        out.append(
            VisitorOut(
                visitor_id=profile.visitor_id,
                name=profile.name,
                phone=profile.phone,
                email=profile.email,
                note=profile.note,
                tag_ids=tags.get(profile.visitor_id, []),
                blacklist=_blacklist_out(ban, profile.name) if ban else None,
                updated_at=profile.updated_at,
            )
        )
    return out


def _profile(db: Session, merchant_id: str, visitor_id: str) -> VisitorRow:
    """The visitor's profile; a new empty one (not added) for a visitor known only by its
    conversations; 404 for any other id. The profile is read once, not once more to know it."""
    profile = db.get(VisitorRow, (merchant_id, visitor_id))
    if profile is None:
        visitors.require_visitor(db, merchant_id, visitor_id)
        profile = VisitorRow(merchant_id=merchant_id, visitor_id=visitor_id)
    return profile


def _visitor_out(db: Session, profile: VisitorRow) -> VisitorOut:
    [out] = _visitors_out(db, profile.merchant_id, [profile])
    return out


@router.get("/visitors", response_model=VisitorPage)
def list_visitors(
    request: Request,
    actor: Reader,
    q: Annotated[
        str | None, Query(max_length=100, description="name, phone, email or note")
    ] = None,
    tag: IdsQuery = None,
    blacklisted: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> VisitorPage:
    """Visitor profiles, most recently updated first."""
    v = VisitorRow
    clauses = [col(v.merchant_id) == actor.merchant_id]
    if q:
        like = f"%{escape_like(q)}%"
        fields = (v.visitor_id, v.name, v.phone, v.email, v.note)
        clauses.append(or_(*(col(f).ilike(like, escape="\\") for f in fields)))
    if tag:
        clauses.append(tagged(actor.merchant_id, col(v.visitor_id), tag))
    if blacklisted is not None:
        banned = exists().where(
            col(BlacklistRow.merchant_id) == actor.merchant_id,
            col(BlacklistRow.visitor_id) == col(v.visitor_id),
        )
        clauses.append(banned if blacklisted else ~banned)
    with Session(request.app.state.records) as db:
        total = db.exec(select(func.count()).select_from(v).where(*clauses)).one()
        rows = db.exec(
            select(v)
            .where(*clauses)
            .order_by(col(v.updated_at).desc(), col(v.visitor_id))
            .limit(limit)
            .offset(offset)
        ).all()
        return VisitorPage(total=int(total), items=_visitors_out(db, actor.merchant_id, rows))


@router.get("/visitors/{visitor_id}", response_model=VisitorOut)
def get_visitor(request: Request, actor: Reader, visitor_id: str) -> VisitorOut:
    with Session(request.app.state.records) as db:
        return _visitor_out(db, _profile(db, actor.merchant_id, visitor_id))


@router.put("/visitors/{visitor_id}", response_model=VisitorOut)
def put_visitor(request: Request, actor: Writer, visitor_id: str, body: ProfileIn) -> VisitorOut:
    """Set the visitor's name, phone, email and note (fields left out are cleared)."""
    with Session(request.app.state.records) as db:
        profile = _profile(db, actor.merchant_id, visitor_id)
        visitors.update_profile(db, profile, body.model_dump(), at=now(request))
        db.commit()
        db.refresh(profile)
        return _visitor_out(db, profile)


class ErasedOut(BaseModel):
    """What erasing a visitor deleted."""

    visitor_id: str
    conversations: int
    """Conversations deleted, with their transcripts."""
    images: int
    profile: bool
    """A profile (name, phone, email, note) was deleted."""
    tags: int
    """Tags the visitor held."""
    blacklisted: bool
    """The visitor was blacklisted; the entry is deleted too."""


@router.delete("/visitors/{visitor_id}", response_model=ErasedOut)
async def erase_visitor(request: Request, actor: Writer, visitor_id: str) -> ErasedOut:
    """Erase a visitor (a request to delete one's personal data): every conversation of the
    merchant with it (records, transcripts, images, webhook deliveries, sessions), its profile,
    tags and blacklist entry. Refused while one of its conversations is live."""
    await request.app.state.services.writer.flush()  # the records of a conversation just ended
    merchant_id = actor.merchant_id

    def erase() -> visitors.Erased:
        with Session(request.app.state.records) as db:
            visitors.require_visitor(db, merchant_id, visitor_id)
            conversations = visitors.conversations_of(db, merchant_id, visitor_id)
            live = sorted(sid for sid, status in conversations.items() if status != "ended")
            if live:
                raise ApiProblem(
                    409,
                    "visitor_live",
                    "close the visitor's conversations before erasing it",
                    sessions=live,
                )
            erased = visitors.erase(db, merchant_id, visitor_id, sorted(conversations))
            db.commit()
        return erased

    erased = await run_in_threadpool(erase)
    await request.app.state.housekeeping.deleted(erased.conversations, erased.images)
    out = ErasedOut(
        visitor_id=visitor_id,
        conversations=len(erased.conversations),
        images=len(erased.images),
        profile=erased.profile,
        tags=erased.tags,
        blacklisted=erased.blacklisted,
    )
    log.info(
        "visitors.erased",
        extra={"merchant": merchant_id, "by": actor.principal.account, **out.model_dump()},
    )
    return out


@router.get("/blacklist", response_model=BlacklistPage)
def list_blacklist(
    request: Request,
    actor: BlacklistReader,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> BlacklistPage:
    """Blacklisted visitors, most recent first."""
    mine = col(BlacklistRow.merchant_id) == actor.merchant_id
    with Session(request.app.state.records) as db:
        total = db.exec(select(func.count()).select_from(BlacklistRow).where(mine)).one()
        rows = db.exec(
            select(BlacklistRow, VisitorRow.name)
            .outerjoin(
                VisitorRow,
                (col(VisitorRow.merchant_id) == col(BlacklistRow.merchant_id))
                & (col(VisitorRow.visitor_id) == col(BlacklistRow.visitor_id)),
            )
            .where(mine)
            .order_by(col(BlacklistRow.added_at).desc(), col(BlacklistRow.visitor_id))
            .limit(limit)
            .offset(offset)
        ).all()
    return BlacklistPage(total=int(total), items=[_blacklist_out(r, name) for r, name in rows])


@router.put("/blacklist/{visitor_id}", response_model=BlacklistOut)
def add_to_blacklist(
    request: Request, actor: BlacklistWriter, visitor_id: str, body: BlacklistIn
) -> BlacklistOut:
    """Blacklist a visitor the merchant knows; new conversations from it are refused."""
    with Session(request.app.state.records) as db:
        profile = _profile(db, actor.merchant_id, visitor_id)
        visitors.blacklist(
            db,
            actor.merchant_id,
            visitor_id,
            reason=body.reason,
            by=actor.principal.account,
            at=now(request),
        )
        db.commit()
        row = db.get(BlacklistRow, (actor.merchant_id, visitor_id))
        assert row is not None
        return _blacklist_out(row, profile.name)


@router.delete("/blacklist/{visitor_id}", status_code=204)
def remove_from_blacklist(request: Request, actor: BlacklistWriter, visitor_id: str) -> None:
    with Session(request.app.state.records) as db:
        row = db.get(BlacklistRow, (actor.merchant_id, visitor_id))
        if row is None:
            raise ApiProblem(404, "not_found", f"visitor {visitor_id!r} is not blacklisted")
        db.delete(row)
        db.commit()
