"""Sites (站點) of a merchant: the flow each runs, its agent groups, where its widget may load.

Seed 000: groups can only be assigned once they exist ("若尚未創建客服分組，則無法分配"), and a
disabled site can never be enabled again ("站點禁用後，無法解禁，若需解禁請聯絡管理員") — not by
the API, not by the merchant's owner; only the deployment's operator can, in the database.
Site keys are public (the widget uses them) and unique in the whole deployment.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError
from sqlmodel import Session, col, delete, select

from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.recordquery import now
from chatflow.admin_api.tenants import (
    FLOW_ID_PATTERN,
    ID_PATTERN,
    ApiModel,
    Db,
    SiteKey,
    group_ids,
    invalid,
    not_found,
    unknown,
)
from chatflow.channels.captcha_images import MAX_UPLOAD, prepare_upload
from chatflow.channels.image_blobs import DatabaseBlobs
from chatflow.engine import flowversions as fv
from chatflow.engine.checks import choices
from chatflow.engine.stores.channeltables import ImageBlobRow
from chatflow.engine.stores.recordsdb import SiteRow

router = APIRouter(prefix="/api/v1/admin/sites", tags=["sites"])

ORIGIN_PATTERN = r"^https?://[^/\s?#]+$"
GroupRef = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
Origin = Annotated[str, Field(pattern=ORIGIN_PATTERN, max_length=200)]
SiteName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
"""A site's name: trimmed, never blank (a blank one is refused as missing: "Field required")."""
DISABLED_FOR_GOOD = (
    "site {key!r} is disabled; a disabled site can never be enabled or changed again. "
    "Contact the administrator if it must come back."
)


class SiteIn(ApiModel):
    """A new site."""

    key: str = Field(pattern=ID_PATTERN, max_length=64)
    """Public key the widget and the visitor API use (``acme-web``); unique in the deployment."""
    name: SiteName | None = None
    """Display name; not blank. Without one the site is named by its key."""
    flow: str = Field(pattern=FLOW_ID_PATTERN, max_length=64)
    """Id of the flow the site runs; the merchant must have a published version of it."""
    groups: list[GroupRef] = Field(default_factory=list, max_length=50)
    """Agent groups that serve this site's visitors (existing groups of the merchant)."""
    allowed_origins: list[Origin] = Field(default_factory=list, max_length=20)
    """Origins (``https://www.acme.com``) allowed to open the visitor websocket; empty = any."""
    captcha: bool = False
    """New web sessions need a solved slider puzzle (验证码; docs/widget.md)."""


class SitePatch(ApiModel):
    """Fields to change; absent fields keep their value."""

    name: SiteName | None = None
    """Display name; not blank, not null (a site keeps a name)."""
    flow: str | None = Field(default=None, pattern=FLOW_ID_PATTERN, max_length=64)
    """Flow to run for new sessions (running ones keep theirs)."""
    groups: list[GroupRef] | None = Field(default=None, max_length=50)
    """Agent groups (replaces the list)."""
    allowed_origins: list[Origin] | None = Field(default=None, max_length=20)
    """Allowed origins (replaces the list)."""
    captcha: bool | None = None
    """Switch the captcha on or off."""

    @field_validator("name", mode="before")
    @classmethod
    def _a_name(cls, value: object) -> object:
        """``"name": null`` would leave the site without a name: refused as a missing one."""
        if value is None:
            raise PydanticCustomError("missing", "Field required")
        return value


class SiteOut(ApiModel):
    """A site."""

    key: str
    name: str | None
    flow: str
    published_version: int | None
    """The flow version new sessions start on (None: the flow has no published version)."""
    groups: list[str]
    allowed_origins: list[str]
    captcha: bool
    """New web sessions need a solved slider puzzle."""
    captcha_image: bool
    """The site has uploaded its own captcha background (``/captcha-image``); else three
    default ones are used at random."""
    enabled: bool
    disabled_at: datetime | None
    """When it was disabled (for good)."""
    chat_url: str | None
    """The site's chat link under the deployment's ``server.public_url``
    (``https://chat.acme.com/chat/acme-web``); None when none is configured: then it is
    ``chat/<key>`` under the address the API was reached at."""
    widget_src: str | None
    """The ``src`` of the embed code's ``<script>`` (``https://chat.acme.com/static/widget.js``);
    None like ``chat_url``."""


def public_url(request: Request) -> str | None:
    """The deployment's ``server.public_url`` (``app.state.public_url``), or None."""
    return getattr(request.app.state, "public_url", None)


PublicUrl = Annotated[str | None, Depends(public_url)]


