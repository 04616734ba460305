"""The agent websocket's life (tokens, reconnects, grace logout), statuses and word checks."""

from __future__ import annotations

from agent_world import Agent, LiveServer, Visitor, eventually, frame, says


def status_of(agent: Agent, account: str) -> str:
    everyone = agent.get("/api/v1/agents", include_offline=True)
    return str(next(a["status"] for a in everyone if a["account"] == account))


def test_a_bad_token_is_refused_with_4401(server: LiveServer) -> None:
    stream = server.stream("/ws/agent?token=nope")
    assert stream.expect(frame("error", code="unauthorized"))
    assert stream.wait_closed() == 4401


def test_sockets_close_when_their_token_dies(server: LiveServer) -> None:
    alice, bob = Agent(server, "acme_alice"), Agent(server, "acme_bob")
    other_tab = Agent(server, "acme_bob")  # a second login of bob: its own token
    for agent in (alice, bob, other_tab):
        agent.connect()

    assert server.http.post("/api/v1/auth/logout", headers=bob.headers).status_code == 204
    assert bob.frames.wait_closed() == 4401
    other_tab.frames.send({"type": "ping"})
    other_tab.frames.expect(frame("pong"))  # the other token lives on

    response = server.http.post("/api/v1/admin/accounts/acme_bob/disable", headers=alice.headers)
    assert response.status_code == 200, response.text
    assert other_tab.frames.wait_closed() == 4401
    alice.frames.send({"type": "ping"})
    alice.frames.expect(frame("pong"))


def test_a_reconnect_keeps_state_and_the_last_close_logs_out_after_grace(
    server: LiveServer,
) -> None:
    alice = Agent(server, "acme_alice")
    alice.connect()
    assert alice.put("/api/v1/agents/me/status", {"status": "busy"}).is_success
    alice.frames.expect(frame("status", status="busy"))
    assert alice.put("/api/v1/agents/me/status", {"status": "free"}).is_success
    visitor = Visitor(server, "acme-web")
    visitor.choose("售前")
    alice.frames.expect(frame("offer", session_id=visitor.session_id))
    alice.ok(visitor.session_id, "accept")
    visitor.say("你好")
    alice.frames.expect(says("你好", "visitor"))

    alice.frames.close()
    alice.connect()  # a reload: same status, the session and its transcript come back
    assert alice.frames.frames[0] == {"type": "status", "status": "free"}
    resumed = alice.frames.expect(frame("assigned", session_id=visitor.session_id))
    assert resumed["resumed"] is True
    assert alice.frames.expect(says("你好", "visitor"))["replay"] is True
    visitor.say("还在吗")
    alice.frames.expect(says("还在吗", "visitor"))
    assert status_of(alice, "acme_alice") == "free"

    server.services.hub.logout_grace = 0.2
    alice.frames.close()
    eventually(lambda: status_of(alice, "acme_alice") == "offline", what="alice logged out")
    # offline agents keep the conversations they serve
    assert [s["session_id"] for s in alice.get("/api/v1/agents/me/sessions")] == [
        visitor.session_id
    ]


def test_statuses_rest_with_a_reason_and_go_offline(server: LiveServer) -> None:
    bob = Agent(server, "acme_bob")
    refused = bob.put("/api/v1/agents/me/status", {"status": "free"})
    assert refused.status_code == 409 and refused.json()["type"] == "urn:chatflow:not_connected"
    assert bob.put("/api/v1/agents/me/status", {"status": "away"}).status_code == 422
    bob.connect()
    answer = bob.put("/api/v1/agents/me/status", {"status": "rest", "reason": "午餐"})
    assert answer.json() == {"status": "rest", "reason": "午餐"}
    bob.frames.expect(frame("status", status="rest", reason="午餐"))

    visitor = Visitor(server, "acme-web")
    visitor.choose("售后")  # bob is the only aftersales agent online, and resting
    visitor.ws.expect(frame("queue", position=1))
    assert bob.put("/api/v1/agents/me/status", {"status": "free"}).is_success
    bob.frames.expect(frame("status", status="free"))
    bob.frames.expect(frame("offer", session_id=visitor.session_id))
    assert bob.put("/api/v1/agents/me/status", {"status": "offline"}).is_success
    bob.frames.expect(frame("auto_transfer", session_id=visitor.session_id))
    bob.frames.expect(frame("status", status="offline"))
    visitor.ws.expect(says("抱歉，客服暂时无法接待。"))  # the last agent of the group went away


