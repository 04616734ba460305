"""Workbench apps (seed 004 来电弹屏): third-party pages a merchant embeds in the agent
workbench's right column, a CRM or a ticket system; Chatwoot's "dashboard apps".

The admin routes (``/admin/workbench-apps``, feature ``settings``) keep at most
:data:`MAX_APPS` per merchant; ``GET /agents/me/apps`` gives any account of the merchant the
enabled ones, which the workbench reads at login and again on the ``apps`` frame each change
sends to the merchant's open workbenches. An app's URL is ``https://`` (seed: HTTPS
only, for the data's safety), or ``http://`` on ``localhost`` / ``127.0.0.1`` for local development.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from anyio import from_thread
from fastapi import APIRouter, Depends, Request
from pydantic import AfterValidator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from chatflow.admin_api.agent_notices import tell_merchant
from chatflow.admin_api.auth import Principal
from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.recordquery import now
from chatflow.admin_api.routes_auth import current_agent
from chatflow.admin_api.tenants import ApiModel, NumericId
from chatflow.engine.stores.contenttables import WorkbenchAppRow
from chatflow.engine.stores.recordsdb import MerchantRow

router = APIRouter(prefix="/api/v1", tags=["workbench apps"])

Viewer = Annotated[Actor, Depends(require("settings", "view"))]
Editor = Annotated[Actor, Depends(require("settings", "edit"))]
Me = Annotated[Principal, Depends(current_agent)]

MAX_APPS = 10
"""Apps per merchant (seed 004: 最多只能添加10个)."""
MAX_NAME = 20
MAX_URL = 2048
ADMIN = "/admin/workbench-apps"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BLANK_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_BAD_HOST = re.compile(r"[\\%<>\"{}|^`\[\]]")
SCHEME_RULE = "the URL must start with https://"
HTTP_RULE = "http:// is only for localhost and 127.0.0.1 (local development): use https://"


def check_name(value: str) -> str:
    """Trimmed; 1 to 20 characters, none of them a control character (it titles a tab)."""
    name = value.strip()
    if not name:
        raise ValueError("the name must not be blank")
    if len(name) > MAX_NAME:
        raise ValueError(f"the name must be at most {MAX_NAME} characters ({len(name)} given)")
    if _CONTROL.search(name):
        raise ValueError("the name must not contain control characters")
    return name


HTTP_HOSTS = ("localhost", "127.0.0.1")
"""The hosts an app may be served from over plain http: this machine. The workbench page's
Content-Security-Policy is made from the same list (``frame_sources``), so an app the API takes
is an app the workbench shows."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (as urlsplit gives it: lower case) is one of :data:`HTTP_HOSTS`."""
    return host in HTTP_HOSTS


def frame_sources() -> str:
    """The workbench page's ``frame-src``: any https page, and http on :data:`HTTP_HOSTS`."""
    return " ".join(["frame-src https:", *(f"http://{host}:*" for host in HTTP_HOSTS)])


