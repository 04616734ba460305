"""The agent workbench's REST actions (DESIGN part 2, "Agents"): status, sessions, the service.

``PUT /agents/me/status``, ``GET /agents/me/sessions``, ``GET /agents`` (colleagues for the
transfer and invitation pickers), and on a session: ``accept``, ``decline``, ``messages``,
``end``, ``transfer``, ``invite``, ``leave`` and ``survey`` (the agent's pins and mutes are
:mod:`.agent_marks`). Who may see which session is
:mod:`.agent_access`; what happens next reaches the agents over ``/ws/agent``. ``messages`` shares
its path with the visitor channel's REST twin, which hands agent tokens to :func:`agent_message`
(and ``images`` with the image upload, to :func:`agent_image`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, ValidationError, model_validator
from sqlmodel import Session as Db
from sqlmodel import select

from chatflow.admin_api import visitors
from chatflow.admin_api.agent_access import (
    Access,
    refused,
    services_of,
    target_agent,
    visible_session,
)
from chatflow.admin_api.auth import Principal
from chatflow.admin_api.merchant_accounts import enabled_accounts
from chatflow.admin_api.merchant_names import agent_names, site_names
from chatflow.admin_api.permissions import resolve_actor
from chatflow.admin_api.problems import ApiProblem, field_errors
from chatflow.admin_api.routes_auth import current_agent
from chatflow.admin_api.routes_words import word_filters
from chatflow.engine.config import AgentStatus
from chatflow.engine.directory import sites_by_group
from chatflow.engine.events import AgentMessage
from chatflow.engine.routing import RoutingError, UnknownSession
from chatflow.engine.session import Session
from chatflow.engine.stores.recordsdb import AccountRow, GroupRow, SiteRow

router = APIRouter(prefix="/api/v1", tags=["agents"])

Me = Annotated[Principal, Depends(current_agent)]
MAX_TEXT = 2_000


class StatusBody(BaseModel):
    status: AgentStatus
    reason: str | None = Field(default=None, max_length=50)
    """Why (``rest``: 午餐, 会议...); shown to colleagues and supervisors."""


class StatusOut(BaseModel):
    status: AgentStatus
    reason: str | None = None


class MySession(BaseModel):
    session_id: str
    group: str
    phase: Literal["ringing", "active"]
    expires_in: float | None = None
    """Seconds the offer still rings (``ringing`` only)."""
    visitor_id: str
    visitor_name: str | None = None
    """The name in the merchant's profile of the visitor; null without one."""
    site_key: str
    site_name: str
    """The site's name (its key when it has none)."""
    agents: list[str]
    agent_names: dict[str, str]
    """The serving agents' nicknames by account (the account when it has none, or is gone)."""


class AgentOut(BaseModel):
    account: str
    nickname: str
    staff_no: str
    groups: dict[str, int]
    status: AgentStatus
    reason: str | None = None
    sessions: int
    """Conversations it serves now."""
    ringing: int


class TransferBody(BaseModel):
    group: str | None = Field(default=None, min_length=1, max_length=64)
    agent: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_target(self) -> TransferBody:
        if (self.group is None) == (self.agent is None):
            raise ValueError("give exactly one of 'group' or 'agent'")
        return self


class InviteBody(BaseModel):
    agent: str = Field(min_length=1, max_length=64)