def test_forbidden_words_block_and_sensitive_words_alert_overseers(server: LiveServer) -> None:
    alice, bob, carol, dave = (
        Agent(server, a) for a in ("acme_alice", "acme_bob", "acme_carol", "acme_dave")
    )
    for kind, word in (("forbidden", "傻瓜"), ("sensitive", "退款")):
        response = server.http.post(
            "/api/v1/sensitive-words", json={"kind": kind, "words": [word]}, headers=alice.headers
        )
        assert response.status_code == 201, response.text
    for agent in (alice, carol, dave):
        agent.connect()
    assert alice.put("/api/v1/agents/me/status", {"status": "busy"}).is_success
    bob.connect()
    visitor = Visitor(server, "acme-web")
    visitor.choose("售前")
    bob.frames.expect(frame("offer", session_id=visitor.session_id))
    bob.ok(visitor.session_id, "accept")

    blocked = bob.say(visitor.session_id, "你这个ＳＢ傻瓜")
    assert blocked.status_code == 422 and blocked.json()["words"] == ["傻瓜"]
    assert "傻瓜" in blocked.json()["detail"]
    assert bob.say(visitor.session_id, "可以申请退款").status_code == 202
    visitor.ws.expect(says("可以申请退款", "agent"))
    alert = alice.frames.expect(frame("alert", session_id=visitor.session_id))
    assert alert["agent"] == "acme_bob" and alert["words"] == [
        {"kind": "sensitive", "word": "退款"}
    ]
    assert not visitor.ws.seen(says("傻瓜"))
    for other in (carol, dave):  # carol supervises aftersales only; dave is an agent
        other.frames.send({"type": "ping"})
        other.frames.expect(frame("pong"))
        assert not other.frames.seen(frame("alert"))


def test_client_frames_are_checked(server: LiveServer) -> None:
    alice = Agent(server, "acme_alice")
    ws = alice.connect()
    ws.ws.send("not json")
    ws.expect(frame("error", code="bad_json"))
    ws.send({"type": "dance"})
    assert "typing, ping" in ws.expect(frame("error", code="unknown_type"))["message"]
    ws.send({"type": "typing", "session_id": "nope"})
    ws.expect(frame("error", code="not_serving"))
    assert alice.say("nope", "hi").status_code == 404
    assert alice.act("nope", "messages", {"text": ""}).status_code == 422


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17 + b"IEND\xaeB`\x82"


def test_an_agent_sends_an_image_on_the_visitors_path(server: LiveServer) -> None:
    bob, dave = Agent(server, "acme_bob"), Agent(server, "acme_dave")
    bob.connect()
    visitor = Visitor(server, "acme-web")
    visitor.choose("售前")
    bob.frames.expect(frame("offer", session_id=visitor.session_id))
    bob.ok(visitor.session_id, "accept")
    url = f"/api/v1/sessions/{visitor.session_id}/images"
    upload = {"file": ("p.png", PNG, "image/png")}
    response = server.http.post(url, files=upload, headers=bob.headers)
    assert response.status_code == 201, response.text
    image = response.json()["url"]
    shown = visitor.ws.expect(frame("message", image=image))
    assert (shown["from"], shown["nickname"], shown["staff_no"]) == ("agent", "Bob", "1002")
    assert bob.frames.expect(frame("message", image=image))["from"] == "agent"
    assert server.http.post(url, files=upload, headers=dave.headers).status_code == 404


def test_a_visitors_image_reaches_the_agent_through_the_transcript(server: LiveServer) -> None:
    bob = Agent(server, "acme_bob")
    bob.connect()
    visitor = Visitor(server, "acme-web")
    visitor.choose("售前")
    bob.frames.expect(frame("offer", session_id=visitor.session_id))
    bob.ok(visitor.session_id, "accept")
    response = server.http.post(
        f"/api/v1/sessions/{visitor.session_id}/images",
        files={"file": ("p.png", PNG, "image/png")},
        headers={"Authorization": f"Bearer {visitor.token}"},
    )
    assert response.status_code == 201, response.text
    image = response.json()["url"]
    assert bob.frames.expect(frame("message", image=image))["from"] == "visitor"
    assert len(bob.frames.seen(frame("message", image=image))) == 1