def _out(row: SiteRow, published: dict[str, int], base: str | None) -> SiteOut:
    return SiteOut(
        key=row.key,
        name=row.name,
        flow=row.flow_id,
        published_version=published.get(row.flow_id),
        groups=list(row.groups),
        allowed_origins=list(row.allowed_origins),
        captcha=bool(row.captcha),
        captcha_image=row.captcha_image is not None,
        enabled=row.enabled,
        disabled_at=row.disabled_at,
        chat_url=f"{base}/chat/{row.key}" if base else None,
        widget_src=f"{base}/static/widget.js" if base else None,
    )


def _get(db: Session, actor: Actor, key: str) -> SiteRow:
    row = db.get(SiteRow, key)
    if row is None or row.merchant_id != actor.merchant_id or not actor.sees_site(key):
        raise not_found("site", key)
    return row


def _get_enabled(db: Session, actor: Actor, key: str) -> SiteRow:
    """The site, or 409 when it is disabled: a disabled site is never changed nor enabled."""
    row = _get(db, actor, key)
    if not row.enabled:
        raise ApiProblem(409, "site_disabled", DISABLED_FOR_GOOD.format(key=key))
    return row


def _check_refs(
    db: Session,
    actor: Actor,
    published: dict[str, int],
    flow: str | None,
    groups: list[str] | None,
) -> None:
    if flow is not None and flow not in published:
        _no_flow(flow, "has no published version in this merchant", published)
    if groups is not None:
        known = group_ids(db, actor.merchant_id)
        if groups and not known:
            invalid("groups", "the merchant has no agent groups yet; create one first")
        unknown("group", "groups", groups, known)


def _no_flow(flow: str, why: str, published: Iterable[str]) -> NoReturn:
    invalid(
        "flow",
        f"flow {flow!r} {why}; published flows: {choices(sorted(published))}. Upload and "
        "publish it under /api/v1/admin/flows.",
    )


def _save(
    db: Session,
    actor: Actor,
    row: SiteRow,
    flow: str | None,
    published: dict[str, int],
    base: str | None,
) -> SiteOut:
    """Commit the site. One that names a flow holds the flow's published version first, so a
    whole-flow delete committing at the same moment either refuses (the site runs it) or is
    seen here (422): a site never runs a deleted flow."""
    db.add(row)
    if flow is not None:
        db.flush()
        version = fv.lock_published(db, actor.merchant_id, flow)
        if version is None:
            db.rollback()
            why = "was deleted while the site was being saved"
            _no_flow(flow, why, fv.published_versions(db, actor.merchant_id))
        published[flow] = version
    db.commit()
    db.refresh(row)
    return _out(row, published, base)


@router.get("", response_model=list[SiteOut])
def list_sites(
    actor: Annotated[Actor, Depends(require("sites"))], db: Db, base: PublicUrl
) -> list[SiteOut]:
    """The merchant's sites the account's site scope covers."""
    rows = db.exec(select(SiteRow).where(SiteRow.merchant_id == actor.merchant_id)).all()
    published = fv.published_versions(db, actor.merchant_id)
    rows = [r for r in sorted(rows, key=lambda r: r.key) if actor.sees_site(r.key)]
    return [_out(r, published, base) for r in rows]


@router.post("", response_model=SiteOut, status_code=201)
def create_site(
    body: SiteIn,
    actor: Annotated[Actor, Depends(require("sites", "edit"))],
    db: Db,
    base: PublicUrl,
) -> SiteOut:
    """Create a site (accounts limited to chosen sites cannot: they would not see it)."""
    if actor.site_scope is not None:
        raise ApiProblem(403, "forbidden", "an account limited to chosen sites cannot create sites")
    if db.get(SiteRow, body.key) is not None:
        raise ApiProblem(409, "conflict", f"site key {body.key!r} is taken; choose another")
    published = fv.published_versions(db, actor.merchant_id)
    _check_refs(db, actor, published, body.flow, body.groups)
    row = SiteRow(
        key=body.key,
        merchant_id=actor.merchant_id,
        name=body.name or body.key,
        flow_id=body.flow,
        groups=list(dict.fromkeys(body.groups)),
        allowed_origins=list(dict.fromkeys(body.allowed_origins)),
        captcha=body.captcha,
    )
    return _save(db, actor, row, body.flow, published, base)


@router.get("/{key}", response_model=SiteOut)
def get_site(
    key: SiteKey, actor: Annotated[Actor, Depends(require("sites"))], db: Db, base: PublicUrl
) -> SiteOut:
    """One site."""
    return _out(_get(db, actor, key), fv.published_versions(db, actor.merchant_id), base)


