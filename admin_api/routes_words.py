"""Forbidden, sensitive and reminder words (seed 001 设置敏感词): list, add, delete, try.

A change invalidates the merchant's compiled filter in :func:`word_filters`, the one cache the
agent-message path uses too: ``await word_filters(app).check_agent_message(merchant, text)``.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session, col, func, select

from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.recordquery import Offset, escape_like, now
from chatflow.admin_api.tenants import NumericId
from chatflow.engine.content import WordFilterCache
from chatflow.engine.stores.contenttables import WordRow
from chatflow.engine.wordfilter import fold

router = APIRouter(prefix="/api/v1/sensitive-words", tags=["sensitive words"])

Kind = Literal["forbidden", "sensitive", "reminder"]
Viewer = Annotated[Actor, Depends(require("sensitive_words", "view"))]
Editor = Annotated[Actor, Depends(require("sensitive_words", "edit"))]

_CACHE_LOCK = threading.Lock()


def word_filters(app: FastAPI) -> WordFilterCache:
    """The app's per-merchant word filter cache (``app.state.word_filters``), made on first use."""
    with _CACHE_LOCK:
        cache: WordFilterCache | None = getattr(app.state, "word_filters", None)
        if cache is None:
            cache = WordFilterCache(app.state.records)
            app.state.word_filters = cache
        return cache


class WordOut(BaseModel):
    id: int
    kind: Kind
    word: str
    created_at: datetime


class WordPage(BaseModel):
    total: int
    items: list[WordOut]


class AddWords(BaseModel):
    kind: Kind
    words: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        min_length=1, max_length=1000
    )


class AddedWords(BaseModel):
    added: list[WordOut]
    existing: list[str]
    """Words the merchant already had under this kind (compared case-insensitively)."""


class CheckBody(BaseModel):
    text: str = Field(max_length=5000)
    sender: Literal["agent", "visitor"] = "agent"


class AlertOut(BaseModel):
    kind: Kind
    word: str


class CheckOut(BaseModel):
    allowed: bool
    blocked: list[str]
    alerts: list[AlertOut]
    reason: str


def _out(row: WordRow) -> WordOut:
    return WordOut(id=row.id or 0, kind=row.kind, word=row.word, created_at=row.created_at)


@router.get("", response_model=WordPage)
def list_words(
    request: Request,
    actor: Viewer,
    kind: Kind | None = None,
    q: Annotated[str | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> WordPage:
    clauses = [col(WordRow.merchant_id) == actor.merchant_id]
    if kind is not None:
        clauses.append(col(WordRow.kind) == kind)
    if q:
        clauses.append(col(WordRow.folded).like(f"%{escape_like(fold(q))}%", escape="\\"))
    with Session(request.app.state.records) as db:
        total = db.exec(select(func.count()).select_from(WordRow).where(*clauses)).one()
        rows = db.exec(
            select(WordRow)
            .where(*clauses)
            .order_by(col(WordRow.kind), col(WordRow.folded))
            .limit(limit)
            .offset(offset)
        ).all()
    return WordPage(total=int(total), items=[_out(row) for row in rows])


@router.post("", response_model=AddedWords, status_code=201)
def add_words(request: Request, actor: Editor, body: AddWords) -> AddedWords:
    """Add words of one kind; blanks are refused, words already there are reported."""
    wanted: dict[str, str] = {}
    for word in body.words:
        clean = word.strip()
        if not clean:
            raise ApiProblem(422, "invalid_input", "a word must not be blank")
        wanted.setdefault(fold(clean), clean)
    at = now(request)
    with Session(request.app.state.records) as db:
        have = set(
            db.exec(
                select(WordRow.folded).where(
                    col(WordRow.merchant_id) == actor.merchant_id,
                    col(WordRow.kind) == body.kind,
                    col(WordRow.folded).in_(list(wanted)),
                )
            ).all()
        )
        rows = [
            WordRow(
                merchant_id=actor.merchant_id,
                kind=body.kind,
                word=word,
                folded=folded,
                created_at=at,
            )
            for folded, word in wanted.items()
            if folded not in have
        ]
        db.add_all(rows)
        db.commit()
        for row in rows:
            db.refresh(row)
        added = [_out(row) for row in rows]
    word_filters(request.app).invalidate(actor.merchant_id)
    existing = [word for folded, word in wanted.items() if folded in have]
    return AddedWords(added=added, existing=existing)


@router.delete("/{word_id}", status_code=204)
def delete_word(request: Request, actor: Editor, word_id: NumericId) -> None:
    with Session(request.app.state.records) as db:
        row = db.get(WordRow, word_id)
        if row is None or row.merchant_id != actor.merchant_id:
            raise ApiProblem(404, "not_found", f"no word {word_id}")
        db.delete(row)
        db.commit()
    word_filters(request.app).invalidate(actor.merchant_id)


@router.post("/check", response_model=CheckOut)
async def check_text(request: Request, actor: Viewer, body: CheckBody) -> CheckOut:
    """What the merchant's words say about a text: as an agent's message (forbidden words block
    it) or a visitor's (never blocked, alerts only)."""
    cache = word_filters(request.app)
    if body.sender == "agent":
        verdict = await cache.check_agent_message(actor.merchant_id, body.text)
    else:
        verdict = await cache.check_visitor_message(actor.merchant_id, body.text)
    return CheckOut(
        allowed=verdict.allowed,
        blocked=verdict.blocked,
        alerts=[AlertOut(kind=kind, word=word) for kind, word in verdict.alerts],
        reason=verdict.reason,
    )
