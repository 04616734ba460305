"""Quick replies (快捷回复): personal ones bound to the agent's account (seed 000) and team ones
shared by the merchant, editable only with ``quick_replies: edit`` (seed 001); grouped in
categories, searched over category, title and content, suggested as the agent types ``#...``
(seed 004), and imported in bulk from CSV or XLSX with a report per row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar
from starlette.concurrency import run_in_threadpool

from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problem_language import translate
from chatflow.admin_api.problems import ApiProblem, language
from chatflow.admin_api.quickreply_import import (
    LIMITS,
    MAX_BYTES,
    ReplyRow,
    UploadRejected,
    parse_upload,
)
from chatflow.admin_api.recordquery import Offset, escape_like, now
from chatflow.admin_api.tenants import NumericId
from chatflow.engine.stores.contenttables import QuickReplyRow

router = APIRouter(prefix="/api/v1/quick-replies", tags=["quick replies"])

Scope = Literal["personal", "team"]
User = Annotated[Actor, Depends(require("quick_replies", "view"))]
TEMPLATE = "\ufeff组名,标题,内容\n常用语,开头语,您好！很高兴为您服务，请问有什么可以帮您？\n"
"""The download template, as the seed's (UTF-8 with a BOM, so Excel shows the Chinese)."""


class ReplyIn(BaseModel):
    scope: Scope = "personal"
    category: str = Field(default="", max_length=LIMITS["category"])
    title: str = Field(min_length=1, max_length=LIMITS["title"])
    content: str = Field(min_length=1, max_length=LIMITS["content"])


class ReplyPatch(BaseModel):
    category: str | None = Field(default=None, max_length=LIMITS["category"])
    title: str | None = Field(default=None, min_length=1, max_length=LIMITS["title"])
    content: str | None = Field(default=None, min_length=1, max_length=LIMITS["content"])


class ReplyOut(BaseModel):
    id: int
    scope: Scope
    category: str
    title: str
    content: str
    updated_at: datetime


class ReplyPage(BaseModel):
    total: int
    items: list[ReplyOut]


class CategoryOut(BaseModel):
    scope: Scope
    category: str
    count: int


class RowProblem(BaseModel):
    row: int
    column: str | None
    """``category``, ``title`` or ``content`` (a code), or None for the whole row."""
    heading: str | None
    """The column's heading as the file writes it (``组名``, ``Title``): what to show a person."""
    message: str
    """Why, in the request's language (``Accept-Language``)."""


class ImportReport(BaseModel):
    file_type: str
    imported: int
    """New replies."""
    updated: int
    """Replies whose category and title existed with another content: the content was replaced."""
    unchanged: int
    """Rows identical to a stored reply: the reply was left as it was."""
    errors: list[RowProblem]


def _out(row: QuickReplyRow) -> ReplyOut:
    return ReplyOut(
        id=row.id or 0,
        scope="personal" if row.owner_account_id is not None else "team",
        category=row.category,
        title=row.title,
        content=row.content,
        updated_at=row.updated_at,
    )


def _owner(actor: Actor, scope: Scope) -> int | None:
    """The owner column for ``scope``; team replies need ``quick_replies: edit`` to change."""
    if scope == "personal":
        return actor.principal.account_id
    if not actor.can("quick_replies", "edit"):
        raise ApiProblem(403, "forbidden", "this account may not edit team quick replies")
    return None


def _visible(actor: Actor, scope: Scope | None = None) -> list[ColumnElement[bool]]:
    mine = col(QuickReplyRow.owner_account_id) == actor.principal.account_id
    team = col(QuickReplyRow.owner_account_id).is_(None)
    which = {"personal": mine, "team": team, None: or_(mine, team)}[scope]
    return [col(QuickReplyRow.merchant_id) == actor.merchant_id, which]