@router.patch("/{key}", response_model=SiteOut)
def update_site(
    key: SiteKey,
    body: SitePatch,
    actor: Annotated[Actor, Depends(require("sites", "edit"))],
    db: Db,
    base: PublicUrl,
) -> SiteOut:
    """Change a site; a disabled site cannot be changed (409)."""
    row = _get_enabled(db, actor, key)
    published = fv.published_versions(db, actor.merchant_id)
    _check_refs(db, actor, published, body.flow, body.groups)
    fields = body.model_dump(exclude_unset=True)
    if "name" in fields:
        row.name = body.name
    if body.flow is not None:
        row.flow_id = body.flow
    if body.groups is not None:
        row.groups = list(dict.fromkeys(body.groups))
    if body.allowed_origins is not None:
        row.allowed_origins = list(dict.fromkeys(body.allowed_origins))
    if body.captcha is not None:
        row.captcha = body.captcha
    return _save(db, actor, row, body.flow, published, base)


@router.post("/{key}/disable", response_model=SiteOut)
def disable_site(
    key: SiteKey,
    request: Request,
    actor: Annotated[Actor, Depends(require("sites", "edit"))],
    db: Db,
    base: PublicUrl,
) -> SiteOut:
    """Disable a site for good: it refuses new sessions and can never be enabled again."""
    row = _get(db, actor, key)
    if row.enabled:
        row.enabled = False
        row.disabled_at = now(request)
        db.add(row)
        db.commit()
        db.refresh(row)
    return _out(row, fv.published_versions(db, actor.merchant_id), base)


@router.post("/{key}/enable", response_model=SiteOut)
def enable_site(
    key: SiteKey,
    actor: Annotated[Actor, Depends(require("sites", "edit"))],
    db: Db,
    base: PublicUrl,
) -> SiteOut:
    """Always refused for a disabled site (409): only the administrator can bring one back."""
    published = fv.published_versions(db, actor.merchant_id)
    return _out(_get_enabled(db, actor, key), published, base)


# -- the captcha's background (seed 000: JPG/JPEG only, 300 x 150, at most one) ------------------

JPEG_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
    }
}


async def _read_image(request: Request) -> bytes:
    """The raw body, refused past :data:`MAX_UPLOAD` without reading further."""
    too_large = ApiProblem(413, "too_large", f"the image may be at most {MAX_UPLOAD} bytes")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_UPLOAD:
        raise too_large
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_UPLOAD:
            raise too_large
    return bytes(received)


def _replace_image(db: Session, row: SiteRow, data: bytes | None) -> None:
    """Swap the site's background for ``data`` (None: none) in one transaction; the new one
    gets a new id, so no worker serves a cached old picture under it."""
    old = row.captcha_image
    row.captcha_image = None
    if data is not None:
        row.captcha_image = secrets.token_urlsafe(32)
        db.add(ImageBlobRow(id=row.captcha_image, data=data))
    if old is not None:
        db.exec(delete(ImageBlobRow).where(col(ImageBlobRow.id) == old))
    db.add(row)
    db.commit()
    db.refresh(row)


@router.put("/{key}/captcha-image", response_model=SiteOut, openapi_extra=JPEG_BODY)
async def put_captcha_image(
    key: SiteKey,
    request: Request,
    actor: Annotated[Actor, Depends(require("sites", "edit"))],
    base: PublicUrl,
) -> SiteOut:
    """Upload the site's captcha background (the JPEG itself as the body, at most 1 MB): 300 x
    150, or larger at 2:1 (scaled down); it replaces the one before."""
    data = await _read_image(request)
    picture = await asyncio.to_thread(prepare_upload, data)

    def store() -> SiteOut:
        with Session(request.app.state.records) as db:
            row = _get_enabled(db, actor, key)
            _replace_image(db, row, picture)
            return _out(row, fv.published_versions(db, actor.merchant_id), base)

    return await asyncio.to_thread(store)


@router.get(
    "/{key}/captcha-image",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def get_captcha_image(
    key: SiteKey, request: Request, actor: Annotated[Actor, Depends(require("sites"))], db: Db
) -> Response:
    """The site's uploaded captcha background (JPEG); 404 while it uses the default ones."""
    row = _get(db, actor, key)
    blobs = DatabaseBlobs(request.app.state.records)
    data = None if row.captcha_image is None else blobs.get(row.captcha_image)
    if data is None:
        raise ApiProblem(404, "not_found", f"site {key!r} has no captcha image of its own")
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    return Response(bytes(data), media_type="image/jpeg", headers=headers)


@router.delete("/{key}/captcha-image", response_model=SiteOut)
def delete_captcha_image(
    key: SiteKey,
    actor: Annotated[Actor, Depends(require("sites", "edit"))],
    db: Db,
    base: PublicUrl,
) -> SiteOut:
    """Delete the uploaded background: the captcha goes back to the default ones."""
    row = _get_enabled(db, actor, key)
    _replace_image(db, row, None)
    return _out(row, fv.published_versions(db, actor.merchant_id), base)
