"""Route-matrix samples of the agent workbench routes (status, sessions, the service actions).

The matrix has no agent online, so a tenant's session here is a real one of its site that the
flow has already finished (``simple`` says bye when nobody is online): the merchant's admin sees
it, and every action on it is refused with 409 for its state. The live paths (offers, accepting,
transfers between online agents) are tested end to end in ``tests/integration/agents``.
"""

from __future__ import annotations

from typing import Any

from admin_world import Sample, Tenant

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


def _foreign_agent(own: Tenant, other: Tenant) -> list[Any]:
    return [{"agent": other.accounts["agent"]}]


SAMPLES: dict[str, Sample] = {
    "PUT /api/v1/agents/me/status": Sample(body=lambda t: {"status": "offline"}),
    "GET /api/v1/agents/me/sessions": Sample(),
    "GET /api/v1/agents": Sample(query=lambda t: {"include_offline": "true"}),
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
}
