"""What changes outside the queue reaches the open workbenches at once, over a real server: an
agent's pins and mutes go to every websocket of that agent (a second browser, a second tab),
and the workbench apps an admin adds, changes or removes go to every websocket of the merchant's
accounts, never another merchant's (docs/agent-api.md, the ``marks`` and ``apps`` frames).

"Never got" is checked behind a fence: the socket's ``pong`` answers a ``ping`` sent after the
change, and a socket's frames arrive in the order they were put.
"""

from __future__ import annotations

from agent_world import Agent, FrameStream, LiveServer, Visitor, frame

MARKS = "/api/v1/agents/me/marks"
APPS = "/api/v1/admin/workbench-apps"


def fenced(stream: FrameStream) -> None:
    """Wait until everything put on the socket before now has arrived."""
    stream.send({"type": "ping"})
    stream.expect(frame("pong"))


def test_a_mark_reaches_every_socket_of_the_agent_and_no_one_elses(server: LiveServer) -> None:
    bob, dave, gina = (Agent(server, a) for a in ("acme_bob", "acme_dave", "globex_gina"))
    first, second = bob.connect(), bob.connect()  # two browsers (or tabs) of bob
    others = [dave.connect(), gina.connect()]
    visitor = Visitor(server, "acme-web")
    visitor.choose("售前")
    sid = visitor.session_id
    for desk in (first, second):
        desk.expect(frame("offer", session_id=sid))
    bob.ok(sid, "accept")
    for desk in (first, second):
        desk.expect(frame("assigned", session_id=sid))

    http = server.http
    pinned = http.patch(f"{MARKS}/{sid}", json={"pinned": True}, headers=bob.headers)
    assert pinned.status_code == 200, pinned.text
    for desk in (first, second):
        got = desk.expect(frame("marks", session_id=sid))
        assert got == {"type": "marks", **pinned.json()}
        assert (got["pinned"], got["muted"]) == (True, False)

    muted = http.patch(f"{MARKS}/{sid}", json={"muted": True}, headers=bob.headers)
    assert muted.status_code == 200, muted.text
    for desk in (first, second):
        desk.expect(frame("marks", session_id=sid, pinned=True, muted=True))

    # a refused change tells nobody (dave does not see bob's conversation)
    refused = http.patch(f"{MARKS}/{sid}", json={"muted": True}, headers=dave.headers)
    assert refused.status_code == 404, refused.text

    # forgotten (the workbench closed the conversation): every socket hears it unmarked
    assert http.delete(f"{MARKS}/{sid}", headers=bob.headers).status_code == 204
    for desk in (first, second):
        desk.expect(frame("marks", session_id=sid, pinned=False, muted=False))
    # forgetting what is not marked changes nothing and tells nobody
    assert http.delete(f"{MARKS}/{sid}", headers=bob.headers).status_code == 204

    # a socket opened later reads the marks with GET; the frames are live only
    third = bob.connect()
    for desk in (first, second, third, *others):
        fenced(desk)
    assert len(first.seen(frame("marks"))) == len(second.seen(frame("marks"))) == 3
    assert third.seen(frame("marks")) == []
    for desk in others:
        assert desk.seen(frame("marks")) == [], "another agent's marks"


def test_app_changes_reach_the_merchants_workbenches_only(server: LiveServer) -> None:
    alice, bob, gina = (Agent(server, a) for a in ("acme_alice", "acme_bob", "globex_gina"))
    bob_one, bob_two, alice_desk = bob.connect(), bob.connect(), alice.connect()
    acme = [bob_one, bob_two, alice_desk]
    gina_desk = gina.connect()
    http = server.http

    app = {"name": "CRM", "url": "https://crm.example/panel"}
    added = http.post(APPS, json=app, headers=alice.headers)
    assert added.status_code == 201, added.text
    app_id = added.json()["id"]
    for desk in acme:
        assert desk.expect(frame("apps")) == {"type": "apps"}
    assert [a["name"] for a in bob.get("/api/v1/agents/me/apps")] == ["CRM"]

    renamed = http.patch(f"{APPS}/{app_id}", json={"name": "客户"}, headers=alice.headers)
    assert renamed.status_code == 200, renamed.text
    for desk in acme:
        desk.expect(frame("apps"))
    disabled = http.patch(f"{APPS}/{app_id}", json={"enabled": False}, headers=alice.headers)
    assert disabled.status_code == 200, disabled.text
    for desk in acme:
        desk.expect(frame("apps"))
    assert bob.get("/api/v1/agents/me/apps") == []

    # a change that changes nothing, and one refused, tell nobody
    assert http.patch(f"{APPS}/{app_id}", json={}, headers=alice.headers).status_code == 200
    assert http.post(APPS, json=app, headers=bob.headers).status_code == 403
    assert http.delete(f"{APPS}/{app_id}", headers=gina.headers).status_code == 404
    for desk in [*acme, gina_desk]:
        fenced(desk)
    assert [len(desk.seen(frame("apps"))) for desk in acme] == [3, 3, 3]

    assert http.delete(f"{APPS}/{app_id}", headers=alice.headers).status_code == 204
    for desk in acme:
        desk.expect(frame("apps"))

    # globex's own app reaches globex's workbench, not acme's
    theirs = http.post(APPS, json=app, headers=gina.headers)
    assert theirs.status_code == 201, theirs.text
    gina_desk.expect(frame("apps"))
    for desk in acme:
        fenced(desk)
    assert [len(desk.seen(frame("apps"))) for desk in acme] == [4, 4, 4]
    assert len(gina_desk.seen(frame("apps"))) == 1, "acme's changes never reached globex"
