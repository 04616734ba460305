"""Two merchants on one server never see each other; agents see only what they may."""

from __future__ import annotations

import pytest
from agent_world import Agent, LiveServer, Visitor, frame, offered_to

ACTIONS = [
    ("accept", None),
    ("decline", None),
    ("end", None),
    ("survey", None),
    ("leave", None),
    ("transfer", {"group": "presales"}),
    ("transfer", {"agent": "globex_gina"}),
    ("invite", {"agent": "globex_gina"}),
    ("messages", {"text": "hello"}),
]


@pytest.mark.parametrize(("action", "body"), ACTIONS, ids=[f"{a}-{b}" for a, b in ACTIONS])
def test_another_merchants_session_is_404_for_every_action(
    server: LiveServer, action: str, body: object
) -> None:
    alice, gina = Agent(server, "acme_alice"), Agent(server, "globex_gina")
    alice.connect()
    gina.connect()
    visitor = Visitor(server, "globex-web")
    sid = visitor.session_id
    gina.frames.expect(frame("offer", session_id=sid))

    response = alice.act(sid, action, body)  # alice is acme's admin: still nothing of globex
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == f"no session {sid!r}"
    assert "Globex" not in response.text

    gina.ok(sid, "accept")
    visitor.ws.expect(frame("agent_joined", nickname="Gina"))
    response = alice.act(sid, action, body)
    assert response.status_code == 404, response.text
    assert not alice.frames.seen(lambda f: f.get("session_id") == sid)


def test_agents_and_targets_stay_inside_their_merchant(server: LiveServer) -> None:
    alice, bob, gina = (Agent(server, a) for a in ("acme_alice", "acme_bob", "globex_gina"))
    for agent in (alice, bob, gina):
        agent.connect()
    assert [a["account"] for a in gina.get("/api/v1/agents")] == ["globex_gina"]
    everyone = alice.get("/api/v1/agents", include_offline=True)
    assert {a["account"] for a in everyone} == {"acme_alice", "acme_bob", "acme_carol", "acme_dave"}

    globex = Visitor(server, "globex-web")
    gina.frames.expect(frame("offer", session_id=globex.session_id))
    gina.ok(globex.session_id, "accept")
    for target in ({"agent": "acme_bob"}, {"group": "aftersales"}):
        assert gina.act(globex.session_id, "transfer", target).status_code == 404
    assert gina.act(globex.session_id, "invite", {"agent": "acme_alice"}).status_code == 404
    assert gina.act(globex.session_id, "survey").json()["type"] == "urn:chatflow:no_survey"

    acme = Visitor(server, "acme-web")
    acme.choose("售前")
    holder = offered_to([alice, bob], acme.session_id)
    holder.ok(acme.session_id, "accept")
    assert holder.act(acme.session_id, "transfer", {"agent": "globex_gina"}).status_code == 404
    assert holder.act(acme.session_id, "invite", {"agent": "globex_gina"}).status_code == 404
    assert not gina.frames.seen(lambda f: f.get("session_id") == acme.session_id)


def test_a_plain_agent_sees_only_its_own_sessions(server: LiveServer) -> None:
    alice, bob, dave = (Agent(server, a) for a in ("acme_alice", "acme_bob", "acme_dave"))
    alice.connect()
    visitor = Visitor(server, "acme-web")
    visitor.choose("售前")
    alice.frames.expect(frame("offer", session_id=visitor.session_id))
    alice.ok(visitor.session_id, "accept")
    dave.connect()
    # dave (agent scope: self) cannot see alice's conversation at all; bob neither
    for agent in (dave, bob):
        assert agent.say(visitor.session_id, "偷看").status_code == 404
        assert agent.act(visitor.session_id, "transfer", {"group": "aftersales"}).status_code == 404
    assert dave.get("/api/v1/agents/me/sessions") == []


