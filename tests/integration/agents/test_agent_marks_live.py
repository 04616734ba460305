"""Pins and mutes on live conversations, over a real server: not on an offer still ringing,
yes while serving, still after handing the visitor over, each agent its own. The recorded
cases (tenants, the body, the cap) are in ``tests/unit/admin_api/test_routes_agent_marks.py``."""

from __future__ import annotations

from typing import Any

import httpx
from agent_world import Agent, LiveServer, Visitor, frame

MARKS = "/api/v1/agents/me/marks"


def mark(agent: Agent, session_id: str, **body: bool) -> httpx.Response:
    return agent.server.http.patch(f"{MARKS}/{session_id}", json=body, headers=agent.headers)


def marks_of(agent: Agent) -> list[tuple[str, bool, bool]]:
    found: list[dict[str, Any]] = agent.get(MARKS)
    return [(m["session_id"], m["pinned"], m["muted"]) for m in found]


def test_marks_follow_who_serves_the_conversation(server: LiveServer) -> None:
    bob, dave, gina = (Agent(server, a) for a in ("acme_bob", "acme_dave", "globex_gina"))
    bob.connect()
    visitor = Visitor(server, "acme-web")
    visitor.choose("售前")
    sid = visitor.session_id
    bob.frames.expect(frame("offer", session_id=sid))

    ringing = mark(bob, sid, pinned=True)
    assert ringing.status_code == 409, ringing.text
    assert ringing.json()["type"] == "urn:chatflow:not_markable"
    assert "accept" in ringing.json()["detail"]

    bob.ok(sid, "accept")
    bob.frames.expect(frame("assigned", session_id=sid))
    assert mark(bob, sid, pinned=True).status_code == 200
    assert mark(gina, sid, pinned=True).status_code == 404, "another merchant's agent"

    # bob hands the visitor to after-sales, where dave is: bob keeps his marks of it
    dave.connect()
    server.record_when(sid, lambda row: "acme_bob" in row.agents)
    bob.ok(sid, "transfer", {"group": "aftersales"})
    dave.frames.expect(frame("offer", session_id=sid))
    assert mark(dave, sid, muted=True).status_code == 409, "ringing for dave"
    assert mark(bob, sid, muted=True).status_code == 200, "bob served it"
    dave.ok(sid, "accept")
    dave.frames.expect(frame("assigned", session_id=sid))
    assert mark(dave, sid, muted=True).status_code == 200
    assert marks_of(bob) == [(sid, True, True)]
    assert marks_of(dave) == [(sid, False, True)]

    # dave ends the service and closes the conversation in the workbench: his marks go
    dave.ok(sid, "end")
    dave.frames.expect(frame("session_ended", session_id=sid))
    assert mark(dave, sid, pinned=True).status_code == 200, "a finished one of his own"
    gone = server.http.delete(f"{MARKS}/{sid}", headers=dave.headers)
    assert gone.status_code == 204, gone.text
    assert marks_of(dave) == []
    assert marks_of(bob) == [(sid, True, True)]
    assert server.http.delete(f"{MARKS}/{sid}", headers=gina.headers).status_code == 404
