"""Queue and serve end to end over a real server: offer, accept, messages, end, survey, records."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from agent_world import Agent, LiveServer, Visitor, frame, says


def served(server: LiveServer, agent: Agent, count: int) -> list[Visitor]:
    """``count`` visitors of acme-web who chose presales, each accepted by ``agent``."""
    visitors = [Visitor(server, "acme-web") for _ in range(count)]
    for visitor in visitors:
        visitor.choose("售前")
        agent.frames.expect(frame("offer", session_id=visitor.session_id))
        agent.ok(visitor.session_id, "accept")
        visitor.ws.expect(frame("agent_joined"))
    return visitors


def test_visitor_is_queued_served_surveyed_and_recorded(server: LiveServer) -> None:
    alice = Agent(server, "acme_alice")
    alice.connect()
    assert alice.frames.frames[0] == {"type": "status", "status": "free"}
    visitor = Visitor(server, "acme-web")
    visitor.ws.expect(lambda f: f.get("options") == ["售前", "售后", "快速", "无人"])
    visitor.choose("售前")
    visitor.ws.expect(frame("queue", position=1, ahead=0))
    sid = visitor.session_id

    offer = alice.frames.expect(frame("offer", session_id=sid))
    assert offer["group"] == "presales" and offer["timeout"] == 15
    [mine] = alice.get("/api/v1/agents/me/sessions")
    assert mine["session_id"] == sid and mine["phase"] == "ringing" and mine["expires_in"] > 0
    alice.ok(sid, "accept")

    assigned = alice.frames.expect(frame("assigned", session_id=sid, group="presales"))
    assert datetime.fromisoformat(assigned["at"]).tzinfo is not None  # the server's clock
    history = [alice.frames.expect(says(t)) for t in ("您好，欢迎咨询Acme 官网", "请选择", "售前")]
    assert all(f["replay"] and f["session_id"] == sid for f in history)
    assert [f["from"] for f in history] == ["bot", "bot", "visitor"]
    assert history[0]["seq"] < history[1]["seq"] < history[2]["seq"]
    joined = visitor.ws.expect(frame("agent_joined"))
    assert (joined["staff_no"], joined["nickname"]) == ("1001", "Alice")
    told = alice.frames.expect(frame("joined", session_id=sid, staff_no="1001"))
    assert (told["seq"], told["at"]) == (joined["seq"], joined["at"])
    visitor.ws.expect(says("客服 Alice（工号 1001）为您服务", "bot"))

    visitor.say("我想买一台打印机")
    heard = alice.frames.expect(says("我想买一台打印机", "visitor"))
    assert heard["session_id"] == sid and "replay" not in heard
    visitor.ws.send({"type": "typing"})
    alice.frames.expect(frame("typing", session_id=sid, **{"from": "visitor"}))
    alice.frames.send({"type": "typing", "session_id": sid})
    visitor.ws.expect(frame("typing", **{"from": "agent"}))
    assert alice.say(sid, "您好，有什么可以帮您？").status_code == 202
    visitor.ws.expect(says("您好，有什么可以帮您？", "agent"))
    alice.frames.expect(says("您好，有什么可以帮您？", "agent"))  # the agent's own echo

    alice.ok(sid, "end")
    alice.frames.expect(frame("session_ended", session_id=sid, closed_by="seat"))
    visitor.ws.expect(says("本次服务已结束", "system"))
    visitor.ws.expect(frame("survey", style="star", levels=5))
    visitor.ws.send({"type": "rate", "score": 5})
    assert visitor.ws.expect(says("5", "visitor"))["rating"] == 5  # its echo says it is a rating
    visitor.ws.expect(says("感谢您的评价"))
    visitor.ws.expect(frame("ended", reason="flow"))
    assert alice.get("/api/v1/agents/me/sessions") == []
    assert not visitor.ws.seen(frame("typing", **{"from": "visitor"}))  # never echoed back

    row = server.record_when(sid, lambda r: r.status == "ended" and r.rating is not None)
    assert row.group_id == "presales" and row.agents == ["acme_alice"]
    assert row.queued_at <= row.first_ring_at <= row.agent_joined_at <= row.first_agent_reply_at
    assert row.closed_by == "seat" and row.rating == 5 and row.end_reason == "flow"
    lines = {m.text: m for m in server.messages(sid)}
    assert lines["您好，有什么可以帮您？"].agent_account == "acme_alice"
    assert lines["我想买一台打印机"].sender == "visitor"


def test_survey_action_ends_the_service_and_shows_the_survey(server: LiveServer) -> None:
    bob = Agent(server, "acme_bob")
    bob.connect()
    visitor = Visitor(server, "acme-web")
    visitor.choose("售前")
    sid = bob.frames.expect(frame("offer"))["session_id"]
    bob.ok(sid, "accept")
    visitor.ws.expect(frame("agent_joined", nickname="Bob"))

    bob.ok(sid, "survey")
    bob.frames.expect(frame("session_ended", session_id=sid, closed_by="seat"))
    survey = visitor.ws.expect(frame("survey"))
    assert survey["prompt"] == "请对本次服务进行评价。"
    visitor.ws.send({"type": "rate", "score": 4})
    visitor.ws.expect(frame("ended", reason="flow"))
    row = server.record_when(sid, lambda r: r.rating is not None)
    assert (row.rating, row.closed_by) == (4, "seat")
    assert bob.act(sid, "survey").status_code == 409  # the service is over


def test_nobody_online_takes_the_flows_no_agents_path(server: LiveServer) -> None:
    alice = Agent(server, "acme_alice")
    alice.connect()  # online, but not in the "nobody" group
    visitor = Visitor(server, "acme-web")
    visitor.choose("无人")
    visitor.ws.expect(says("抱歉，客服暂时无法接待。"))
    visitor.ws.expect(frame("ended", reason="flow"))
    assert not alice.frames.seen(frame("offer"))
    row = server.record_when(visitor.session_id, lambda r: r.status == "ended")
    assert row.group_id == "nobody" and row.agent_joined_at is None and row.abandoned


def test_the_visitor_leaving_and_an_admin_closing_reach_the_agent(server: LiveServer) -> None:
    alice = Agent(server, "acme_alice")
    alice.connect()
    first, second = served(server, alice, 2)

    first.ws.send({"type": "end"})
    alice.frames.expect(frame("session_ended", session_id=first.session_id, closed_by="client"))
    first.ws.expect(frame("ended", reason="visitor"))

    response = server.http.post(
        "/api/v1/records/batch/close",
        json={"session_ids": [second.session_id]},
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["succeeded"] == [second.session_id]
    alice.frames.expect(frame("session_ended", session_id=second.session_id, closed_by="admin"))
    second.ws.expect(frame("ended", reason="admin"))

    assert server.record_when(first.session_id, lambda r: r.closed_by).closed_by == "client"
    assert server.record_when(second.session_id, lambda r: r.closed_by).closed_by == "admin"
    assert alice.get("/api/v1/agents/me/sessions") == []


def test_a_survey_answered_by_typing_is_recorded_and_an_invalid_one_is_not(
    server: LiveServer,
) -> None:
    bob = Agent(server, "acme_bob")
    bob.connect()
    visitor = Visitor(server, "acme-web")
    visitor.choose("售前")
    sid = bob.frames.expect(frame("offer"))["session_id"]
    bob.ok(sid, "accept")
    visitor.ws.expect(frame("agent_joined", nickname="Bob"))
    bob.ok(sid, "end")
    visitor.ws.expect(frame("survey"))
    visitor.ws.send({"type": "rate", "score": 9})  # out of range for 5 stars: asked again
    visitor.say("3")  # typed instead of clicked
    assert "rating" not in visitor.ws.expect(says("3", "visitor"))  # what the visitor typed
    visitor.ws.expect(frame("ended", reason="flow"))
    row = server.record_when(sid, lambda r: r.rating is not None)
    assert row.rating == 3


def test_my_sessions_leaves_out_a_session_the_store_no_longer_has(
    server: LiveServer, tmp_path: Path
) -> None:
    alice = Agent(server, "acme_alice")
    alice.connect()
    kept, gone = served(server, alice, 2)
    assert {s["session_id"] for s in alice.get("/api/v1/agents/me/sessions")} == {
        kept.session_id,
        gone.session_id,
    }
    # the store loses one (a file restored from a backup, a manual clean-up) while the queue
    # still holds it: the list is the rest, not an error
    db = sqlite3.connect(tmp_path / "data" / "sessions.sqlite3", timeout=10)
    with db:
        db.execute("DELETE FROM cf_session WHERE id = ?", (gone.session_id,))
    db.close()
    [mine] = alice.get("/api/v1/agents/me/sessions")
    assert mine["session_id"] == kept.session_id and mine["phase"] == "active"