def _search(q: str) -> ColumnElement[bool]:
    like = f"%{escape_like(q)}%"
    fields = (QuickReplyRow.category, QuickReplyRow.title, QuickReplyRow.content)
    return or_(*(col(field).ilike(like, escape="\\") for field in fields))


def _ordered(clauses: list[ColumnElement[bool]]) -> SelectOfScalar[QuickReplyRow]:
    personal_first = col(QuickReplyRow.owner_account_id).is_(None)
    return (
        select(QuickReplyRow)
        .where(*clauses)
        .order_by(personal_first, col(QuickReplyRow.category), col(QuickReplyRow.title))
    )


@router.get("", response_model=ReplyPage)
def list_replies(
    request: Request,
    actor: User,
    scope: Scope | None = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="in category, title or content")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> ReplyPage:
    """The caller's personal replies and the team's, personal first, by category and title."""
    clauses = _visible(actor, scope)
    if category is not None:
        clauses.append(col(QuickReplyRow.category) == category)
    if q:
        clauses.append(_search(q))
    with Session(request.app.state.records) as db:
        total = db.exec(select(func.count()).select_from(QuickReplyRow).where(*clauses)).one()
        rows = db.exec(_ordered(clauses).limit(limit).offset(offset)).all()
    return ReplyPage(total=int(total), items=[_out(row) for row in rows])


@router.get("/categories", response_model=list[CategoryOut])
def list_categories(request: Request, actor: User) -> list[CategoryOut]:
    owner = col(QuickReplyRow.owner_account_id)
    statement = (
        select(owner.is_(None), QuickReplyRow.category, func.count())
        .where(*_visible(actor))
        .group_by(owner.is_(None), col(QuickReplyRow.category))
        .order_by(owner.is_(None), col(QuickReplyRow.category))
    )
    with Session(request.app.state.records) as db:
        rows = db.exec(statement).all()
    return [
        CategoryOut(scope="team" if team else "personal", category=category, count=count)
        for team, category, count in rows
    ]