def test_the_visitor_token_still_posts_on_the_shared_messages_path(server: LiveServer) -> None:
    alice = Agent(server, "acme_alice")
    alice.connect()
    visitor = Visitor(server, "acme-web")
    response = server.http.post(
        f"/api/v1/sessions/{visitor.session_id}/messages",
        json={"type": "choice", "value": "售前"},
        headers={"Authorization": f"Bearer {visitor.token}"},
    )
    assert response.status_code == 202 and response.json()["applied"] is True
    alice.frames.expect(frame("offer", session_id=visitor.session_id))
    bogus = server.http.post(
        f"/api/v1/sessions/{visitor.session_id}/messages",
        json={"text": "hi"},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert bogus.status_code == 401


def test_a_supervisor_oversees_its_groups_only(server: LiveServer) -> None:
    alice, carol, dave = (Agent(server, a) for a in ("acme_alice", "acme_carol", "acme_dave"))
    for agent in (alice, carol, dave):
        agent.connect()
    assert carol.put("/api/v1/agents/me/status", {"status": "busy"}).is_success
    aftersales = Visitor(server, "acme-web")
    aftersales.choose("售后")
    dave.frames.expect(frame("offer", session_id=aftersales.session_id))
    dave.ok(aftersales.session_id, "accept")
    presales = Visitor(server, "acme-web")
    presales.choose("售前")
    alice.frames.expect(frame("offer", session_id=presales.session_id))
    alice.ok(presales.session_id, "accept")

    # carol supervises aftersales: she sees dave's conversation and may move it, not write in it
    assert carol.say(aftersales.session_id, "我是主管").status_code == 409
    assert carol.act(presales.session_id, "transfer", {"group": "quick"}).status_code == 404
    carol.ok(aftersales.session_id, "transfer", {"agent": "acme_alice"})
    dave.frames.expect(frame("transferred", session_id=aftersales.session_id))
    alice.frames.expect(frame("offer", session_id=aftersales.session_id))


def test_every_account_reads_its_own_merchants_group_names(server: LiveServer) -> None:
    """A plain agent cannot read the groups' settings, but its workbench names the groups of its
    offers and transfers: the names come from /agents/groups, never another merchant's."""
    bob, gina = Agent(server, "acme_bob"), Agent(server, "globex_gina")
    assert server.http.get("/api/v1/admin/groups", headers=bob.headers).status_code == 403
    assert bob.get("/api/v1/agents/groups") == [
        {"id": "aftersales", "name": "售后", "sites": ["acme-web"]},
        {"id": "nobody", "name": "无人值守", "sites": ["acme-web"]},
        {"id": "presales", "name": "售前", "sites": ["acme-web"]},
        {"id": "quick", "name": "快速", "sites": ["acme-web"]},
    ]
    assert gina.get("/api/v1/agents/groups") == [
        {"id": "presales", "name": "Globex presales", "sites": ["globex-web"]}
    ]
    assert server.http.get("/api/v1/agents/groups").status_code == 401


def test_every_account_reads_its_own_rights_as_the_admin_routes_apply_them(
    server: LiveServer,
) -> None:
    """/agents/me/rights is what the admin routes enforce, so a page can hide what would be
    refused: checked against the routes themselves, for a plain agent, a supervisor of one
    group and an admin."""
    bob, carol, alice = (Agent(server, a) for a in ("acme_bob", "acme_carol", "acme_alice"))
    rights = {who.account: who.get("/api/v1/agents/me/rights") for who in (bob, carol, alice)}

    assert rights["acme_bob"]["agent_scope"] == "self"
    assert rights["acme_carol"]["agent_scope"] == "groups"
    assert rights["acme_carol"]["scope_groups"] == ["aftersales"]
    assert rights["acme_alice"]["rights"]["flows"] == "edit"
    probes = {  # a view route and an edit route per feature
        "groups": ("/api/v1/admin/groups", "/api/v1/admin/groups/nope"),
        "flows": ("/api/v1/admin/flows", "/api/v1/admin/flows/nope/versions/1"),
    }
    for who in (bob, carol, alice):
        mine = rights[who.account]["rights"]
        for feature, (view, edit) in probes.items():
            seen = server.http.get(view, headers=who.headers).status_code
            assert (seen == 200) == (feature in mine), (who.account, feature, seen)
            deleted = server.http.delete(edit, headers=who.headers).status_code
            refused = deleted == 403
            assert refused == (mine.get(feature) != "edit"), (who.account, feature, deleted)
    assert server.http.get("/api/v1/agents/me/rights").status_code == 401
