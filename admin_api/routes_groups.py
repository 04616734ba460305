"""Agent groups (客服分組) of a merchant: reception limit, routing and ringing behaviour.

Groups are what sites hand visitors to and what ``transfer`` nodes name, so one cannot be
deleted while a site or a published flow still uses it; agents simply lose the membership.
Every change reaches this worker's live queue before the route answers: new rules apply to the
next offers, and agents who lose the membership stop getting its visitors while online.
"""

from __future__ import annotations

from typing import Annotated, Literal

from anyio import from_thread
from fastapi import APIRouter, Depends, Request
from pydantic import Field
from sqlmodel import Session, select

from chatflow.admin_api.agent_access import services_of
from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problem_language import translate
from chatflow.admin_api.problems import ApiProblem, language
from chatflow.admin_api.routes_accounts import live_queue_update, to_live_queue
from chatflow.admin_api.tenants import ID_PATTERN, ApiModel, Db, GroupId, not_found
from chatflow.engine.directory import group_of, sites_by_group
from chatflow.engine.errors import DefinitionError
from chatflow.engine.stores.recordsdb import AccountRow, FlowVersionRow, GroupRow
from chatflow.engine.yamlsource import loads
from chatflow.nodes import LANGUAGE

router = APIRouter(prefix="/api/v1/admin/groups", tags=["agent groups"])

Routing = Literal["fifo", "priority"]


class GroupIn(ApiModel):
    """A new agent group."""

    id: str = Field(pattern=ID_PATTERN, max_length=64)
    """Group id, unique inside the merchant (``transfer`` nodes name it)."""
    name: str | None = Field(default=None, max_length=100)
    """Display name."""
    max_sessions: int = Field(default=5, ge=1, le=100)
    """Reception limit: conversations one agent of this group serves at once (1-100)."""
    routing: Routing = "fifo"
    """``fifo``: longest-waiting visitor to the longest-idle agent; ``priority``: by the agent's
    priority in the group (1 first), then longest idle."""
    ring_timeout: float = Field(default=15, gt=0, le=600)
    """Seconds an offer rings before it goes to another agent."""
    rest_after_missed: bool = False
    """Set an agent to ``rest`` when an offer to them times out."""
    auto_accept: bool = False
    """Offers are accepted at once, without ringing."""


class GroupPatch(ApiModel):
    """Fields to change; absent fields keep their value."""

    name: str | None = Field(default=None, max_length=100)
    """Display name."""
    max_sessions: int | None = Field(default=None, ge=1, le=100)
    """Reception limit (1-100)."""
    routing: Routing | None = None
    """``fifo`` or ``priority``."""
    ring_timeout: float | None = Field(default=None, gt=0, le=600)
    """Seconds an offer rings."""
    rest_after_missed: bool | None = None
    """Set an agent to ``rest`` after a missed offer."""
    auto_accept: bool | None = None
    """Accept offers without ringing."""


class GroupOut(ApiModel):
    """An agent group."""

    id: str
    name: str | None
    max_sessions: int
    routing: str
    ring_timeout: float
    rest_after_missed: bool
    auto_accept: bool
    sites: list[str]
    """Sites whose visitors this group serves."""


def _out(row: GroupRow, sites: dict[str, list[str]]) -> GroupOut:
    return GroupOut(
        id=row.id,
        name=row.name,
        max_sessions=row.max_sessions,
        routing=row.routing,
        ring_timeout=row.ring_timeout,
        rest_after_missed=row.rest_after_missed,
        auto_accept=row.auto_accept,
        sites=sites.get(row.id, []),
    )


def _one_out(db: Session, row: GroupRow) -> GroupOut:
    return _out(row, sites_by_group(db, row.merchant_id))


def _flows_using(db: Session, merchant_id: str, group_id: str) -> list[tuple[str, int]]:
    """Published flows of the merchant with a ``transfer`` to the group: (flow id, version)."""
    rows = db.exec(
        select(FlowVersionRow).where(
            FlowVersionRow.merchant_id == merchant_id, FlowVersionRow.status == "published"
        )
    ).all()
    using = []
    for row in rows:
        try:
            flow = LANGUAGE.parse(loads(row.yaml, f"{row.flow_id}.flow.yaml"))
        except DefinitionError:
            continue
        if group_id in flow.groups():
            using.append((row.flow_id, row.version))
    return sorted(using)


def _version_label(flow_id: str, version: int, lang: str) -> str:
    """A flow version as the console lists it, in the request's language."""
    return translate(f"{flow_id} (version {version})", lang)


