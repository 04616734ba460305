"""Which live sessions an agent may see and act on, and the queue's refusals as problems.

An agent sees the sessions it serves or that ring for it (and its own past ones); a supervisor
also those of the groups in its scope; an admin every session of its merchant (within its site
scope). Anything else, another merchant's session above all, is 404: the answer never says
whether the id exists. What the dispatcher refuses (:mod:`chatflow.engine.routing`) becomes a
problem that names the state, so the workbench can say why (``agent_unavailable`` with the agent's
``state``, ``last_agent``, ``not_offered``...); :func:`refused` is the one mapping, which the
console's batch transfer reports per item too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from fastapi import Request
from sqlalchemy import Engine
from sqlmodel import Session as Db

from chatflow.admin_api.auth import Principal
from chatflow.admin_api.merchant_accounts import enabled_account
from chatflow.admin_api.permissions import Actor, resolve_actor
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.services import Services
from chatflow.engine.errors import NotFoundError
from chatflow.engine.routing import (
    AgentUnavailable,
    InvalidTransfer,
    LastAgent,
    NotOffered,
    NotServing,
    QueueUnavailable,
    RoutingError,
    SessionView,
    UnknownAgent,
    UnknownGroup,
    UnknownSession,
)
from chatflow.engine.session import Session
from chatflow.engine.stores.recordsdb import AccountRow, ConversationRow


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@dataclass(frozen=True)
class Access:
    """A session the caller may see, with what the queue knows of it now."""

    principal: Principal
    actor: Actor | None
    """None when the caller serves the session: the queue says so, the database was not read."""
    session: Session
    view: SessionView | None
    """None when the session is neither queued nor served."""

    @property
    def agent(self) -> str:
        return self.principal.account

    @property
    def serving(self) -> bool:
        view = self.view
        return view is not None and view.phase == "active" and self.agent in view.agents

    @property
    def oversees(self) -> bool:
        """A supervisor or admin who sees the session without serving it."""
        return self.actor is not None and self.actor.agent_scope != "self"

    def require_serving(self) -> SessionView:
        if not self.serving or self.view is None:
            raise ApiProblem(
                409, "not_serving", f"you do not serve session {self.session.id!r} right now"
            )
        return self.view


def _scope(
    engine: Engine, principal: Principal, session_id: str
) -> tuple[Actor, ConversationRow | None]:
    with Db(engine) as db:
        actor = resolve_actor(db, principal)
        row = db.get(ConversationRow, session_id)
    return actor, row


async def visible_session(request: Request, principal: Principal, session_id: str) -> Access:
    """The session if the caller may see it; otherwise 404, whatever the reason."""
    services = services_of(request)
    missing = ApiProblem(404, "not_found", f"no session {session_id!r}")
    try:
        session = await services.runtime.get(session_id)
    except NotFoundError:
        raise missing from None
    if session.merchant != principal.merchant_id:
        raise missing
    view = services.queue.dispatcher.session(session_id)
    access = Access(principal, None, session, view)
    if access.serving:
        return access  # the workbench's busiest calls (messages, images) need no database read
    actor, row = await asyncio.to_thread(_scope, services.records, principal, session_id)
    access = replace(access, actor=actor)
    agent = principal.account
    if view is not None and (agent in view.agents or view.offered_to == agent):
        return access
    if row is not None and agent in row.agents:
        return access  # its own past conversation: visible, though nothing can be done to it
    if not actor.sees_site(session.site_key):
        raise missing
    groups = actor.sees_agent_groups()
    group = view.group if view is not None else (row.group_id if row is not None else None)
    if groups is None or (group is not None and group in groups):
        return access
    raise missing


def merchant_account(request: Request, merchant_id: str, account: str) -> AccountRow | None:
    """An enabled account of the merchant (transfer and invitation targets)."""
    with Db(services_of(request).records) as db:
        return enabled_account(db, merchant_id, account)


async def target_agent(request: Request, merchant_id: str, account: str) -> str:
    """Check a transfer/invitation target: 404 if not of the merchant, 409 if offline."""
    row = await asyncio.to_thread(merchant_account, request, merchant_id, account)
    if row is None:
        raise ApiProblem(404, "not_found", f"no agent {account!r}")
    view = services_of(request).queue.dispatcher.agent(account)
    if view is None or view.status == "offline":
        raise refused(AgentUnavailable(account, "offline"))
    return account


def refused(exc: RoutingError) -> ApiProblem:
    """What the dispatcher refused, as the problem the workbench shows.

    Callers make sure a named agent is the merchant's first, so an agent the queue does not know
    (:class:`UnknownAgent`) is one that is not logged in: offline, like the docs promise.
    """
    if isinstance(exc, UnknownAgent):
        exc = AgentUnavailable(exc.agent_id, "offline")
    if isinstance(exc, AgentUnavailable):
        return ApiProblem(409, "agent_unavailable", str(exc), agent=exc.agent_id, state=exc.reason)
    if isinstance(exc, LastAgent):
        return ApiProblem(409, "last_agent", str(exc))
    if isinstance(exc, NotOffered):
        return ApiProblem(409, "not_offered", str(exc))
    if isinstance(exc, NotServing):
        return ApiProblem(409, "not_serving", str(exc))
    if isinstance(exc, UnknownSession):
        return ApiProblem(409, "not_in_queue", "the session is neither queued nor served")
    if isinstance(exc, InvalidTransfer):
        return ApiProblem(422, "invalid_transfer", str(exc))
    if isinstance(exc, UnknownGroup):
        return ApiProblem(404, "not_found", f"no group {exc.group!r}")
    if isinstance(exc, QueueUnavailable):
        return ApiProblem(503, "queue_unavailable", "the agent queue is unavailable; try again")
    return ApiProblem(409, "conflict", str(exc))
