"""Route-matrix samples of the agent workbench routes (status, sessions, the service actions).

The matrix has no agent online, so a tenant's session here is a real one of its site that the
flow has already finished (``simple`` says bye when nobody is online): the merchant's admin sees
it, and every action on it is refused with 409 for its state. The live paths (offers, accepting,
transfers between online agents) are tested end to end in ``tests/integration/agents``.
"""

from __future__ import annotations

import time
from typing import Any

from admin_world import Sample, Tenant
from route_samples_records import make_tag
from sqlmodel import Session

from chatflow.engine.stores.recordsdb import ConversationRow

S = "/api/v1/sessions/{session_id}"
STATE = (409,)
"""What the merchant's admin gets: the session is its merchant's, but no longer in service."""


_SESSIONS: dict[tuple[int, str], str] = {}


def make_session(t: Tenant) -> dict[str, Any]:
    """One finished session per tenant and world (new sessions are rate-limited per client)."""
    key = (id(t.client), t.id)
    if key not in _SESSIONS:
        response = t.client.post(f"/api/v1/sites/{t.site}/sessions", json={})
        assert response.status_code == 201, response.text
        _SESSIONS[key] = response.json()["session_id"]
    return {"session_id": _SESSIONS[key]}


def recorded_session(t: Tenant) -> dict[str, Any]:
    """:func:`make_session` once its record is written (off the loop), as its own history."""
    path = make_session(t)
    deadline = time.monotonic() + 10
    while True:
        with Session(t.client.app.state.records) as db:  # type: ignore[attr-defined]
            if db.get(ConversationRow, path["session_id"]) is not None:
                return {**path, "other_id": path["session_id"]}
        assert time.monotonic() < deadline, f"no record of {path['session_id']}"
        time.sleep(0.02)


def _foreign_agent(own: Tenant, other: Tenant) -> list[Any]:
    return [{"agent": other.accounts["agent"]}]


SAMPLES: dict[str, Sample] = {
    "PUT /api/v1/agents/me/status": Sample(body=lambda t: {"status": "offline"}),
    "GET /api/v1/agents/me/sessions": Sample(),
    "GET /api/v1/agents": Sample(query=lambda t: {"include_offline": "true"}),
    # pins and mutes: the admin never served the finished session, so it may not mark it (409);
    # forgetting is always allowed (tests/unit/admin_api/test_routes_agent_marks.py)
    "GET /api/v1/agents/me/marks": Sample(),
    "PATCH /api/v1/agents/me/marks/{session_id}": Sample(
        path=make_session, body=lambda t: {"pinned": True}, ok=STATE
    ),
    "DELETE /api/v1/agents/me/marks/{session_id}": Sample(path=make_session),
    f"POST {S}/accept": Sample(path=make_session, ok=STATE),
    f"POST {S}/decline": Sample(path=make_session, ok=STATE),
    f"POST {S}/end": Sample(path=make_session, ok=STATE),
    f"POST {S}/survey": Sample(path=make_session, ok=STATE),
    f"POST {S}/leave": Sample(path=make_session, ok=STATE),
    f"POST {S}/transfer": Sample(
        path=make_session,
        body=lambda t: {"group": t.group},
        foreign_bodies=lambda own, other: [
            {"group": other.group},
            *_foreign_agent(own, other),
        ],
        scope_fields=("group",),
        ok=STATE,
    ),
    f"POST {S}/invite": Sample(
        path=make_session,
        body=lambda t: {"agent": t.accounts["agent"]},
        foreign_bodies=_foreign_agent,
        scope_fields=("agent",),
        ok=STATE,  # the agent is offline (nobody is connected in the matrix)
    ),
    f"POST {S}/messages": Sample(
        path=make_session, body=lambda t: {"text": f"{t.label} says hi"}, ok=STATE
    ),
    # the visitor panel (the admin sees every conversation of its merchant and may edit)
    f"GET {S}/visitor": Sample(path=make_session),
    f"PUT {S}/visitor": Sample(
        path=make_session, body=lambda t: {"name": f"{t.label} 王", "phone": "0912345678"}
    ),
    f"PUT {S}/visitor/tags": Sample(
        path=make_session,
        body=lambda t: {"tag_ids": [make_tag(t)]},
        foreign_bodies=lambda own, other: [{"tag_ids": [make_tag(other)]}],
    ),
    f"GET {S}/visitor/tag-groups": Sample(path=make_session),
    f"GET {S}/visitor/history": Sample(path=make_session, query=lambda t: {"days": 7, "q": "hi"}),
    f"GET {S}/visitor/history/{{other_id}}": Sample(
        path=recorded_session, query=lambda t: {"q": "hi"}
    ),
}
