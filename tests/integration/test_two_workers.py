"""Two workers on one Redis + PostgreSQL, as behind a load balancer: a visitor may use either.

Each worker is a full app under uvicorn in its own thread (its own event loop) with its own
data folder; they share nothing but Redis and the PostgreSQL schema of the test. They start at
the same moment, as a rolling deployment would start them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from two_workers_kit import agent_token, frames_of, two_workers
from websockets.sync.client import ClientConnection, connect

CONFIG = """\
flows: ./flows
merchants:
  - id: acme
    sites: [{key: acme-web, flow: talk, groups: [presales]}]
    groups: [{id: presales}]
    agents:
      - {account: alice01, password_env: PW, nickname: Alice, staff_no: "1001",
         groups: {presales: 1}}
      - {account: bob001, password_env: PW, nickname: Bob, staff_no: "1002",
         groups: {presales: 1}}
"""


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00"
    b"\x00:~\x9bU\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)
"""A 1x1 grey PNG."""


@pytest.fixture
def workers(
    tmp_path: Path, redis_url: str, redis_prefix: str, postgres_url: str
) -> Iterator[tuple[str, str]]:
    with two_workers(
        tmp_path, CONFIG, redis_url=redis_url, redis_prefix=redis_prefix,
        postgres_url=postgres_url,
    ) as hosts:  # fmt: skip
        yield hosts


def frames_until(socket: ClientConnection, text: str, timeout: float = 10) -> list[dict[str, Any]]:
    """Server frames up to the first bot message ``text`` (``ended``: the ended frame)."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(socket.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        got.append(frame)
        if frame["type"] == "ended" == text:
            return got
        if frame["type"] == "message" and frame["from"] == "bot" and frame["text"] == text:
            return got


