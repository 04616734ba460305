"""Batch actions on conversation records (seed 003 批量管理): close, transfer, tag, blacklist,
delete.

Each answers per item: the ids that succeeded and, for the others, a code and a reason, so the
console can say "18 transferred, 2 failed"; a batch naming no conversation the caller can see
is a 404 as a whole. Transfer takes at most 20 conversations at once
(seed 003: 移轉事件單次操作上限為20筆). Close and transfer act on live conversations through
:class:`~chatflow.admin_api.live.LiveSessions`; a conversation the caller cannot see is
``not_found``, exactly like one that does not exist. A failure's ``detail`` is in the language
``Accept-Language`` asks for, like a problem's; its ``code`` stays a code.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, model_validator
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from chatflow.admin_api import visitors
from chatflow.admin_api.live import LiveError, LiveSessions, live_sessions
from chatflow.admin_api.merchant_accounts import enabled_account
from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problem_language import translate
from chatflow.admin_api.problems import ApiProblem, language
from chatflow.admin_api.recordquery import DbId, now, scope_clauses
from chatflow.engine.retention import delete_conversations
from chatflow.engine.stores.recordsdb import ConversationRow, GroupRow

log = logging.getLogger("chatflow.api.batch")

router = APIRouter(prefix="/api/v1/records/batch", tags=["records"])

TRANSFER_LIMIT = 20
BATCH_LIMIT = 200

Editor = Annotated[Actor, Depends(require("records", "edit"))]
Live = Annotated[LiveSessions, Depends(live_sessions)]
SessionIds = Annotated[list[str], Field(min_length=1, max_length=BATCH_LIMIT)]


class BatchBody(BaseModel):
    session_ids: SessionIds

    def unique_ids(self) -> list[str]:
        return list(dict.fromkeys(self.session_ids))


class TransferBody(BatchBody):
    group: str | None = None
    """Move to this group's queue..."""
    agent: str | None = None
    """...or to this agent (an account)."""

    @model_validator(mode="after")
    def _one_target(self) -> TransferBody:
        if (self.group is None) == (self.agent is None):
            raise ValueError("give exactly one of group or agent")
        return self


class TagBody(BatchBody):
    tag_ids: list[DbId] = Field(min_length=1, max_length=50)


class BlacklistBody(BatchBody):
    reason: str = Field(default="", max_length=200)


class Failure(BaseModel):
    session_id: str
    code: str
    detail: str
    """Why, in the request's language (``Accept-Language``)."""


class BatchResult(BaseModel):
    action: str
    succeeded: list[str]
    failed: list[Failure]
    success_count: int
    failure_count: int


class _Outcome:
    def __init__(self, action: str, request: Request) -> None:
        self.action = action
        self.lang = language(request)
        self.succeeded: list[str] = []
        self.failed: list[Failure] = []

    def fail(self, session_id: str, code: str, detail: str) -> None:
        """``detail`` is the English text; the answer words it in the request's language."""
        worded = translate(detail, self.lang)
        self.failed.append(Failure(session_id=session_id, code=code, detail=worded))

    def result(self) -> BatchResult:
        return BatchResult(
            action=self.action,
            succeeded=self.succeeded,
            failed=self.failed,
            success_count=len(self.succeeded),
            failure_count=len(self.failed),
        )


def _visible(db: Session, actor: Actor, ids: list[str]) -> dict[str, ConversationRow]:
    """The conversations the actor may act on; 404 when it may act on none of them."""
    statement = select(ConversationRow).where(
        col(ConversationRow.session_id).in_(ids), *scope_clauses(actor)
    )
    found = {row.session_id: row for row in db.exec(statement).all()}
    if not found:
        raise ApiProblem(404, "not_found", "none of these conversations exists")
    return found


async def _live_batch(
    request: Request,
    actor: Actor,
    ids: list[str],
    action: str,
    call: Callable[[str], Awaitable[None]],
) -> BatchResult:
    outcome = _Outcome(action, request)
    with Session(request.app.state.records) as db:
        rows = _visible(db, actor, ids)
    for session_id in ids:
        row = rows.get(session_id)
        if row is None:
            outcome.fail(session_id, "not_found", "no such conversation")
        elif row.status == "ended":
            outcome.fail(session_id, "already_ended", "the conversation has ended")
        else:
            try:
                await call(session_id)
            except LiveError as exc:
                outcome.fail(session_id, exc.code, exc.detail)
            except Exception:
                log.exception("batch.failed", extra={"session_id": session_id, "action": action})
                outcome.fail(
                    session_id, "error", "an unexpected error happened; it has been logged"
                )
            else:
                outcome.succeeded.append(session_id)
    return outcome.result()


