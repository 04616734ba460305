"""Route-matrix samples of the webhook channels' admin routes (admin_api/routes_channels.py).

Each tenant of the world has the channel ``<id>-im``. A retry needs a failed delivery of it:
:func:`failed_delivery` writes one (and its session's row) straight into the records database,
as the outbox leaves them after the last attempt failed. Sent again, it fails at once: the
world's webhook URL is on loopback, which the SSRF guard refuses.
"""

from __future__ import annotations

import uuid
from typing import Any

from admin_world import Sample, Tenant
from sqlmodel import Session

from chatflow.engine.stores.channeltables import DeliveryRow, WebhookSessionRow


def channel(t: Tenant) -> dict[str, Any]:
    return {"key": f"{t.id}-im"}


def failed_delivery(t: Tenant) -> dict[str, Any]:
    """A failed delivery of the tenant's channel, new for each call."""
    key, session_id = f"{t.id}-im", uuid.uuid4().hex
    with Session(t.client.app.state.records) as db:  # type: ignore[attr-defined]
        db.add(WebhookSessionRow(session_id=session_id, channel_key=key, user_id=t.id, closed=True))
        row = DeliveryRow(
            channel_key=key,
            session_id=session_id,
            seq=1,
            payload={"type": "message", "seq": 1, "text": f"{t.label} hello"},
            status="failed",
            attempts=8,
            last_status=503,
            last_error=f"HTTP 503 from {t.label}",
        )
        db.add(row)
        db.commit()
        return {"key": key, "delivery_id": row.id}


SAMPLES: dict[str, Sample] = {
    "GET /api/v1/channels": Sample(),
    "GET /api/v1/channels/{key}/deliveries": Sample(path=channel),
    "POST /api/v1/channels/{key}/deliveries/{delivery_id}/retry": Sample(path=failed_delivery),
}
