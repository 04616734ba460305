"""An agent's pinned and muted conversations (seed 001 置顶聊天, 消息免打扰), kept per account in
the records database, so every browser and computer of the agent shows the same marks.

The routes ``/agents/me/marks``, the rule of what may be marked (:func:`check_markable`: a
conversation the agent serves or served, never an offer still ringing for it) and the table's
reads and writes. An agent keeps its newest :data:`MARKS_KEPT` marks: a change past that drops
the one changed longest ago. Each change reaches the agent's open workbenches as a ``marks``
frame (:mod:`.agent_notices`), so a second browser or tab shows it at once. Deleting a
conversation (``retention.delete_conversations``) or an account deletes its marks.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import StrictBool, field_validator, model_validator
from sqlalchemy import ColumnElement, Engine, and_, delete
from sqlmodel import Session as Db
from sqlmodel import col, select

from chatflow.admin_api.agent_access import services_of, visible_session
from chatflow.admin_api.agent_notices import tell_agent
from chatflow.admin_api.auth import Principal
from chatflow.admin_api.permissions import resolve_actor
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.recordquery import now, scope_clauses
from chatflow.admin_api.routes_auth import current_agent
from chatflow.admin_api.tenants import ApiModel
from chatflow.engine.stores.recordsdb import AccountRow, AgentMarkRow, ConversationRow

router = APIRouter(prefix="/api/v1", tags=["agents"])
Me = Annotated[Principal, Depends(current_agent)]

MARKS_KEPT = 200
"""Marks kept per agent, as many as the workbench kept per browser before."""


class MarkChange(ApiModel):
    """``PATCH /agents/me/marks/{id}``: what changes; a field left out stays as it is."""

    pinned: StrictBool | None = None
    """Pin (置顶) or unpin the conversation."""
    muted: StrictBool | None = None
    """Mute (消息免打扰) or unmute it."""

    @field_validator("pinned", "muted", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("must be true or false")
        return value

    @model_validator(mode="after")
    def _something(self) -> MarkChange:
        if self.pinned is None and self.muted is None:
            raise ValueError("give 'pinned', 'muted' or both")
        return self


class Mark(ApiModel):
    session_id: str
    pinned: bool
    muted: bool
    updated_at: datetime
    """When the agent last changed it."""


def _mark(row: AgentMarkRow) -> Mark:
    return Mark(
        session_id=row.session_id, pinned=row.pinned, muted=row.muted, updated_at=row.updated_at
    )


def _mine(me: Principal) -> ColumnElement[bool]:
    return and_(
        col(AgentMarkRow.merchant_id) == me.merchant_id,
        col(AgentMarkRow.account_id) == me.account_id,
    )


def read_marks(engine: Engine, me: Principal) -> list[Mark]:
    """The agent's marks, the one changed last first."""
    with Db(engine) as db:
        rows = db.exec(select(AgentMarkRow).where(_mine(me)).order_by(col(AgentMarkRow.id).desc()))
        return [_mark(row) for row in rows]


def write_mark(
    engine: Engine, me: Principal, session_id: str, change: MarkChange, at: datetime
) -> Mark:
    """Apply ``change`` to the agent's mark of the conversation; a mark left with neither pin
    nor mute is deleted. The row is written anew, so it becomes the agent's newest."""
    with Db(engine) as db:
        if db.get_bind().dialect.name == "postgresql":
            # one agent's writes take turns on its account row (SQLite: the write lock does it);
            # NO KEY UPDATE leaves the KEY SHARE of its tokens' foreign keys alone
            account = select(AccountRow.id).where(col(AccountRow.id) == me.account_id)
            db.exec(account.with_for_update(key_share=True)).first()
        # the first statement writes: on SQLite the write lock is taken before anything is read
        old = db.execute(
            delete(AgentMarkRow)
            .where(_mine(me), col(AgentMarkRow.session_id) == session_id)
            .returning(col(AgentMarkRow.pinned), col(AgentMarkRow.muted))
        ).first()
        pinned = change.pinned if change.pinned is not None else bool(old and old[0])
        muted = change.muted if change.muted is not None else bool(old and old[1])
        if pinned or muted:
            db.add(
                AgentMarkRow(
                    merchant_id=me.merchant_id,
                    account_id=me.account_id,
                    session_id=session_id,
                    pinned=pinned,
                    muted=muted,
                    updated_at=at,
                )
            )
            db.flush()
            _keep_newest(db, me)
        db.commit()
    return Mark(session_id=session_id, pinned=pinned, muted=muted, updated_at=at)