def test_a_session_started_on_one_worker_is_served_by_the_other(
    workers: tuple[str, str],
) -> None:
    a, b = workers
    created = httpx.post(f"http://{a}/api/v1/sites/acme-web/sessions", json={}, timeout=10)
    assert created.status_code == 201, created.text
    sid, token = created.json()["session_id"], created.json()["visitor_token"]
    seen: list[dict[str, Any]] = []
    with connect(f"ws://{b}/ws/visitor?token={token}&after=0") as socket:
        # B replays what A's flow said, then serves a message itself.
        seen += frames_until(socket, "您好，这里是演示。")
        socket.send(json.dumps({"type": "text", "text": "价格", "id": "c1"}))
        seen += frames_until(socket, "99 元")
        # A message applied on A reaches the socket on B through Redis pub/sub, at once
        # (not on the reader's 30 s timer).
        posted = httpx.post(
            f"http://{a}/api/v1/sessions/{sid}/messages",
            json={"type": "text", "text": "还有吗", "id": "c2"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert posted.status_code == 202, posted.text
        started = time.monotonic()
        seen += frames_until(socket, "收到：还有吗", timeout=5)
        assert time.monotonic() - started < 5
        # The client resends c2 through B after a reconnect: applied once (idempotency key).
        socket.send(json.dumps({"type": "text", "text": "还有吗", "id": "c2"}))
        socket.send(json.dumps({"type": "text", "text": "再见", "id": "c3"}))
        seen += frames_until(socket, "ended")
    texts = [(f.get("from"), f.get("text")) for f in seen if f["type"] == "message"]
    assert texts == [
        ("bot", "您好，这里是演示。"),
        ("visitor", "价格"),
        ("bot", "99 元"),
        ("visitor", "还有吗"),
        ("bot", "收到：还有吗"),
        ("visitor", "再见"),
        ("bot", "再见"),
    ]
    seqs = [f["seq"] for f in seen if "seq" in f]
    assert seqs == list(range(1, len(seqs) + 1))  # no gap, no duplicate
    # Either worker replays the same log.
    for worker in (a, b):
        replay = httpx.get(
            f"http://{worker}/api/v1/sessions/{sid}/events?after=0",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        assert [e["seq"] for e in replay["events"]] == seqs


def test_a_visitor_queued_through_one_worker_is_served_by_an_agent_on_the_other(
    workers: tuple[str, str],
) -> None:
    """One queue for both workers: the transfer runs on A, alice's websocket is on B."""
    a, b = workers
    login = httpx.post(
        f"http://{b}/api/v1/auth/login",
        json={"account": "alice01", "password": "Demo-pass1"},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    agent_auth = {"Authorization": f"Bearer {login.json()['token']}"}
    with connect(f"ws://{b}/ws/agent?token={login.json()['token']}") as desk:
        assert frames_of(desk, "status")[-1]["status"] == "free"
        # alice is online for A too: A's agent list reads the same queue.
        online = httpx.get(f"http://{a}/api/v1/agents", headers=agent_auth, timeout=10).json()
        assert [(x["account"], x["status"]) for x in online] == [("alice01", "free")]
        created = httpx.post(f"http://{a}/api/v1/sites/acme-web/sessions", json={}, timeout=10)
        sid, token = created.json()["session_id"], created.json()["visitor_token"]
        with connect(f"ws://{a}/ws/visitor?token={token}&after=0") as visitor:
            visitor.send(json.dumps({"type": "text", "text": "转人工", "id": "c1"}))
            assert frames_of(visitor, "queue")[-1]["position"] == 1  # first in line
            offer = frames_of(desk, "offer")[-1]
            assert offer["session_id"] == sid and offer["group"] == "presales"
            # alice accepts through A's REST API: the queue is the same there.
            accepted = httpx.post(
                f"http://{a}/api/v1/sessions/{sid}/accept", headers=agent_auth, timeout=10
            )
            assert accepted.status_code in (202, 204), accepted.text
            assert frames_of(desk, "assigned")[-1]["session_id"] == sid
            joined = frames_of(visitor, "agent_joined")[-1]
            assert (joined["staff_no"], joined["nickname"]) == ("1001", "Alice")
            said = httpx.post(
                f"http://{b}/api/v1/sessions/{sid}/messages",
                json={"text": "您好，我是 Alice"},
                headers=agent_auth,
                timeout=10,
            )
            assert said.status_code == 202, said.text
            heard = frames_of(visitor, "message")[-1]
            while heard.get("from") != "agent":
                heard = frames_of(visitor, "message")[-1]
            assert heard["text"] == "您好，我是 Alice"
            visitor.send(json.dumps({"type": "text", "text": "谢谢", "id": "c2"}))
            relayed = frames_of(desk, "message")[-1]
            while relayed.get("text") != "谢谢":
                relayed = frames_of(desk, "message")[-1]
            assert relayed["session_id"] == sid and relayed["from"] == "visitor"
            ended = httpx.post(
                f"http://{b}/api/v1/sessions/{sid}/end", headers=agent_auth, timeout=10
            )
            assert ended.status_code in (202, 204), ended.text
            assert frames_of(visitor, "ended")[-1]["type"] == "ended"
        assert frames_of(desk, "session_ended")[-1]["closed_by"] == "seat"
        # Both workers agree alice serves nobody now.
        for worker in (a, b):
            mine = httpx.get(
                f"http://{worker}/api/v1/agents/me/sessions", headers=agent_auth, timeout=10
            )
            assert mine.json() == [], (worker, mine.text)


def test_login_limits_are_shared_by_the_workers(workers: tuple[str, str]) -> None:
    a, b = workers
    codes = []
    for n in range(6):
        worker = (a, b)[n % 2]
        answer = httpx.post(
            f"http://{worker}/api/v1/auth/login",
            json={"account": "alice01", "password": "wrong"},
            timeout=30,
        )
        codes.append(answer.status_code)
    assert codes == [401, 401, 401, 401, 401, 429]  # 5 per account, across both workers
    token = httpx.post(
        f"http://{b}/api/v1/auth/login",
        json={"account": "alice01", "password": "Demo-pass1"},
        timeout=30,
    )
    assert token.status_code == 429  # still throttled on B for the account


def test_an_image_sent_through_one_worker_is_served_by_the_other(
    workers: tuple[str, str], tmp_path: Path
) -> None:
    a, b = workers
    created = httpx.post(f"http://{a}/api/v1/sites/acme-web/sessions", json={}, timeout=10)
    assert created.status_code == 201, created.text
    sid, token = created.json()["session_id"], created.json()["visitor_token"]
    headers = {"Authorization": f"Bearer {token}"}
    urls = {}
    for sender, other in ((a, b), (b, a)):
        sent = httpx.post(
            f"http://{sender}/api/v1/sessions/{sid}/images",
            files=[("file", ("a.png", PNG, "image/png"))],
            data={"id": f"img-{sender}"},
            headers=headers,
            timeout=10,
        )
        assert sent.status_code == 201, sent.text
        urls[sender] = url = sent.json()["url"]
        served = httpx.get(f"http://{other}{url}", timeout=10)
        assert served.status_code == 200, served.text
        assert served.content == PNG and served.headers["content-type"] == "image/png"
    replay = httpx.get(
        f"http://{b}/api/v1/sessions/{sid}/events?after=0", headers=headers, timeout=10
    ).json()
    echoes = [(e["id"], e["image"]) for e in replay["events"] if e.get("image")]
    assert echoes == [(f"img-{a}", urls[a]), (f"img-{b}", urls[b])]
    assert not list(tmp_path.glob("data-*/images"))  # the bytes are in PostgreSQL, not on disk


def line_of(socket: ClientConnection, text: str) -> dict[str, Any]:
    """The next ``message`` frame with this text."""
    while True:
        got = frames_of(socket, "message")[-1]
        if got.get("text") == text:
            return got


def test_agents_on_two_workers_see_who_wrote_each_line(workers: tuple[str, str]) -> None:
    """Alice (on B) invites Bob (on A): each agent line names its author for the agents, live
    and in the replays, read from the shared log by either worker."""
    a, b = workers
    alice, bob = agent_token(b, "alice01"), agent_token(a, "bob001")

    def act(worker: str, token: str, path: str, body: Any = None) -> None:
        answer = httpx.post(
            f"http://{worker}/api/v1/sessions/{sid}/{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code in (202, 204), answer.text

    with connect(f"ws://{b}/ws/agent?token={alice}") as alice_desk:
        frames_of(alice_desk, "status")
        created = httpx.post(f"http://{a}/api/v1/sites/acme-web/sessions", json={}, timeout=10)
        sid, token = created.json()["session_id"], created.json()["visitor_token"]
        with connect(f"ws://{a}/ws/visitor?token={token}&after=0") as visitor:
            visitor.send(json.dumps({"type": "text", "text": "转人工", "id": "c1"}))
            assert frames_of(alice_desk, "offer")[-1]["session_id"] == sid
            act(a, alice, "accept")
            act(b, alice, "messages", {"text": "我是 Alice"})
            mine = line_of(alice_desk, "我是 Alice")
            assert (mine["author"], mine["author_nickname"]) == ("alice01", "Alice")

            with connect(f"ws://{a}/ws/agent?token={bob}") as bob_desk:
                frames_of(bob_desk, "status")
                act(a, alice, "invite", {"agent": "bob001"})
                assert frames_of(bob_desk, "assigned")[-1]["invited"] is True
                replayed = line_of(bob_desk, "我是 Alice")
                assert (replayed["author"], replayed["replay"]) == ("alice01", True)
                act(b, bob, "messages", {"text": "我是 Bob"})
                for desk in (alice_desk, bob_desk):
                    live = line_of(desk, "我是 Bob")
                    assert (live["author"], live["author_nickname"]) == ("bob001", "Bob")
                    assert "replay" not in live
            heard = line_of(visitor, "我是 Bob")
            assert "author" not in heard and "author_nickname" not in heard

        with connect(f"ws://{b}/ws/agent?token={bob}") as bob_again:  # Bob reloads, on B now
            assert frames_of(bob_again, "assigned")[-1]["resumed"] is True
            again = [line_of(bob_again, text) for text in ("我是 Alice", "我是 Bob")]
            assert [(f["author"], f["author_nickname"], f["replay"]) for f in again] == [
                ("alice01", "Alice", True),
                ("bob001", "Bob", True),
            ]