def check_url(value: str) -> str:
    """An absolute https URL (http on a loopback host), trimmed; kept as given, fragment too."""
    url = value.strip()
    if len(url) > MAX_URL:
        raise ValueError(f"the URL must be at most {MAX_URL} characters ({len(url)} given)")
    if _BLANK_OR_CONTROL.search(url):
        raise ValueError("the URL must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # raises on a port that is not a number in range
    except ValueError:
        raise ValueError("the URL is not valid: write it as https://host/path") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not url[len(scheme) + 1 :].startswith("//"):
        raise ValueError(SCHEME_RULE)
    if "@" in parts.netloc:
        raise ValueError("the URL must not contain a user name or password (user:password@)")
    rest = parts.netloc.partition("]")[2] if parts.netloc.startswith("[") else parts.netloc
    if not host or _BAD_HOST.search(rest):
        raise ValueError("the URL needs a valid host: https://host/path")
    if scheme == "http" and not is_loopback(host):
        raise ValueError(HTTP_RULE)
    return url


Name = Annotated[str, AfterValidator(check_name)]
Url = Annotated[str, AfterValidator(check_url)]


class AppIn(ApiModel):
    name: Name
    """1-20 characters after trimming; unique in the merchant (case-sensitive)."""
    url: Url
    """``https://...``; ``http://`` only on localhost or 127.0.0.1; at most 2048
    characters."""
    enabled: bool = True
    """Disabled apps stay in the console but the workbench does not show them."""


class AppPatch(ApiModel):
    name: Name | None = None
    url: Url | None = None
    enabled: bool | None = None


class AppOut(ApiModel):
    id: int
    name: str
    url: str
    enabled: bool
    created_at: datetime
    updated_at: datetime


class MyApp(ApiModel):
    id: int
    name: str
    url: str


def _out(row: WorkbenchAppRow) -> AppOut:
    return AppOut(
        id=row.id or 0,
        name=row.name,
        url=row.url,
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _apps(db: Session, merchant_id: str, *, enabled_only: bool = False) -> list[WorkbenchAppRow]:
    """The merchant's apps, oldest first."""
    clauses = [col(WorkbenchAppRow.merchant_id) == merchant_id]
    if enabled_only:
        clauses.append(col(WorkbenchAppRow.enabled).is_(True))
    statement = select(WorkbenchAppRow).where(*clauses)
    return list(db.exec(statement.order_by(col(WorkbenchAppRow.id))).all())


def _app(db: Session, actor: Actor, app_id: int) -> WorkbenchAppRow:
    row = db.get(WorkbenchAppRow, app_id)
    if row is None or row.merchant_id != actor.merchant_id:
        raise ApiProblem(404, "not_found", f"no workbench app {app_id}")
    return row


def _taken(name: str) -> ApiProblem:
    return ApiProblem(409, "conflict", f"a workbench app named {name!r} already exists")


@router.get(ADMIN, response_model=list[AppOut])
def list_apps(request: Request, actor: Viewer) -> list[AppOut]:
    """Every app of the merchant, enabled or not, oldest first."""
    with Session(request.app.state.records) as db:
        return [_out(row) for row in _apps(db, actor.merchant_id)]


@router.post(ADMIN, response_model=AppOut, status_code=201)
def add_app(request: Request, actor: Editor, body: AppIn) -> AppOut:
    """Add an app: ``409 conflict`` when the name is taken, ``409 too_many`` past 10."""
    at = now(request)
    row = WorkbenchAppRow(
        merchant_id=actor.merchant_id,
        name=body.name,
        url=body.url,
        enabled=body.enabled,
        created_at=at,
        updated_at=at,
    )
    with Session(request.app.state.records) as db:
        db.add(row)
        try:
            db.flush()  # SQLite: the write lock is ours from here, so the count below is exact
        except IntegrityError:
            db.rollback()
            raise _taken(body.name) from None
        # PostgreSQL: additions of one merchant take turns on its row, so two at 9 cannot both
        # pass. NO KEY UPDATE: the inserts' foreign keys hold KEY SHARE on it, which FOR UPDATE
        # would wait on (a deadlock between two additions).
        merchant = select(MerchantRow.id).where(col(MerchantRow.id) == actor.merchant_id)
        db.exec(merchant.with_for_update(key_share=True)).first()
        count = db.exec(
            select(func.count())
            .select_from(WorkbenchAppRow)
            .where(col(WorkbenchAppRow.merchant_id) == actor.merchant_id)
        ).one()
        if count > MAX_APPS:
            db.rollback()
            raise ApiProblem(
                409,
                "too_many",
                f"a merchant has at most {MAX_APPS} workbench apps; delete one first",
                limit=MAX_APPS,
            )
        db.commit()
        db.refresh(row)
        added = _out(row)
    tell_apps(request, actor.merchant_id)
    return added


@router.patch(f"{ADMIN}/{{app_id}}", response_model=AppOut)
def update_app(request: Request, actor: Editor, app_id: NumericId, body: AppPatch) -> AppOut:
    """Rename, move, enable or disable an app; fields left out stay as they are."""
    with Session(request.app.state.records) as db:
        row = _app(db, actor, app_id)
        changes = body.model_dump(exclude_none=True)
        for field, value in changes.items():
            setattr(row, field, value)
        if changes:
            row.updated_at = now(request)
        db.add(row)
        try:
            db.commit()
        except IntegrityError:
            db.rollback()
            raise _taken(body.name or "") from None
        db.refresh(row)
        changed = _out(row)
    if changes:
        tell_apps(request, actor.merchant_id)
    return changed


@router.delete(f"{ADMIN}/{{app_id}}", status_code=204)
def delete_app(request: Request, actor: Editor, app_id: NumericId) -> None:
    with Session(request.app.state.records) as db:
        db.delete(_app(db, actor, app_id))
        db.commit()
    tell_apps(request, actor.merchant_id)


def tell_apps(request: Request, merchant_id: str) -> None:
    """The merchant's open workbenches (on any worker; no other merchant's) get ``apps``: read
    ``GET /agents/me/apps`` again. Called from the routes' worker thread."""
    feed = request.app.state.services.feed
    from_thread.run_sync(tell_merchant, feed, merchant_id, {"type": "apps"})


@router.get("/agents/me/apps", response_model=list[MyApp])
def my_apps(request: Request, me: Me) -> list[MyApp]:
    """The enabled apps of the caller's merchant, oldest first: the workbench's tabs. Any
    account of the merchant may read them; no right is needed."""
    with Session(request.app.state.records) as db:
        rows = _apps(db, me.merchant_id, enabled_only=True)
    return [MyApp(id=row.id or 0, name=row.name, url=row.url) for row in rows]