def _to_live_queue(request: Request, db: Session, row: GroupRow) -> None:
    """Create or change the group in the queue (it lives on the event loop; routes run in a
    worker thread): a raised limit makes offers at once, a new routing orders the next ones."""
    services = services_of(request)
    queue = services.queue
    live_queue_update(
        db,
        row,
        lambda: from_thread.run(queue.configure_group, row.merchant_id, group_of(row)),
        services.queue_turn,
    )


def _get(db: Session, actor: Actor, group_id: str) -> GroupRow:
    row = db.get(GroupRow, (actor.merchant_id, group_id))
    if row is None:
        raise not_found("group", group_id)
    return row


@router.get("", response_model=list[GroupOut])
def list_groups(actor: Annotated[Actor, Depends(require("groups"))], db: Db) -> list[GroupOut]:
    """The merchant's agent groups."""
    rows = db.exec(select(GroupRow).where(GroupRow.merchant_id == actor.merchant_id)).all()
    sites = sites_by_group(db, actor.merchant_id)
    return [_out(row, sites) for row in sorted(rows, key=lambda r: r.id)]


@router.post("", response_model=GroupOut, status_code=201)
def create_group(
    body: GroupIn,
    actor: Annotated[Actor, Depends(require("groups", "edit"))],
    db: Db,
    request: Request,
) -> GroupOut:
    """Create a group; its id must be new in this merchant (409 otherwise)."""
    if db.get(GroupRow, (actor.merchant_id, body.id)) is not None:
        raise ApiProblem(409, "conflict", f"group {body.id!r} already exists")
    row = GroupRow(merchant_id=actor.merchant_id, **body.model_dump())
    db.add(row)
    db.commit()
    db.refresh(row)
    _to_live_queue(request, db, row)
    return _one_out(db, row)


@router.get("/{group_id}", response_model=GroupOut)
def get_group(
    group_id: GroupId, actor: Annotated[Actor, Depends(require("groups"))], db: Db
) -> GroupOut:
    """One group."""
    return _one_out(db, _get(db, actor, group_id))


@router.patch("/{group_id}", response_model=GroupOut)
def update_group(
    group_id: GroupId,
    body: GroupPatch,
    actor: Annotated[Actor, Depends(require("groups", "edit"))],
    db: Db,
    request: Request,
) -> GroupOut:
    """Change a group's settings; the live queue uses them from the next offer on."""
    row = _get(db, actor, group_id)
    for name, value in body.model_dump(exclude_unset=True).items():
        if value is not None or name == "name":
            setattr(row, name, value)
    db.add(row)
    db.commit()
    db.refresh(row)
    _to_live_queue(request, db, row)
    return _one_out(db, row)


@router.delete("/{group_id}", status_code=204)
def delete_group(
    group_id: GroupId,
    actor: Annotated[Actor, Depends(require("groups", "edit"))],
    db: Db,
    request: Request,
) -> None:
    """Delete a group no enabled site and no published flow uses; agents leave it. A disabled
    site never takes a visitor again and can never be changed, so it does not hold its groups.
    Refused: 409 ``group_in_use`` with the site keys (``sites``), the flow versions
    (``flow_versions``) and those as the console lists them (``flows``, in the request's
    language)."""
    row = _get(db, actor, group_id)
    sites = sites_by_group(db, actor.merchant_id, enabled_only=True).get(group_id, [])
    flows = _flows_using(db, actor.merchant_id, group_id)
    if sites or flows:
        users = [f"site {s!r}" for s in sites] + [f"flow {f!r} (version {v})" for f, v in flows]
        lang = language(request)
        raise ApiProblem(
            409,
            "group_in_use",
            f"group {group_id!r} is still used by {', '.join(users)}; remove it from them first",
            sites=sites,
            flows=[_version_label(f, v, lang) for f, v in flows],
            flow_versions=[{"flow": f, "version": v} for f, v in flows],
        )
    accounts = db.exec(select(AccountRow).where(AccountRow.merchant_id == actor.merchant_id)).all()
    members = [account for account in accounts if group_id in account.groups]
    for account in accounts:
        if group_id in account.groups or group_id in account.scope_groups:
            account.groups = {g: p for g, p in account.groups.items() if g != group_id}
            account.scope_groups = [g for g in account.scope_groups if g != group_id]
            db.add(account)
    db.delete(row)
    db.commit()
    for account in members:
        to_live_queue(services_of(request), db, account)
