"""Erasing a visitor (a request to delete one's personal data) over a real server: every
conversation, transcript, image and session of the merchant with it, its profile, tags and
blacklist entry go; a live conversation holds it back; other visitors and merchants keep theirs."""

from __future__ import annotations

from agent_world import Agent, LiveServer, Visitor, frame, says

from chatflow.engine.content import is_blacklisted

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17 + b"IEND\xaeB`\x82"


def served(server: LiveServer, agent: Agent, visitor_id: str) -> Visitor:
    visitor = Visitor(server, "acme-web", visitor_id=visitor_id)
    visitor.choose("售前")
    agent.frames.expect(frame("offer", session_id=visitor.session_id))
    agent.ok(visitor.session_id, "accept")
    visitor.ws.expect(frame("agent_joined"))
    return visitor


def ended(server: LiveServer, visitor: Visitor) -> None:
    visitor.ws.send({"type": "end"})
    visitor.ws.expect(frame("ended"))
    server.record_when(visitor.session_id, lambda r: r.status == "ended")


def test_erasing_a_visitor_deletes_everything_kept_of_it(server: LiveServer) -> None:
    alice, bob = Agent(server, "acme_alice"), Agent(server, "acme_bob")
    bob.connect()
    gone = served(server, bob, "v-erase")
    sid = gone.session_id
    upload = server.http.post(
        f"/api/v1/sessions/{sid}/images",
        files={"file": ("p.png", PNG, "image/png")},
        headers={"Authorization": f"Bearer {gone.token}"},
    )
    assert upload.status_code == 201, upload.text
    image = upload.json()["url"]
    gone.say("我的电话是 0912345678")
    bob.frames.expect(says("我的电话是 0912345678", "visitor"))
    profile = {"name": "王小明", "phone": "0912345678"}
    assert alice.put("/api/v1/visitors/v-erase", profile).status_code == 200
    group = alice.post("/api/v1/tag-groups", {"name": "等级", "tags": ["金"]}).json()
    tagged = {"tag_ids": [group["tags"][0]["id"]]}
    assert alice.put("/api/v1/visitors/v-erase/tags", tagged).status_code == 200

    refused = server.http.delete(
        "/api/v1/visitors/v-erase", headers={**alice.headers, "Accept-Language": "zh-CN"}
    )
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("visitor_live") and problem["sessions"] == [sid]
    assert problem["detail"] == "请先结束该访客的会话再删除其数据"
    assert server.conversation(sid) is not None, "a refused erasure deletes nothing"

    ended(server, gone)
    kept = served(server, bob, "v-keep")
    ended(server, kept)
    assert alice.put("/api/v1/blacklist/v-erase", {"reason": "要求删除"}).status_code == 200
    assert server.http.delete("/api/v1/visitors/v-erase", headers=bob.headers).status_code == 403

    erased = server.http.delete("/api/v1/visitors/v-erase", headers=alice.headers)
    assert erased.status_code == 200, erased.text
    assert erased.json() == {
        "visitor_id": "v-erase",
        "conversations": 1,
        "images": 1,
        "profile": True,
        "tags": 1,
        "blacklisted": True,
    }
    assert server.conversation(sid) is None and server.messages(sid) == []
    assert server.http.get(image).status_code == 404
    replay = server.http.get(
        f"/api/v1/sessions/{sid}/events", headers={"Authorization": f"Bearer {gone.token}"}
    )
    assert replay.status_code == 404, replay.text  # the window no longer replays it
    assert server.http.get("/api/v1/visitors/v-erase", headers=alice.headers).status_code == 404
    assert not is_blacklisted(server.app.state.records, "acme", "v-erase")
    assert server.http.delete("/api/v1/visitors/v-erase", headers=alice.headers).status_code == 404

    assert server.conversation(kept.session_id) is not None, "another visitor keeps its records"
    back = Visitor(server, "acme-web", visitor_id="v-erase")  # a new conversation starts afresh
    back.ws.expect(says("您好，欢迎咨询Acme 官网", "bot"))


def test_another_merchant_cannot_erase_a_visitor(server: LiveServer) -> None:
    bob, gina = Agent(server, "acme_bob"), Agent(server, "globex_gina")
    bob.connect()
    visitor = served(server, bob, "v-acme")
    ended(server, visitor)
    refused = server.http.delete("/api/v1/visitors/v-acme", headers=gina.headers)
    assert refused.status_code == 404, refused.text
    assert server.conversation(visitor.session_id) is not None
