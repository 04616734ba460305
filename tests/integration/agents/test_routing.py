"""Offers that ring out, transfers, invitations and leaving, over a real server."""

from __future__ import annotations

from agent_world import Agent, LiveServer, Visitor, frame, offered_to, says


def serve(server: LiveServer, agent: Agent, option: str = "售前") -> Visitor:
    """A visitor that ``agent`` (online, alone in the group) has accepted."""
    visitor = Visitor(server, "acme-web")
    visitor.choose(option)
    agent.frames.expect(frame("offer", session_id=visitor.session_id))
    agent.ok(visitor.session_id, "accept")
    agent.frames.expect(frame("assigned", session_id=visitor.session_id))
    visitor.ws.expect(frame("agent_joined"))
    return visitor


def test_an_offer_that_rings_out_goes_to_the_other_agent(server: LiveServer) -> None:
    alice, bob = Agent(server, "acme_alice"), Agent(server, "acme_bob")
    alice.connect()
    bob.connect()
    visitor = Visitor(server, "acme-web")
    visitor.choose("快速")  # the "quick" group rings for 1 s
    sid = visitor.session_id
    first = offered_to([alice, bob], sid)
    assert first.frames.seen(frame("offer", session_id=sid))[0]["timeout"] == 1
    second = bob if first is alice else alice
    first.frames.expect(frame("auto_transfer", session_id=sid))
    second.frames.expect(frame("offer", session_id=sid, group="quick"))
    assert first.act(sid, "accept").json()["type"] == "urn:chatflow:not_offered"
    second.ok(sid, "accept")
    joined = visitor.ws.expect(frame("agent_joined"))
    assert joined["staff_no"] == ("1002" if second is bob else "1001")
    row = server.record_when(sid, lambda r: r.agent_joined_at is not None)
    assert row.first_ring_at < row.agent_joined_at  # first response counts from the first ring
    assert (row.agent_joined_at - row.first_ring_at).total_seconds() >= 1


def test_a_declined_offer_goes_to_the_other_agent(server: LiveServer) -> None:
    alice, bob = Agent(server, "acme_alice"), Agent(server, "acme_bob")
    alice.connect()
    assert alice.put("/api/v1/agents/me/status", {"status": "busy"}).status_code == 200
    bob.connect()
    visitor = Visitor(server, "acme-web")
    visitor.choose("售前")
    bob.frames.expect(frame("offer", session_id=visitor.session_id))
    refused = alice.act(
        visitor.session_id, "decline"
    )  # alice (admin) sees it, but it rings for bob
    assert refused.status_code == 409 and refused.json()["type"] == "urn:chatflow:not_offered"
    assert alice.put("/api/v1/agents/me/status", {"status": "free"}).status_code == 200
    bob.ok(visitor.session_id, "decline")
    alice.frames.expect(frame("offer", session_id=visitor.session_id))


def test_transfer_to_an_agent_then_to_a_group(server: LiveServer) -> None:
    alice, bob, carol = (Agent(server, a) for a in ("acme_alice", "acme_bob", "acme_carol"))
    alice.connect()
    visitor = serve(server, alice)
    sid = visitor.session_id
    visitor.say("我要转售后")
    alice.frames.expect(says("我要转售后", "visitor"))

    refused = alice.act(sid, "transfer", {"agent": "acme_bob"})
    assert refused.status_code == 409, refused.text
    assert (refused.json()["state"], refused.json()["agent"]) == ("offline", "acme_bob")
    bob.connect()
    assert bob.put("/api/v1/agents/me/status", {"status": "rest", "reason": "午餐"}).is_success
    refused = alice.act(sid, "transfer", {"agent": "acme_bob"})
    assert refused.status_code == 409 and refused.json()["state"] == "rest"
    picker = {a["account"]: a for a in alice.get("/api/v1/agents")}
    assert picker["acme_bob"]["status"] == "rest" and picker["acme_bob"]["reason"] == "午餐"
    assert "acme_carol" not in picker  # offline
    assert (
        alice.act(sid, "transfer", {"agent": "acme_bob", "group": "aftersales"}).status_code == 422
    )
    assert alice.act(sid, "transfer", {"agent": "nobody_here"}).status_code == 404

    assert bob.put("/api/v1/agents/me/status", {"status": "free"}).is_success
    alice.ok(sid, "transfer", {"agent": "acme_bob"})
    alice.frames.expect(frame("transferred", session_id=sid, to_agent="acme_bob"))
    assert alice.say(sid, "还在吗").status_code == 409  # no longer hers
    bob.frames.expect(frame("offer", session_id=sid))
    bob.ok(sid, "accept")
    bob.frames.expect(frame("assigned", session_id=sid))
    bob.frames.expect(says("我要转售后", "visitor"))  # the transcript so far
    assert visitor.ws.expect(frame("agent_joined"))["nickname"] == "Bob"

    carol.connect()
    bob.ok(sid, "transfer", {"group": "aftersales"})
    bob.frames.expect(frame("transferred", session_id=sid, to_group="aftersales"))
    carol.frames.expect(frame("offer", session_id=sid, group="aftersales"))
    carol.ok(sid, "accept")
    assert visitor.ws.expect(frame("agent_joined"))["staff_no"] == "1003"
    row = server.record_when(sid, lambda r: len(r.agents) == 3)
    assert row.agents == ["acme_alice", "acme_bob", "acme_carol"]