@router.get("/suggest", response_model=list[ReplyOut])
def suggest(
    request: Request,
    actor: User,
    prefix: Annotated[str, Query(max_length=50, description="what follows '#'")] = "",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[ReplyOut]:
    """The workbench's '#' lookup: titles starting with the text first, then titles, categories
    and contents containing it; personal before team."""
    text = prefix.removeprefix("#").removeprefix("＃").strip()
    clauses = _visible(actor)
    if text:
        clauses.append(_search(text))
    with Session(request.app.state.records) as db:
        rows = db.exec(_ordered(clauses).limit(200)).all()
    folded = text.casefold()

    def rank(row: QuickReplyRow) -> int:
        title = row.title.casefold()
        if title.startswith(folded):
            return 0
        if folded in title:
            return 1
        return 2 if folded in row.category.casefold() else 3

    ranked = sorted(rows, key=lambda row: (rank(row), row.owner_account_id is None))
    return [_out(row) for row in ranked[:limit]]


@router.get("/template.csv", response_class=Response)
def template(actor: User) -> Response:
    """The import template: 组名 (category), 标题 (title), 内容 (content)."""
    return Response(
        TEMPLATE.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="quick-replies-template.csv"'},
    )


@router.post("", response_model=ReplyOut, status_code=201)
def create_reply(request: Request, actor: User, body: ReplyIn) -> ReplyOut:
    at = now(request)
    row = QuickReplyRow(
        merchant_id=actor.merchant_id,
        owner_account_id=_owner(actor, body.scope),
        category=body.category.strip(),
        title=body.title.strip(),
        content=body.content,
        created_at=at,
        updated_at=at,
    )
    with Session(request.app.state.records) as db:
        db.add(row)
        db.commit()
        db.refresh(row)
        return _out(row)


def _editable(db: Session, actor: Actor, reply_id: int) -> QuickReplyRow:
    row = db.get(QuickReplyRow, reply_id)
    visible = row is not None and row.merchant_id == actor.merchant_id
    if row is None or not visible or row.owner_account_id not in (None, actor.principal.account_id):
        raise ApiProblem(404, "not_found", f"no quick reply {reply_id}")
    _owner(actor, "personal" if row.owner_account_id is not None else "team")
    return row


@router.patch("/{reply_id}", response_model=ReplyOut)
def update_reply(request: Request, actor: User, reply_id: NumericId, body: ReplyPatch) -> ReplyOut:
    with Session(request.app.state.records) as db:
        row = _editable(db, actor, reply_id)
        for name, value in body.model_dump(exclude_none=True).items():
            setattr(row, name, value.strip() if name != "content" else value)
        row.updated_at = now(request)
        db.add(row)
        db.commit()
        db.refresh(row)
        return _out(row)


@router.delete("/{reply_id}", status_code=204)
def delete_reply(request: Request, actor: User, reply_id: NumericId) -> None:
    with Session(request.app.state.records) as db:
        db.delete(_editable(db, actor, reply_id))
        db.commit()


async def read_upload(request: Request) -> bytes:
    """The raw request body, refused past 2 MB without reading further."""
    if request.headers.get("content-type", "").startswith("multipart/"):
        raise ApiProblem(
            415, "unsupported_type", "send the file itself as the request body, not a form"
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BYTES:
        raise ApiProblem(413, "too_large", "the file is larger than 2 MB")
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BYTES:
            raise ApiProblem(413, "too_large", "the file is larger than 2 MB")
    return bytes(received)


def _store(
    actor: Actor, owner: int | None, rows: list[ReplyRow], request: Request
) -> tuple[int, int, int]:
    """Adds the new replies and replaces the content of those that changed: the counts added,
    updated and unchanged (a row identical to its stored reply is not written at all)."""
    at = now(request)
    with Session(request.app.state.records) as db:
        existing = {
            (row.category, row.title): row
            for row in db.exec(
                select(QuickReplyRow).where(
                    col(QuickReplyRow.merchant_id) == actor.merchant_id,
                    col(QuickReplyRow.owner_account_id) == owner
                    if owner is not None
                    else col(QuickReplyRow.owner_account_id).is_(None),
                )
            ).all()
        }
        added = updated = unchanged = 0
        for item in rows:
            found = existing.get((item.category, item.title))
            if found is None:
                db.add(
                    QuickReplyRow(
                        merchant_id=actor.merchant_id,
                        owner_account_id=owner,
                        category=item.category,
                        title=item.title,
                        content=item.content,
                        created_at=at,
                        updated_at=at,
                    )
                )
                added += 1
            elif found.content == item.content:
                unchanged += 1
            else:
                found.content, found.updated_at = item.content, at
                db.add(found)
                updated += 1
        db.commit()
    return added, updated, unchanged


@router.post("/import", response_model=ImportReport)
async def import_replies(
    request: Request,
    actor: User,
    scope: Scope = "personal",
    filename: Annotated[str | None, Query(max_length=200)] = None,
) -> ImportReport:
    """Import a CSV or XLSX file sent as the request body (at most 2 MB; its content decides the
    type). Valid rows are imported (same category and title: the content is replaced, unless it is
    the same), the others reported with row, column, the file's heading of that column and reason
    (in the request's language)."""
    owner = _owner(actor, scope)
    data = await read_upload(request)
    try:
        parsed = await run_in_threadpool(parse_upload, data, filename)
    except UploadRejected as exc:
        raise ApiProblem(exc.status, exc.code, exc.detail) from None
    added, updated, unchanged = await run_in_threadpool(_store, actor, owner, parsed.rows, request)
    lang = language(request)
    return ImportReport(
        file_type=parsed.kind,
        imported=added,
        updated=updated,
        unchanged=unchanged,
        errors=[
            RowProblem(
                row=e.row,
                column=e.column,
                heading=parsed.headings.get(e.column) if e.column else None,
                message=translate(e.message, lang),
            )
            for e in parsed.errors
        ],
    )
