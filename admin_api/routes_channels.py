"""The merchant's webhook/IM channels and their deliveries, for the console's 渠道 page.

A channel is declared in ``chatflow.yaml`` (docs/webhook-channel.md); its deliveries are the
outbox's ``webhook_delivery`` rows. The list counts each channel's deliveries (pending, failed
and delivered in the last 24 hours, the last delivery and the last error), the deliveries page
newest first, and a failed one can be sent again through the outbox (:meth:`Outbox.retry`).
Of the ``webhook_url`` only the origin is shown: its path or query may carry the provider's
token. The signing secret is never read here. A channel of another merchant, or on a site
outside the caller's scope, answers 404 like one that does not exist.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, NamedTuple
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Engine, case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from chatflow.admin_api.merchant_names import merchant_channels
from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.recordquery import Offset
from chatflow.admin_api.tenants import not_found
from chatflow.channels.webhook_outbox import Outbox
from chatflow.engine.clock import as_utc
from chatflow.engine.config import WebhookChannel
from chatflow.engine.stores.channeltables import DeliveryRow

router = APIRouter(prefix="/api/v1", tags=["channels"])

Viewer = Annotated[Actor, Depends(require("channels", "view"))]
Editor = Annotated[Actor, Depends(require("channels", "edit"))]
Status = Literal["pending", "delivered", "failed"]
RECENT = timedelta(hours=24)


class ChannelOut(BaseModel):
    key: str
    name: str | None
    site_key: str
    enabled: bool
    webhook_origin: str
    """``scheme://host[:port]`` of the ``webhook_url``: its path and query may hold a token."""
    pending: int
    """Deliveries waiting to be sent (or to be retried)."""
    failed_24h: int
    """Frames queued in the last 24 hours whose delivery failed for good."""
    delivered_24h: int
    """Deliveries delivered in the last 24 hours."""
    last_delivered_at: datetime | None
    last_error: str | None
    """The error of the newest frame whose last attempt failed (pending or failed)."""


class DeliveryOut(BaseModel):
    id: int
    session_id: str
    seq: int
    frame_type: str
    status: str
    attempts: int
    last_status: int | None
    """HTTP status of the last attempt; None when no answer came."""
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    """When a pending delivery is tried next (after a failed attempt); None when it is due now
    or not pending."""


class DeliveryPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[DeliveryOut]


def webhook_origin(url: str) -> str:
    """``https://host:port`` of ``url``, without user info, path, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def visible_channels(request: Request, actor: Actor) -> list[WebhookChannel]:
    """The caller's merchant's channels on sites the caller sees, in the file's order."""
    channels = merchant_channels(request.app.state.services.config, actor.merchant_id)
    return [channel for channel in channels if actor.sees_site(channel.site)]


def visible_channel(request: Request, actor: Actor, key: str) -> WebhookChannel:
    for channel in visible_channels(request, actor):
        if channel.key == key:
            return channel
    raise not_found("channel", key)


class _Counts(NamedTuple):
    pending: int = 0
    failed_24h: int = 0
    delivered_24h: int = 0
    last_delivered_at: datetime | None = None
    last_error: str | None = None


def _counts(db: Session, keys: list[str], since: datetime) -> dict[str, _Counts]:
    """Per channel key, its deliveries' counts and last error (a channel without deliveries
    is left out)."""
    key, status, created, delivered = (
        col(DeliveryRow.channel_key),
        col(DeliveryRow.status),
        col(DeliveryRow.created_at),
        col(DeliveryRow.delivered_at),
    )
    statement: Any = (
        sa_select(
            key,
            func.sum(case((status == "pending", 1), else_=0)),
            func.sum(case(((status == "failed") & (created >= since), 1), else_=0)),
            func.sum(case((delivered >= since, 1), else_=0)),
            func.max(delivered),
        )
        .where(key.in_(keys))
        .group_by(key)
    )
    newest_errors = (
        sa_select(func.max(col(DeliveryRow.id)))
        .where(key.in_(keys), col(DeliveryRow.last_error).is_not(None))
        .group_by(key)
    )
    errors: Any = sa_select(key, col(DeliveryRow.last_error)).where(
        col(DeliveryRow.id).in_(newest_errors)
    )
    last_errors: dict[str, str] = dict(db.exec(errors).all())
    return {
        channel: _Counts(
            int(pending or 0),
            int(failed or 0),
            int(recent or 0),
            as_utc(last),
            last_errors.get(channel),
        )
        for channel, pending, failed, recent, last in db.exec(statement).all()
    }