def _keep_newest(db: Db, me: Principal) -> None:
    ids = col(AgentMarkRow.id)
    older = select(ids).where(_mine(me)).order_by(ids.desc()).offset(MARKS_KEPT)
    dropped = list(db.exec(older).all())
    if dropped:
        db.exec(delete(AgentMarkRow).where(ids.in_(dropped)))


def forget_mark(engine: Engine, me: Principal, session_id: str) -> bool:
    """Delete the agent's mark of the conversation; whether it had one."""
    with Db(engine) as db:
        gone = db.exec(
            delete(AgentMarkRow).where(_mine(me), col(AgentMarkRow.session_id) == session_id)
        )
        db.commit()
        return bool(gone.rowcount)


Verdict = Literal["served", "seen", "unseen", "none"]
"""What the records say of an agent and a conversation: it served it; may see it in the
records (a supervisor's group, an admin); may not; there is no record of its merchant."""


def _recorded(engine: Engine, me: Principal, session_id: str) -> Verdict:
    with Db(engine) as db:
        row = db.get(ConversationRow, session_id)
        if row is None or row.merchant_id != me.merchant_id:
            return "none"
        if me.account in row.agents:
            return "served"
        shown = select(ConversationRow.session_id).where(
            col(ConversationRow.session_id) == session_id, *scope_clauses(resolve_actor(db, me))
        )
        return "seen" if db.exec(shown).first() is not None else "unseen"


async def check_markable(request: Request, me: Principal, session_id: str) -> None:
    """Return if the agent serves the conversation or served it; otherwise ``409
    not_markable`` when the agent may see it (an offer ringing for it, or a colleague's
    conversation a supervisor sees), ``404`` when not, whatever the reason."""
    services = services_of(request)
    view = services.queue.dispatcher.session(session_id)
    if view is not None and view.merchant != me.merchant_id:
        view = None
    if view is not None and view.offered_to == me.account:
        raise ApiProblem(
            409, "not_markable", f"accept session {session_id!r} before you pin or mute it"
        )
    if view is not None and view.phase == "active" and me.account in view.agents:
        return
    verdict = await asyncio.to_thread(_recorded, services.records, me, session_id)
    if verdict == "served":
        return
    if verdict == "unseen":
        raise ApiProblem(404, "not_found", f"no session {session_id!r}")
    if verdict == "none":
        await visible_session(request, me, session_id)  # live but not recorded yet: 404 or on
    raise ApiProblem(
        409,
        "not_markable",
        f"you have not served session {session_id!r}: "
        "you may pin or mute only the conversations you serve or served",
    )


async def check_merchants(request: Request, me: Principal, session_id: str) -> None:
    """404 unless the conversation is of the agent's merchant (live or recorded)."""
    services = services_of(request)
    view = services.queue.dispatcher.session(session_id)
    if view is not None and view.merchant == me.merchant_id:
        return
    if await asyncio.to_thread(_recorded, services.records, me, session_id) == "none":
        raise ApiProblem(404, "not_found", f"no session {session_id!r}")


@router.get("/agents/me/marks", response_model=list[Mark])
async def my_marks(request: Request, me: Me) -> list[Mark]:
    """The conversations the agent pinned or muted, the one changed last first (at most 200)."""
    return await asyncio.to_thread(read_marks, services_of(request).records, me)


@router.patch("/agents/me/marks/{session_id}", response_model=Mark)
async def set_mark(request: Request, me: Me, session_id: str, body: MarkChange) -> Mark:
    """Pin, mute or undo either, on a conversation the agent serves or served."""
    await check_markable(request, me, session_id)
    services = services_of(request)
    mark = await asyncio.to_thread(write_mark, services.records, me, session_id, body, now(request))
    tell_marks(request, me, mark)
    return mark


@router.delete("/agents/me/marks/{session_id}", status_code=204)
async def forget_marks(request: Request, me: Me, session_id: str) -> None:
    """Forget the conversation's marks (the workbench closes a finished conversation)."""
    if await asyncio.to_thread(forget_mark, services_of(request).records, me, session_id):
        unmarked = Mark(session_id=session_id, pinned=False, muted=False, updated_at=now(request))
        tell_marks(request, me, unmarked)
    else:
        await check_merchants(request, me, session_id)


def tell_marks(request: Request, me: Principal, mark: Mark) -> None:
    """Every workbench of the agent (other browsers and tabs too, on any worker) gets the
    conversation's marks as they are now: ``marks {session_id, pinned, muted, updated_at}``."""
    frame = {"type": "marks", **mark.model_dump(mode="json")}
    tell_agent(services_of(request).feed, me.account_id, frame)