def test_invite_a_colleague_then_leave_only_while_another_stays(server: LiveServer) -> None:
    alice, bob = Agent(server, "acme_alice"), Agent(server, "acme_bob")
    alice.connect()
    visitor = serve(server, alice)
    sid = visitor.session_id
    assert alice.act(sid, "leave").json()["type"] == "urn:chatflow:last_agent"
    assert alice.act(sid, "invite", {"agent": "acme_bob"}).json()["state"] == "offline"

    bob.connect()
    alice.ok(sid, "invite", {"agent": "acme_bob"})
    bob.frames.expect(frame("assigned", session_id=sid, invited=True))
    # the agent already serving is told who serves it now; the invited one has `assigned`
    alice.frames.expect(frame("serving", session_id=sid, agents=["acme_alice", "acme_bob"]))
    bob.frames.expect(says("售前", "visitor"))
    visitor.say("两位好")
    for agent in (alice, bob):
        agent.frames.expect(says("两位好", "visitor"))
    assert bob.say(sid, "我是 Bob，一起为您服务").status_code == 202
    visitor.ws.expect(says("我是 Bob", "agent"))
    alice.frames.expect(says("我是 Bob", "agent"))

    alice.ok(sid, "leave")
    alice.frames.expect(frame("left", session_id=sid))
    bob.frames.expect(frame("serving", session_id=sid, agents=["acme_bob"]))
    assert not alice.frames.seen(frame("serving", agents=["acme_bob"]))
    assert alice.say(sid, "再见").status_code == 409
    assert bob.act(sid, "leave").status_code == 409
    bob.ok(sid, "end")
    bob.frames.expect(frame("session_ended", session_id=sid, closed_by="seat"))
    assert not alice.frames.seen(frame("session_ended"))
    lines = {m.text: m.agent_account for m in server.messages(sid) if m.sender == "agent"}
    assert lines == {"我是 Bob，一起为您服务": "acme_bob"}


def test_two_agents_in_a_conversation_see_who_wrote_each_line(server: LiveServer) -> None:
    """Each agent line names its author for the agents, live and in every replay; the visitor
    gets the same lines without it."""
    alice, bob = Agent(server, "acme_alice"), Agent(server, "acme_bob")
    alice.connect()
    visitor = serve(server, alice)
    sid = visitor.session_id
    assert alice.say(sid, "您好，我是 Alice").status_code == 202
    mine = alice.frames.expect(says("我是 Alice", "agent"))
    assert (mine["author"], mine["author_nickname"]) == ("acme_alice", "Alice")

    bob.connect()
    alice.ok(sid, "invite", {"agent": "acme_bob"})
    bob.frames.expect(frame("assigned", session_id=sid, invited=True))
    replayed = bob.frames.expect(says("我是 Alice", "agent"))
    assert (replayed["author"], replayed["author_nickname"], replayed["replay"]) == (
        "acme_alice",
        "Alice",
        True,
    )
    assert bob.say(sid, "我是 Bob，一起为您服务").status_code == 202
    for agent in (alice, bob):
        line = agent.frames.expect(says("我是 Bob", "agent"))
        assert (line["author"], line["author_nickname"], line.get("replay")) == (
            "acme_bob",
            "Bob",
            None,
        )

    alice.frames.close()
    alice.connect()  # a reload: the transcript comes back with the same authors
    alice.frames.expect(frame("assigned", session_id=sid, resumed=True))
    again = [alice.frames.expect(says(text, "agent")) for text in ("我是 Alice", "我是 Bob")]
    assert [(f["author"], f["replay"]) for f in again] == [("acme_alice", True), ("acme_bob", True)]

    heard = visitor.ws.expect(says("我是 Bob", "agent"))
    events = server.http.get(
        f"/api/v1/sessions/{sid}/events",
        params={"after": 0},
        headers={"Authorization": f"Bearer {visitor.token}"},
    ).json()["events"]
    for seen in (heard, *events):
        assert not {"author", "author_nickname"} & seen.keys(), seen
    # ...but the public name and staff number of whoever wrote each line (an invited colleague's
    # lines are not the first agent's)
    assert (heard["nickname"], heard["staff_no"]) == ("Bob", "1002")
    signed = {e["text"]: (e["nickname"], e["staff_no"]) for e in events if e.get("from") == "agent"}
    assert signed == {
        "您好，我是 Alice": ("Alice", "1001"),
        "我是 Bob，一起为您服务": ("Bob", "1002"),
    }