class AgentText(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    id: str | None = Field(default=None, min_length=1, max_length=64)
    """A client message id: the same id posted twice is sent once."""


# -- the agent itself ---------------------------------------------------------------------------


@router.put("/agents/me/status", response_model=StatusOut)
async def set_status(request: Request, me: Me, body: StatusBody) -> StatusOut:
    """Change status; any status but ``offline`` needs the agent's websocket open."""
    services = services_of(request)
    agent = me.account
    view = services.queue.dispatcher.agent(agent)
    online = view is not None and view.status != "offline"
    if body.status != "offline" and not services.queue.connected(agent):
        raise ApiProblem(
            409, "not_connected", "open the agent websocket (/ws/agent) before going online"
        )
    try:
        if body.status == "offline":
            if online:
                await services.queue.logout(agent)
        elif online:
            await services.queue.set_status(agent, body.status, body.reason)
        else:
            await services.queue.login(agent, body.status, body.reason)
    except RoutingError as exc:
        raise refused(exc) from None
    return StatusOut(status=body.status, reason=body.reason)


@router.get("/agents/me/sessions", response_model=list[MySession])
async def my_sessions(request: Request, me: Me) -> list[MySession]:
    """Sessions the agent serves and offers ringing for it, with the visitors' names (one read)."""
    services = services_of(request)
    now = services.clock.now().timestamp()
    views = services.queue.dispatcher.sessions_of(me.account)
    # a session the queue still holds but the store no longer has is left out rather than
    # failing the whole list
    loaded = await services.runtime.find([view.session_id for view in views])
    found = [(view, session) for view, session in zip(views, loaded, strict=True) if session]
    names = Names()
    if found:
        names = await asyncio.to_thread(
            _names, request, me.merchant_id, [session for _, session in found]
        )
    out = []
    for view, session in found:
        ringing = view.offered_to == me.account
        expires = view.expires_at if ringing else None
        out.append(
            MySession(
                session_id=view.session_id,
                group=view.group,
                phase="ringing" if ringing else "active",
                expires_in=None if expires is None else max(round(expires - now, 1), 0.0),
                visitor_id=session.sys.visitor_id,
                visitor_name=names.visitors.get(session.sys.visitor_id),
                site_key=session.site_key,
                site_name=names.sites.get(session.site_key) or session.site_key,
                agents=list(view.agents),
                agent_names={a: names.agents.get(a) or a for a in view.agents},
            )
        )
    return out


@dataclass(frozen=True)
class Names:
    """What the sessions list calls its visitors, sites and agents, by id."""

    visitors: dict[str, str] = field(default_factory=dict)
    sites: dict[str, str] = field(default_factory=dict)
    agents: dict[str, str] = field(default_factory=dict)


def _names(request: Request, merchant_id: str, sessions: list[Session]) -> Names:
    """The visitors' profile names, the sites' names and the merchant's agents' nicknames."""
    with Db(services_of(request).records) as db:
        ids = [session.sys.visitor_id for session in sessions]
        return Names(
            visitors=visitors.profile_names(db, merchant_id, ids),
            sites=site_names(db, merchant_id),
            agents=agent_names(db, merchant_id),
        )


def _accounts(request: Request, merchant_id: str) -> list[AccountRow]:
    with Db(services_of(request).records) as db:
        return list(enabled_accounts(db, merchant_id))


@router.get("/agents", response_model=list[AgentOut])
async def list_agents(
    request: Request, me: Me, include_offline: Annotated[bool, Query()] = False
) -> list[AgentOut]:
    """The merchant's agents online now, with their state (transfer and invitation pickers)."""
    services = services_of(request)
    out = []
    for row in await asyncio.to_thread(_accounts, request, me.merchant_id):
        view = services.queue.dispatcher.agent(row.account)
        status: AgentStatus = view.status if view is not None else "offline"
        if status == "offline" and not include_offline:
            continue
        out.append(
            AgentOut(
                account=row.account,
                nickname=row.nickname,
                staff_no=row.staff_no,
                groups=dict(row.groups),
                status=status,
                reason=services.queue.reason(row.account) if status != "offline" else None,
                sessions=len(view.active) if view is not None else 0,
                ringing=len(view.ringing) if view is not None else 0,
            )
        )
    return out


class GroupName(BaseModel):
    id: str
    name: str
    """The group's display name (its id when it has none)."""
    sites: list[str]
    """The sites whose visitors it serves: a conversation may be transferred to its site's."""


def _group_names(request: Request, merchant_id: str) -> list[GroupName]:
    with Db(services_of(request).records) as db:
        rows = db.exec(select(GroupRow).where(GroupRow.merchant_id == merchant_id)).all()
        sites = sites_by_group(db, merchant_id)
    return [
        GroupName(id=row.id, name=row.name or row.id, sites=sites.get(row.id, []))
        for row in sorted(rows, key=lambda r: r.id)
    ]


class MyRights(BaseModel):
    """What the logged-in account may do in the admin API (the same resolution every admin route
    applies), so a page can hide what it would refuse."""

    owner: bool
    rights: dict[str, Literal["view", "edit"]]
    """Feature -> ``view`` or ``edit``; a feature left out is not accessible."""
    site_scope: list[str] | None
    """The sites it sees; null = every site of the merchant."""
    agent_scope: str
    """``self``, ``groups`` or ``all``: whose conversations and agents it sees."""
    scope_groups: list[str]


def _my_rights(request: Request, principal: Principal) -> MyRights:
    with Db(services_of(request).records) as db:
        actor = resolve_actor(db, principal)
    return MyRights(
        owner=actor.owner,
        rights=dict(sorted(actor.rights.items())),
        site_scope=None if actor.site_scope is None else sorted(actor.site_scope),
        agent_scope=actor.agent_scope,
        scope_groups=sorted(actor.scope_groups),
    )


@router.get("/agents/me/rights", response_model=MyRights)
async def my_rights(request: Request, me: Me) -> MyRights:
    """The caller's own rights and scopes (any account): the console and the flow editor hide
    the actions this account would be refused."""
    return await asyncio.to_thread(_my_rights, request, me)


@router.get("/agents/groups", response_model=list[GroupName])
async def list_group_names(request: Request, me: Me) -> list[GroupName]:
    """The merchant's agent groups by name, for any of its accounts: the workbench shows offers
    by group name and picks a transfer's group (settings stay behind the ``groups`` right)."""
    return await asyncio.to_thread(_group_names, request, me.merchant_id)


# -- a session ----------------------------------------------------------------------------------


async def _carry_out(operation: Awaitable[None]) -> None:
    """Await a queue operation; what the dispatcher refuses becomes the workbench's problem."""
    try:
        await operation
    except RoutingError as exc:
        raise refused(exc) from None


@router.post("/sessions/{session_id}/accept", status_code=204)
async def accept(request: Request, me: Me, session_id: str) -> None:
    """Take a session ringing for the agent; the visitor sees it join."""
    await visible_session(request, me, session_id)
    await _carry_out(services_of(request).queue.accept(me.account, session_id))


@router.post("/sessions/{session_id}/decline", status_code=204)
async def decline(request: Request, me: Me, session_id: str) -> None:
    """Refuse a session ringing for the agent; it goes to another agent if anyone fits."""
    await visible_session(request, me, session_id)
    await _carry_out(services_of(request).queue.decline(me.account, session_id))


@router.post("/sessions/{session_id}/end", status_code=204)
async def end(request: Request, me: Me, session_id: str) -> None:
    """Hang up (``closed_by: seat``); the visitor's flow continues (survey, goodbye)."""
    access = await visible_session(request, me, session_id)
    access.require_serving()
    await _carry_out(services_of(request).queue.end(session_id, me.account, "seat"))


@router.post("/sessions/{session_id}/survey", status_code=204)
async def survey(request: Request, me: Me, session_id: str) -> None:
    """Send the survey: ends the human service, and the transfer node's ``next`` is a survey."""
    access = await visible_session(request, me, session_id)
    access.require_serving()
    session = access.session
    flow = await services_of(request).runtime.flows.get(session.flow_id, session.flow_version)
    node = flow.flow.nodes.get(session.node)
    after = getattr(node, "next", None)
    if after is None or flow.flow.nodes[after].type != "survey":
        raise ApiProblem(
            409, "no_survey", "this flow has no survey after the service; end it instead"
        )
    await _carry_out(services_of(request).queue.end(session_id, me.account, "seat"))


def _site_groups(request: Request, merchant_id: str, site_key: str, group: str) -> list[str]:
    """The site's transfer groups; 404 when the group is not the merchant's."""
    with Db(services_of(request).records) as db:
        if db.get(GroupRow, (merchant_id, group)) is None:
            raise ApiProblem(404, "not_found", f"no group {group!r}")
        site = db.get(SiteRow, site_key)
    return list(site.groups) if site is not None else []


@router.post("/sessions/{session_id}/transfer", status_code=204)
async def transfer(request: Request, me: Me, session_id: str, body: TransferBody) -> None:
    """Move the session to a group's queue or ring one free agent."""
    access = await visible_session(request, me, session_id)
    if not (access.serving or access.oversees):
        access.require_serving()
    merchant = me.merchant_id
    if body.group is not None:
        allowed = await asyncio.to_thread(
            _site_groups, request, merchant, access.session.site_key, body.group
        )
        if allowed and body.group not in allowed:
            raise ApiProblem(
                422,
                "group_not_allowed",
                f"site {access.session.site_key!r} does not transfer to group {body.group!r}; "
                f"its groups: {', '.join(allowed)}",
            )
    if body.agent is not None:
        await target_agent(request, merchant, body.agent)
    if access.view is None:
        raise refused(UnknownSession(session_id))
    await _carry_out(
        services_of(request).queue.transfer(session_id, to_group=body.group, to_agent=body.agent)
    )


@router.post("/sessions/{session_id}/invite", status_code=204)
async def invite(request: Request, me: Me, session_id: str, body: InviteBody) -> None:
    """Bring another online agent into the conversation (seed 000: 邀請其他客服)."""
    access = await visible_session(request, me, session_id)
    await target_agent(request, me.merchant_id, body.agent)
    access.require_serving()
    await _carry_out(services_of(request).queue.invite(session_id, body.agent))


@router.post("/sessions/{session_id}/leave", status_code=204)
async def leave(request: Request, me: Me, session_id: str) -> None:
    """Leave a conversation another agent keeps serving (else 409 ``last_agent``)."""
    access = await visible_session(request, me, session_id)
    access.require_serving()
    services = services_of(request)
    await _carry_out(services.queue.leave_collaboration(session_id, me.account))
    services.hub.send(me.account, {"type": "left", "session_id": session_id})


# -- messages (the path is the visitor channel's; see channels.web) -----------------------------


async def agent_message(request: Request, session_id: str, token: str) -> dict[str, Any]:
    """``POST /api/v1/sessions/{id}/messages {text, id?}`` with an agent's token."""
    me = await asyncio.to_thread(current_agent, token, request.app.state.auth)
    try:
        body = AgentText.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = field_errors(exc.errors())
        raise ApiProblem(422, "invalid_input", "the message is not valid", errors=errors) from None
    if not body.text.strip():
        raise ApiProblem(422, "invalid_input", "'text' must not be blank")
    access = await visible_session(request, me, session_id)
    access.require_serving()
    verdict = await word_filters(request.app).check_agent_message(me.merchant_id, body.text)
    if not verdict.allowed:
        raise ApiProblem(422, "forbidden_word", verdict.reason, words=verdict.blocked)
    services = services_of(request)
    key = f"agent:{me.account}:{body.id or uuid.uuid4().hex}"
    said = AgentMessage(key, me.account, body.text, me.nickname, me.staff_no)
    applied = await services.runtime.apply(session_id, said)
    if applied and verdict.alerts:
        await alert(request, access, body.text, verdict.alerts)
    return {"accepted": True, "applied": applied}


async def agent_image(request: Request, session_id: str, token: str) -> dict[str, Any]:
    """``POST /api/v1/sessions/{id}/images`` with an agent's token (see channels.images)."""
    me = await asyncio.to_thread(current_agent, token, request.app.state.auth)
    access = await visible_session(request, me, session_id)
    access.require_serving()
    signed = (me.nickname, me.staff_no)
    images = await request.app.state.images.accept(
        request, access.session, "agent", me.account, signed
    )
    return {"url": images[0]["url"], "images": images}


def _overseers(request: Request, merchant_id: str, group: str | None) -> list[str]:
    """Supervisors and admins of the merchant whose scope covers the group."""
    out = []
    with Db(services_of(request).records) as db:
        for row in enabled_accounts(db, merchant_id):
            if row.role == "agent" and not row.owner:
                continue
            principal = Principal(
                row.id or 0, row.account, row.merchant_id, row.role, row.nickname, row.staff_no
            )
            groups = resolve_actor(db, principal).sees_agent_groups()
            if groups is None or (group is not None and group in groups):
                out.append(row.account)
    return out


async def alert(request: Request, access: Access, text: str, alerts: list[tuple[str, str]]) -> None:
    """Sensitive or reminder words: an ``alert`` frame to the overseers online."""
    services = services_of(request)
    group = access.view.group if access.view is not None else None
    frame = {
        "type": "alert",
        "session_id": access.session.id,
        "agent": access.agent,
        "group": group,
        "text": text,
        "words": [{"kind": kind, "word": word} for kind, word in alerts],
    }
    merchant = access.principal.merchant_id
    for account in await asyncio.to_thread(_overseers, request, merchant, group):
        if services.hub.online(account):
            services.hub.send(account, frame)