@router.post("/close", response_model=BatchResult)
async def batch_close(request: Request, actor: Editor, live: Live, body: BatchBody) -> BatchResult:
    """End live conversations as an admin (``closed_by: admin``)."""

    async def close(session_id: str) -> None:
        await live.close(actor.merchant_id, session_id, by=actor.principal.account)

    return await _live_batch(request, actor, body.unique_ids(), "close", close)


@router.post("/transfer", response_model=BatchResult)
async def batch_transfer(
    request: Request, actor: Editor, live: Live, body: TransferBody
) -> BatchResult:
    """Move at most 20 live conversations to a group or an agent; more is refused whole."""
    ids = body.unique_ids()
    if len(ids) > TRANSFER_LIMIT:
        raise ApiProblem(
            422,
            "too_many",
            f"transfer at most {TRANSFER_LIMIT} conversations at once ({len(ids)} given)",
            limit=TRANSFER_LIMIT,
        )
    with Session(request.app.state.records) as db:
        if body.group is not None and db.get(GroupRow, (actor.merchant_id, body.group)) is None:
            raise ApiProblem(404, "not_found", f"no group {body.group!r}")
        if body.agent is not None and enabled_account(db, actor.merchant_id, body.agent) is None:
            raise ApiProblem(404, "not_found", f"no agent {body.agent!r}")

    async def transfer(session_id: str) -> None:
        await live.transfer(
            actor.merchant_id,
            session_id,
            group=body.group,
            agent=body.agent,
            by=actor.principal.account,
        )

    return await _live_batch(request, actor, ids, "transfer", transfer)


def _per_visitor(
    request: Request,
    actor: Actor,
    ids: list[str],
    action: str,
    apply: Callable[[Session, list[str]], None],
) -> BatchResult:
    """``apply`` once to the visitors of the visible conversations (each visitor once)."""
    outcome = _Outcome(action, request)
    with Session(request.app.state.records) as db:
        rows = _visible(db, actor, ids)
        for session_id in ids:
            if session_id in rows:
                outcome.succeeded.append(session_id)
            else:
                outcome.fail(session_id, "not_found", "no such conversation")
        apply(db, list(dict.fromkeys(rows[s].visitor_id for s in outcome.succeeded)))
        db.commit()
    return outcome.result()


@router.post("/tag", response_model=BatchResult)
def batch_tag(request: Request, actor: Editor, body: TagBody) -> BatchResult:
    """Tag the visitors of these conversations (seed 001 批量打标签); needs ``tags: edit``."""
    if not actor.can("tags", "edit"):
        raise ApiProblem(403, "forbidden", "this account may not edit tags")
    with Session(request.app.state.records) as db:
        tags = visitors.merchant_tags(db, actor.merchant_id, body.tag_ids)

    def tag(db: Session, visitor_ids: list[str]) -> None:
        visitors.add_tags(db, actor.merchant_id, visitor_ids, tags, at=now(request))

    return _per_visitor(request, actor, body.unique_ids(), "tag", tag)


@router.post("/blacklist", response_model=BatchResult)
def batch_blacklist(request: Request, actor: Editor, body: BlacklistBody) -> BatchResult:
    """Blacklist the visitors of these conversations; needs ``blacklist: edit``."""
    if not actor.can("blacklist", "edit"):
        raise ApiProblem(403, "forbidden", "this account may not edit the blacklist")

    def ban(db: Session, visitor_ids: list[str]) -> None:
        at = now(request)
        for visitor_id in visitor_ids:
            visitors.blacklist(
                db,
                actor.merchant_id,
                visitor_id,
                reason=body.reason,
                by=actor.principal.account,
                at=at,
            )

    return _per_visitor(request, actor, body.unique_ids(), "blacklist", ban)


@router.post("/delete", response_model=BatchResult)
async def batch_delete(request: Request, actor: Editor, body: BatchBody) -> BatchResult:
    """Delete ended conversations with their transcripts and images, and their sessions from
    the session store (a returning visitor's window no longer replays them); a live one must be
    closed first. The image rows go in the conversations' transaction (their URLs answer 404
    from then on), the bytes right after it."""
    outcome = _Outcome("delete", request)
    ids = body.unique_ids()

    def delete_records() -> list[str]:
        with Session(request.app.state.records) as db:
            rows = _visible(db, actor, ids)
            for session_id in ids:
                row = rows.get(session_id)
                if row is None:
                    outcome.fail(session_id, "not_found", "no such conversation")
                elif row.status != "ended":
                    outcome.fail(
                        session_id, "still_live", "close the conversation before deleting it"
                    )
                else:
                    outcome.succeeded.append(session_id)
            images = delete_conversations(db, outcome.succeeded, actor.merchant_id)
            db.commit()
        return images

    images = await run_in_threadpool(delete_records)
    await request.app.state.housekeeping.deleted(outcome.succeeded, images)
    return outcome.result()
