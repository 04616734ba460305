"""The agent websocket's error frames speak the page's language: ``lang=`` in the socket's URL
(what the workbench sends), else the handshake's ``Accept-Language``; English by default. The
``code`` is the same in every language."""

from __future__ import annotations

import json

import pytest
from agent_world import WAIT, Agent, LiveServer, frame
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect


def refusal(server: LiveServer, query: str, headers: dict[str, str] | None = None) -> str:
    """The ``unauthorized`` frame's message for a dead token (the socket then closes 4401)."""
    url = f"{server.ws_base}/ws/agent?token=nope{query}"
    with connect(url, additional_headers=headers, open_timeout=WAIT) as ws:
        error = json.loads(ws.recv(timeout=WAIT))
        assert error["type"] == "error" and error["code"] == "unauthorized"
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=WAIT)
        assert ws.close_code == 4401
    return str(error["message"])


def test_the_refusal_follows_lang_then_accept_language(server: LiveServer) -> None:
    english = "the token is invalid or has expired"
    chinese = "令牌无效或已过期"
    assert refusal(server, "") == english
    assert refusal(server, "&lang=zh-CN") == chinese
    assert refusal(server, "", {"Accept-Language": "zh-CN,zh;q=0.9"}) == chinese
    assert refusal(server, "&lang=en", {"Accept-Language": "zh-CN"}) == english  # the page's
    assert refusal(server, "&lang=fr", {"Accept-Language": "zh-TW"}) == chinese
    assert refusal(server, "&lang=fr") == english


def test_a_chinese_workbench_gets_its_frame_errors_in_chinese(server: LiveServer) -> None:
    alice = Agent(server, "acme_alice")
    ws = server.stream(f"/ws/agent?token={alice.token}&lang=zh-CN")
    ws.expect(frame("status"))
    ws.ws.send("not json")
    assert ws.expect(frame("error", code="bad_json"))["message"] == "该帧不是有效的 JSON"
    ws.send({"type": "dance"})
    unknown = ws.expect(frame("error", code="unknown_type"))
    assert unknown["message"] == "未知的帧类型 'dance'；应为：typing, ping"
    ws.send({"type": "typing", "session_id": "nope"})
    assert ws.expect(frame("error", code="not_serving"))["message"] == "您没有接待会话 'nope'"
    ws.send({"type": "ping"})
    ws.expect(frame("pong"))  # the socket lives on


def test_the_same_frames_stay_english_without_a_language(server: LiveServer) -> None:
    ws = Agent(server, "acme_alice").connect()
    ws.send({"type": "typing", "session_id": "nope"})
    assert ws.expect(frame("error", code="not_serving"))["message"] == (
        "you do not serve session 'nope'"
    )