def delivery_out(row: DeliveryRow) -> DeliveryOut:
    due = None
    if row.status == "pending" and row.next_attempt_at > 0:
        due = datetime.fromtimestamp(row.next_attempt_at, tz=UTC)
    return DeliveryOut(
        id=row.id or 0,
        session_id=row.session_id,
        seq=row.seq,
        frame_type=str(row.payload.get("type", "")),
        status=row.status,
        attempts=row.attempts,
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=as_utc(row.created_at),
        delivered_at=as_utc(row.delivered_at),
        next_attempt_at=due,
    )


@router.get("/channels", response_model=list[ChannelOut])
def list_channels(request: Request, actor: Viewer) -> list[ChannelOut]:
    """The merchant's webhook channels with their deliveries' counts, in the file's order."""
    channels = visible_channels(request, actor)
    since = request.app.state.clock.now() - RECENT
    with Session(request.app.state.records) as db:
        counts = _counts(db, [c.key for c in channels], since)
    out = []
    for channel in channels:
        counted = counts.get(channel.key, _Counts())
        out.append(
            ChannelOut(
                key=channel.key,
                name=channel.name,
                site_key=channel.site,
                enabled=channel.enabled,
                webhook_origin=webhook_origin(channel.webhook_url),
                **counted._asdict(),
            )
        )
    return out


def _page_clauses(
    key: str, status: str | None, session_id: str | None
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [col(DeliveryRow.channel_key) == key]
    if status:
        clauses.append(col(DeliveryRow.status) == status)
    if session_id:
        clauses.append(col(DeliveryRow.session_id) == session_id)
    return clauses


@router.get("/channels/{key}/deliveries", response_model=DeliveryPage)
def list_deliveries(
    request: Request,
    actor: Viewer,
    key: str,
    status: Status | None = None,
    session_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> DeliveryPage:
    """A channel's deliveries, newest first; ``total`` counts every match, ``items`` is a page."""
    visible_channel(request, actor, key)
    clauses = _page_clauses(key, status, session_id)
    with Session(request.app.state.records) as db:
        total = db.exec(select(func.count()).select_from(DeliveryRow).where(*clauses)).one()
        statement = (
            select(DeliveryRow)
            .where(*clauses)
            .order_by(col(DeliveryRow.id).desc())
            .limit(limit)
            .offset(offset)
        )
        rows = list(db.exec(statement).all())
    return DeliveryPage(
        total=int(total), limit=limit, offset=offset, items=[delivery_out(r) for r in rows]
    )


def _delivery(engine: Engine, key: str, delivery_id: int) -> DeliveryRow | None:
    with Session(engine) as db:
        row = db.get(DeliveryRow, delivery_id)
        return row if row is not None and row.channel_key == key else None


@router.post("/channels/{key}/deliveries/{delivery_id}/retry", response_model=DeliveryOut)
async def retry_delivery(
    request: Request, actor: Editor, key: str, delivery_id: int
) -> DeliveryOut:
    """Send a failed delivery again: pending, with no attempts, due now (409 when it is not
    failed). It goes before its session's frames that are still pending."""
    visible_channel(request, actor, key)
    engine: Engine = request.app.state.records
    row = await asyncio.to_thread(_delivery, engine, key, delivery_id)
    if row is None:
        raise ApiProblem(404, "not_found", f"no delivery {delivery_id}")
    outbox: Outbox = request.app.state.webhook_outbox
    if row.status != "failed" or not await outbox.retry(delivery_id):
        current = await asyncio.to_thread(_delivery, engine, key, delivery_id)
        status = current.status if current else row.status
        raise ApiProblem(
            409,
            "not_failed",
            f"delivery {delivery_id} was delivered; only a failed delivery can be sent again"
            if status == "delivered"
            else f"delivery {delivery_id} is pending; only a failed delivery can be sent again",
        )
    again = await asyncio.to_thread(_delivery, engine, key, delivery_id)
    return delivery_out(again or row)
