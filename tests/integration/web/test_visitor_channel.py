"""The visitor channel end to end through the app: sessions, websocket, replay, bad input."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect


def start(client: TestClient, **body: Any) -> dict[str, str]:
    response = client.post("/api/v1/sites/demo-web/sessions", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def receive_until(
    ws: WebSocketTestSession, predicate: Any, limit: int = 50
) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    for _ in range(limit):
        frame = ws.receive_json()
        frames.append(frame)
        if predicate(frame):
            return frames
    raise AssertionError(f"no matching frame in {frames}")


def events(client: TestClient, session: dict[str, str], after: int = 0) -> list[dict[str, Any]]:
    response = client.get(
        f"/api/v1/sessions/{session['session_id']}/events",
        params={"after": after},
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    )
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


def test_welcome_and_menu_arrive_with_seq_and_options(client: TestClient) -> None:
    session = start(client, visitor_id="v-1")
    with client.websocket_connect(f"/ws/visitor?token={session['visitor_token']}") as ws:
        frames = receive_until(ws, lambda f: f.get("options"))
    assert [f["seq"] for f in frames] == list(range(1, len(frames) + 1))
    assert "您好，欢迎咨询演示网站" in frames[0]["text"]
    assert frames[-1]["options"] == ["售前咨询", "售后服务", "人工客服"]


def test_a_choice_is_echoed_once_even_when_resent_and_the_flow_moves_on(client: TestClient) -> None:
    session = start(client)
    token = session["visitor_token"]
    with client.websocket_connect(f"/ws/visitor?token={token}") as ws:
        menu = receive_until(ws, lambda f: f.get("options"))
        ws.send_json({"type": "choice", "value": "售后服务", "id": "c-1"})
        ws.send_json({"type": "choice", "value": "售后服务", "id": "c-1"})  # resent after a blip
        echo = receive_until(ws, lambda f: f.get("id") == "c-1")
        # nobody is online in the demo: the flow says so and asks for a phone number
        after = receive_until(ws, lambda f: "手机号" in f.get("text", ""))
    assert echo[-1]["from"] == "visitor" and echo[-1]["text"] == "售后服务"
    log = events(client, session)
    assert [f["seq"] for f in log] == list(range(1, len(log) + 1))
    assert sum(1 for f in log if f.get("id") == "c-1") == 1
    assert len(log) == len(menu) + len(echo) + len(after)


def test_reconnect_after_seq_replays_only_what_was_missed(client: TestClient) -> None:
    session = start(client)
    token = session["visitor_token"]
    with client.websocket_connect(f"/ws/visitor?token={token}") as ws:
        first = receive_until(ws, lambda f: f.get("options"))
    last_seen = first[1]["seq"]  # the page "saw" only the first two frames
    with client.websocket_connect(f"/ws/visitor?token={token}&after={last_seen}") as ws:
        ws.send_json({"type": "text", "text": "1", "id": "t-1"})
        replay = receive_until(ws, lambda f: f.get("id") == "t-1")
    seqs = [f["seq"] for f in replay]
    assert seqs[0] == last_seen + 1 and seqs == sorted(set(seqs))
    assert [f["seq"] for f in first[2:]] == seqs[: len(first) - 2]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "bad_json"),
        ('{"type": "shout", "text": "hi"}', "unknown_type"),
        ('["text"]', "bad_frame"),
        ('{"type": "text", "text": ""}', "bad_text"),
        ('{"type": "rate", "score": "five"}', "bad_score"),
        ('{"type": "text", "text": "' + "x" * 20_000 + '"}', "too_large"),
        ('{"type": "text", "text": "' + "x" * 2_001 + '"}', "too_long"),
    ],
)
def test_bad_frames_get_an_error_frame_and_the_connection_stays(
    client: TestClient, raw: str, code: str
) -> None:
    session = start(client)
    with client.websocket_connect(f"/ws/visitor?token={session['visitor_token']}") as ws:
        receive_until(ws, lambda f: f.get("options"))
        ws.send_text(raw)
        error = ws.receive_json()
        assert error["type"] == "error" and error["code"] == code and error["message"]
        ws.send_json({"type": "text", "text": "2", "id": "after-error"})
        assert receive_until(ws, lambda f: f.get("id") == "after-error")


def test_a_wrong_token_is_refused_with_4401(client: TestClient) -> None:
    with client.websocket_connect("/ws/visitor?token=forged.token") as ws:
        assert ws.receive_json()["code"] == "unauthorized"
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_json()
    assert info.value.code == 4401


def test_rest_twin_sends_and_reads_like_the_websocket(client: TestClient) -> None:
    session = start(client)
    auth = {"Authorization": f"Bearer {session['visitor_token']}"}
    url = f"/api/v1/sessions/{session['session_id']}/messages"
    assert (
        client.post(url, json={"type": "text", "text": "1", "id": "r-1"}, headers=auth).status_code
        == 202
    )
    assert (
        client.post(url, json={"type": "text", "text": "1", "id": "r-1"}, headers=auth).json()[
            "applied"
        ]
        is False
    )
    log = events(client, session)
    assert [f["text"] for f in log if f.get("id") == "r-1"] == ["1"]
    later = events(client, session, after=log[-1]["seq"])
    assert later == []
    bad = client.post(url, content=b"{", headers=auth)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    other = start(client)
    stolen = client.post(
        f"/api/v1/sessions/{other['session_id']}/messages",
        json={"type": "text", "text": "hi"},
        headers=auth,
    )
    assert stolen.status_code == 401


def test_rest_twin_answers_409_once_the_conversation_has_ended(client: TestClient) -> None:
    session = start(client)
    auth = {"Authorization": f"Bearer {session['visitor_token']}"}
    url = f"/api/v1/sessions/{session['session_id']}/messages"
    assert client.post(url, json={"type": "end", "id": "e-1"}, headers=auth).status_code == 202
    late = client.post(url, json={"type": "text", "text": "hello?"}, headers=auth)
    assert late.status_code == 409 and late.json()["type"] == "urn:chatflow:session_ended"


def test_unknown_and_throttled_site_sessions_are_problems(client: TestClient) -> None:
    missing = client.post("/api/v1/sites/nope/sessions", json={})
    assert missing.status_code == 404 and missing.json()["type"] == "urn:chatflow:site_not_found"
    bad_body = client.post("/api/v1/sites/demo-web/sessions", json={"visitor_id": "a b"})
    assert bad_body.status_code == 422
    codes = [client.post("/api/v1/sites/demo-web/sessions", json={}).status_code for _ in range(25)]
    assert 429 in codes and codes.index(429) >= 18


def test_the_chat_page_and_widget_are_served_from_the_package(client: TestClient) -> None:
    page = client.get("/chat/demo-web")
    assert page.status_code == 200 and "<html" in page.text.lower()
    script = client.get("/static/widget.js")
    assert script.status_code == 200 and "ChatflowWidget" in script.text


def test_a_flow_that_loops_without_waiting_gives_an_error_frame(
    client: TestClient, demo: Any
) -> None:
    """A runtime failure (here the step limit) reaches the visitor as an error, never a crash."""
    loop = demo.parent / "flows" / "loop.flow.yaml"
    loop.write_text(
        "id: loop\nstart: a\nnodes:\n"
        "  a: {type: menu, prompt: go, options: [{label: go, next: b}]}\n"
        "  b: {type: set, vars: {x: '1'}, next: c}\n"
        "  c: {type: set, vars: {x: '2'}, next: b}\n",
        encoding="utf-8",
    )
    services = client.app.state.services  # type: ignore[attr-defined]
    client.portal.call(services.runtime.publish, loop.read_text(encoding="utf-8"))  # type: ignore[union-attr]
    session_id = client.portal.call(services.runtime.start, "loop")  # type: ignore[union-attr]
    token = client.app.state.visitor_channel.tokens.issue(session_id)  # type: ignore[attr-defined]
    with client.websocket_connect(f"/ws/visitor?token={token}") as ws:
        receive_until(ws, lambda f: f.get("options"))
        ws.send_json({"type": "choice", "value": "go", "id": "x"})
        error = receive_until(ws, lambda f: f.get("type") == "error")[-1]
    assert error["code"] == "flow_error" and error["id"] == "x"


def test_the_conversation_record_holds_every_line_from_the_first(client: TestClient) -> None:
    from sqlmodel import Session, select

    from chatflow.engine.stores.recordsdb import ConversationRow, MessageRow

    session = start(client, visitor_id="v-rec")
    with client.websocket_connect(f"/ws/visitor?token={session['visitor_token']}") as ws:
        receive_until(ws, lambda f: f.get("options"))
        ws.send_json({"type": "text", "text": "2", "id": "rec-1"})
        receive_until(ws, lambda f: "手机号" in f.get("text", ""))
    services = client.app.state.services  # type: ignore[attr-defined]
    client.portal.call(services.writer.flush)  # type: ignore[union-attr]
    log = events(client, session)
    with Session(client.app.state.records) as db:  # type: ignore[attr-defined]
        row = db.get(ConversationRow, session["session_id"])
        lines = db.exec(
            select(MessageRow)
            .where(MessageRow.session_id == session["session_id"])
            .order_by(MessageRow.seq)  # type: ignore[arg-type]
        ).all()
    assert row is not None and (row.visitor_id, row.site_key) == ("v-rec", "demo-web")
    assert [m.seq for m in lines] == [f["seq"] for f in log if f["type"] == "message"]
    assert lines[0].seq == 1 and lines[0].sender == "bot"


def test_the_name_a_client_gives_fills_the_visitors_profile_and_replaces_none(
    client: TestClient,
) -> None:
    login = client.post(
        "/api/v1/auth/login", json={"account": "demo_alice", "password": "Demo-pass1"}
    )
    admin = {"Authorization": f"Bearer {login.json()['token']}"}

    def profile(visitor_id: str) -> dict[str, Any]:
        # a visitor with no name is known by its conversation's record, written behind it
        for _ in range(500):  # 10 s at most
            found = client.get(f"/api/v1/visitors/{visitor_id}", headers=admin)
            if found.status_code != 404:
                break
            time.sleep(0.02)
        assert found.status_code == 200, found.text
        return dict(found.json())

    start(client, visitor_id="v-named", name=" 王小明 ")
    assert profile("v-named")["name"] == "王小明"
    start(client, visitor_id="v-named", name="Mallory")  # a client may not rename the visitor
    assert profile("v-named")["name"] == "王小明"
    start(client, visitor_id="v-agent")
    set_by_agent = {"name": "李先生", "phone": "0912345678"}
    assert profile("v-agent")["name"] is None  # known, once its record is written
    put = client.put("/api/v1/visitors/v-agent", json=set_by_agent, headers=admin)
    assert put.status_code == 200, put.text
    start(client, visitor_id="v-agent", name="Li")
    assert profile("v-agent")["name"] == "李先生"
    start(client, visitor_id="v-blank", name="   ")
    assert profile("v-blank")["name"] is None
    too_long = client.post("/api/v1/sites/demo-web/sessions", json={"name": "x" * 65})
    assert too_long.status_code == 422
