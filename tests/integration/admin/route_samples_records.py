"""Route-matrix samples of records, batch actions and statistics.

Conversations come from the runtime, which the matrix does not drive: :func:`make_conversation`
writes one straight into the records tables, named with the tenant's label (globex's carry
:data:`admin_world.GLOBEX_MARKER` in the visitor's name and the transcript), so an answer to acme
that shows a globex record is caught as a leak. Routes that act on live conversations get the
in-memory :class:`~chatflow.admin_api.live.MemoryLive` when the app has no live wiring.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from admin_world import Sample, Tenant
from sqlmodel import Session

from chatflow.admin_api.live import MemoryLive
from chatflow.engine.stores.contenttables import VisitorRow
from chatflow.engine.stores.recordsdb import ConversationRow, MessageRow


def with_live(t: Tenant) -> None:
    state = t.client.app.state  # type: ignore[attr-defined]
    if getattr(state, "live", None) is None:
        state.live = MemoryLive()


def make_conversation(t: Tenant, *, status: str = "ended") -> str:
    """A conversation of ``t`` an hour old, served by its agent, with a profile and a line."""
    session_id = t.fresh("conv")
    visitor_id = f"{session_id}-visitor"
    start = datetime.now(UTC) - timedelta(hours=1)
    agent = t.accounts["agent"]
    with Session(t.client.app.state.records) as db:  # type: ignore[attr-defined]
        db.add(
            ConversationRow(
                session_id=session_id,
                merchant_id=t.id,
                site_key=t.site,
                visitor_id=visitor_id,
                flow_id=t.flow,
                status=status,
                group_id=t.group,
                agent_account=agent,
                agents=[agent],
                started_at=start,
                queued_at=start + timedelta(seconds=5),
                first_ring_at=start + timedelta(seconds=6),
                agent_joined_at=start + timedelta(seconds=16),
                ended_at=start + timedelta(minutes=5) if status == "ended" else None,
                closed_by="seat" if status == "ended" else None,
                rating=5,
                channel_type="web",
            )
        )
        db.add(VisitorRow(merchant_id=t.id, visitor_id=visitor_id, name=f"{t.label} visitor"))
        db.add(
            MessageRow(
                session_id=session_id,
                merchant_id=t.id,
                seq=1,
                sender="visitor",
                text=f"{t.label} asks about an order",
                at=start + timedelta(seconds=1),
            )
        )
        db.commit()
    return session_id


def make_visitor(t: Tenant) -> str:
    """A visitor ``t`` knows (it has a conversation and a profile)."""
    session_id = make_conversation(t)
    return f"{session_id}-visitor"


def make_tag(t: Tenant) -> int:
    group = t.call(
        "POST", "/api/v1/tag-groups", json={"name": f"{t.label} {t.fresh('tg')}", "tags": ["x"]}
    )
    return int(group["tags"][0]["id"])


def _live_ids(t: Tenant) -> dict[str, Any]:
    with_live(t)
    return {"session_ids": [make_conversation(t, status="with_agent")]}


def _foreign_sessions(own: Tenant, other: Tenant, **extra: Any) -> list[Any]:
    with_live(own)
    return [{"session_ids": [make_conversation(other, status="with_agent")], **extra}]


def _query_live(t: Tenant) -> dict[str, Any]:
    with_live(t)
    return {}


R = "/api/v1/records"

SAMPLES: dict[str, Sample] = {
    f"GET {R}": Sample(query=lambda t: {"q": "order", "channel": "web", "limit": 10}),
    f"GET {R}/export": Sample(query=lambda t: {"format": "xlsx", "transcripts": "true"}),
    f"GET {R}/{{session_id}}": Sample(path=lambda t: {"session_id": make_conversation(t)}),
    f"GET {R}/{{session_id}}/transcript": Sample(
        path=lambda t: {"session_id": make_conversation(t)}, query=lambda t: {"q": "order"}
    ),
    f"GET {R}/{{session_id}}/export": Sample(
        path=lambda t: {"session_id": make_conversation(t)}, query=lambda t: {"format": "docx"}
    ),
    f"POST {R}/batch/close": Sample(
        body=_live_ids, foreign_bodies=_foreign_sessions, scope_fields=("session_ids",)
    ),
    f"POST {R}/batch/transfer": Sample(
        body=lambda t: {**_live_ids(t), "group": t.group},
        foreign_bodies=lambda own, other: [
            *_foreign_sessions(own, other, group=own.group),
            {**_live_ids(own), "group": other.group},
            {**_live_ids(own), "agent": other.accounts["agent"]},
        ],
        scope_fields=("session_ids",),
    ),
    f"POST {R}/batch/tag": Sample(
        body=lambda t: {"session_ids": [make_conversation(t)], "tag_ids": [make_tag(t)]},
        foreign_bodies=lambda own, other: [
            {"session_ids": [make_conversation(other)], "tag_ids": [make_tag(own)]},
            {"session_ids": [make_conversation(own)], "tag_ids": [make_tag(other)]},
        ],
        scope_fields=("session_ids", "tag_ids"),
    ),
    f"POST {R}/batch/blacklist": Sample(
        body=lambda t: {"session_ids": [make_conversation(t)], "reason": f"{t.label} spam"},
        foreign_bodies=lambda own, other: [{"session_ids": [make_conversation(other)]}],
        scope_fields=("session_ids",),
    ),
    f"POST {R}/batch/delete": Sample(
        body=lambda t: {"session_ids": [make_conversation(t)]},
        foreign_bodies=lambda own, other: [{"session_ids": [make_conversation(other)]}],
        scope_fields=("session_ids",),
    ),
    "GET /api/v1/stats/agents": Sample(query=lambda t: {"group": t.group}),
    "GET /api/v1/stats/groups": Sample(),
    "GET /api/v1/stats/queue": Sample(query=_query_live),
    "GET /api/v1/stats/export": Sample(query=lambda t: {"by": "group", "format": "docx"}),
}
