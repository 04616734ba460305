"""Forbidden, sensitive and reminder words (seed 001 设置敏感词): list, add, delete, try.

A change invalidates the merchant's compiled filter in :func:`word_filters`, the one cache the
agent-message path uses too: ``await word_filters(app).check_agent_message(merchant, text)``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problem_language import translate
from chatflow.admin_api.problems import ApiProblem, language
from chatflow.admin_api.recordquery import Offset, escape_like, now
from chatflow.admin_api.tenants import NumericId
from chatflow.engine.content import WordFilterCache
from chatflow.engine.stores.contenttables import WordRow
from chatflow.engine.wordfilter import fold

router = APIRouter(prefix="/api/v1/sensitive-words", tags=["sensitive words"])

Kind = Literal["forbidden", "sensitive", "reminder"]
Viewer = Annotated[Actor, Depends(require("sensitive_words", "view"))]
Editor = Annotated[Actor, Depends(require("sensitive_words", "edit"))]
MAX_WORDS = 1000
MAX_LENGTH = 50

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
    words: list[str] = Field(min_length=1, max_length=MAX_WORDS)
    """Each checked on its own: a blank or too long one is refused, the others are added."""


class RefusedWord(BaseModel):
    index: int
    """Its place in ``words`` (0-based)."""
    word: str
    """As sent, trimmed; one longer than :data:`MAX_LENGTH` is cut to its first 20 characters."""
    code: Literal["blank", "too_long"]
    message: str
    """Why, in the request's language (``Accept-Language``)."""


class DuplicateWord(BaseModel):
    index: int
    """Its place in ``words`` (0-based)."""
    word: str
    """As sent, trimmed."""
    same_as: int
    """The place of the earlier word it repeats (trimmed, case and width ignored): that one
    answers for both."""


class WordCounts(BaseModel):
    added: int
    existing: int
    refused: int
    duplicates: int = 0
    """The four add up to the number of ``words`` sent."""


class AddedWords(BaseModel):
    added: list[WordOut]
    existing: list[str]
    """Words the merchant already had under this kind (case and width ignored), as sent: skipped."""
    refused: list[RefusedWord]
    duplicates: list[DuplicateWord] = Field(default_factory=list)
    """Words that repeat an earlier one of the same request: neither added nor counted again."""
    counts: WordCounts


@dataclass(frozen=True)
class _Refusal:
    index: int
    word: str
    code: Literal["blank", "too_long"]
    message: str
    """In English; worded in the request's language when answered (problem_texts.py)."""


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


@dataclass
class _Sorted:
    wanted: dict[str, str]
    """Folded -> as written, the first spelling of each valid word."""
    refused: list[_Refusal]
    duplicates: list[DuplicateWord]


def _sort(words: list[str]) -> _Sorted:
    """The valid words, the refused, and those that repeat an earlier valid one."""
    wanted: dict[str, str] = {}
    first: dict[str, int] = {}
    refused: list[_Refusal] = []
    duplicates: list[DuplicateWord] = []
    for index, word in enumerate(words):
        clean = word.strip()
        if not clean:
            refused.append(_Refusal(index, "", "blank", "a word must not be blank"))
        elif len(clean) > MAX_LENGTH:
            cut = f"{clean[:20]}…"
            message = f"at most {MAX_LENGTH} characters (this one has {len(clean)})"
            refused.append(_Refusal(index, cut, "too_long", message))
        elif (folded := fold(clean)) in wanted:
            duplicates.append(DuplicateWord(index=index, word=clean, same_as=first[folded]))
        else:
            wanted[folded] = clean
            first[folded] = index
    return _Sorted(wanted, refused, duplicates)


def _insert(
    request: Request, merchant_id: str, kind: str, wanted: dict[str, str]
) -> tuple[list[WordOut], set[str]]:
    """Adds the words the merchant does not have yet: the added rows, and the folded words that
    were there already."""
    at = now(request)
    with Session(request.app.state.records) as db:
        have = set(
            db.exec(
                select(WordRow.folded).where(
                    col(WordRow.merchant_id) == merchant_id,
                    col(WordRow.kind) == kind,
                    col(WordRow.folded).in_(list(wanted)),
                )
            ).all()
        )
        rows = [
            WordRow(merchant_id=merchant_id, kind=kind, word=word, folded=folded, created_at=at)
            for folded, word in wanted.items()
            if folded not in have
        ]
        db.add_all(rows)
        db.commit()
        for row in rows:
            db.refresh(row)
        return [_out(row) for row in rows], have


@router.post("", response_model=AddedWords, status_code=201)
def add_words(request: Request, actor: Editor, body: AddWords) -> AddedWords:
    """Add words of one kind, each on its own: the new ones are added, those already there
    skipped and reported, blank or too long ones refused with the reason, a repeat of an
    earlier word of the request named with the place of that word."""
    sorted_words = _sort(body.words)
    wanted, refusals = sorted_words.wanted, sorted_words.refused
    added: list[WordOut] = []
    have: set[str] = set()
    if wanted:
        try:
            added, have = _insert(request, actor.merchant_id, body.kind, wanted)
        except IntegrityError:  # another request added one of them meanwhile: it is there now
            added, have = _insert(request, actor.merchant_id, body.kind, wanted)
    if added:
        word_filters(request.app).invalidate(actor.merchant_id)
    existing = [word for folded, word in wanted.items() if folded in have]
    lang = language(request)
    refused = [
        RefusedWord(index=r.index, word=r.word, code=r.code, message=translate(r.message, lang))
        for r in refusals
    ]
    duplicates = sorted_words.duplicates
    counts = WordCounts(
        added=len(added),
        existing=len(existing),
        refused=len(refused),
        duplicates=len(duplicates),
    )
    return AddedWords(
        added=added, existing=existing, refused=refused, duplicates=duplicates, counts=counts
    )


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
