"""The console's live view on a real server: the queue board and batch transfers (LiveServices)."""

from __future__ import annotations

from agent_world import Agent, LiveServer, Visitor, eventually, frame


def test_the_queue_board_and_a_batch_transfer_act_on_live_sessions(server: LiveServer) -> None:
    alice, dave = Agent(server, "acme_alice"), Agent(server, "acme_dave")
    dave.connect()  # the only aftersales agent online, and resting: visitors wait
    assert dave.put("/api/v1/agents/me/status", {"status": "rest", "reason": "会议"}).is_success
    visitor = Visitor(server, "acme-web")
    visitor.choose("售后")
    visitor.ws.expect(frame("queue", position=1))

    def board() -> dict[str, object]:
        response = server.http.get("/api/v1/stats/queue", headers=alice.headers)
        assert response.status_code == 200, response.text
        answer: dict[str, object] = response.json()
        return answer

    shown = eventually(lambda: (b := board())["groups"] and b, what="a waiting group")
    aftersales = next(g for g in shown["groups"] if g["group_id"] == "aftersales")
    assert aftersales["waiting"] == 1 and aftersales["longest_wait_seconds"] >= 0
    agents = {a["account"]: a for a in shown["agents"]}
    assert agents["acme_dave"]["status"] == "rest" and agents["acme_alice"]["status"] == "offline"
    assert shown["by_status"] == {"offline": 3, "rest": 1}

    alice.connect()
    response = server.http.post(
        "/api/v1/records/batch/transfer",
        json={"session_ids": [visitor.session_id], "group": "presales"},
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["succeeded"] == [visitor.session_id]
    alice.frames.expect(frame("offer", session_id=visitor.session_id, group="presales"))
    refused = server.http.post(
        "/api/v1/records/batch/transfer",
        json={"session_ids": [visitor.session_id], "agent": "acme_bob"},
        headers=alice.headers,
    )
    failure = refused.json()["failed"][0]
    assert failure["code"] == "agent_unavailable" and "offline" in failure["detail"]
