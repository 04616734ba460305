"""Scaled out, what changes outside the queue reaches the workbenches on every worker: a pin set
through worker A reaches the agent's websockets on A and on B, an app an admin adds through B
reaches the merchant's websockets on both, and another merchant's on neither (the ``marks`` and
``apps`` frames travel as live frames of the Redis feed).

Two full apps under uvicorn, each in its own thread, sharing only Redis and a PostgreSQL schema,
as in ``test_two_workers.py``.
"""

from __future__ import annotations

import json
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
      - {account: admin01, password_env: PW, nickname: Ada, staff_no: "1000", role: admin,
         groups: {}}
      - {account: bob001, password_env: PW, nickname: Bob, staff_no: "1002",
         groups: {presales: 1}}
  - id: globex
    sites: [{key: globex-web, flow: talk, groups: [presales]}]
    groups: [{id: presales}]
    agents:
      - {account: gina01, password_env: PW, nickname: Gina, staff_no: "2001", role: admin,
         groups: {presales: 1}}
"""


@pytest.fixture
def workers(
    tmp_path: Path, redis_url: str, redis_prefix: str, postgres_url: str
) -> Iterator[tuple[str, str]]:
    with two_workers(
        tmp_path, CONFIG, redis_url=redis_url, redis_prefix=redis_prefix,
        postgres_url=postgres_url,
    ) as hosts:  # fmt: skip
        yield hosts


def next_of(socket: ClientConnection, kind: str) -> dict[str, Any]:
    """The next frame of type ``kind`` (the others before it are skipped)."""
    return frames_of(socket, kind)[-1]


def test_marks_and_apps_reach_the_sockets_on_both_workers(workers: tuple[str, str]) -> None:
    a, b = workers
    bob, admin, gina = agent_token(a, "bob001"), agent_token(b, "admin01"), agent_token(a, "gina01")

    def call(worker: str, who: str, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {who}"}
        url = f"http://{worker}/api/v1/{path}"
        return httpx.request(method, url, json=body, headers=headers, timeout=10)

    with (
        connect(f"ws://{a}/ws/agent?token={bob}") as bob_a,
        connect(f"ws://{b}/ws/agent?token={bob}") as bob_b,
        connect(f"ws://{b}/ws/agent?token={gina}") as gina_b,
    ):
        desks = (bob_a, bob_b)
        for desk in (*desks, gina_b):
            next_of(desk, "status")
        created = httpx.post(f"http://{a}/api/v1/sites/acme-web/sessions", json={}, timeout=10)
        sid, visitor = created.json()["session_id"], created.json()["visitor_token"]
        with connect(f"ws://{b}/ws/visitor?token={visitor}&after=0") as chat:
            chat.send(json.dumps({"type": "text", "text": "转人工", "id": "c1"}))
            for desk in desks:
                assert next_of(desk, "offer")["session_id"] == sid
            accepted = call(b, bob, "POST", f"sessions/{sid}/accept")
            assert accepted.status_code == 204, accepted.text
            for desk in desks:
                next_of(desk, "assigned")

            # pinned through A: bob's sockets on A and on B hear it
            pinned = call(a, bob, "PATCH", f"agents/me/marks/{sid}", {"pinned": True})
            assert pinned.status_code == 200, pinned.text
            for desk in desks:
                assert next_of(desk, "marks") == {"type": "marks", **pinned.json()}
            # forgotten through B: both hear it unmarked
            assert call(b, bob, "DELETE", f"agents/me/marks/{sid}").status_code == 204
            for desk in desks:
                got = next_of(desk, "marks")
                assert (got["session_id"], got["pinned"], got["muted"]) == (sid, False, False)

        # an app added through B: bob's sockets on both workers hear it, gina's does not
        app = {"name": "CRM", "url": "https://crm.example/"}
        added = call(b, admin, "POST", "admin/workbench-apps", app)
        assert added.status_code == 201, added.text
        for desk in desks:
            assert next_of(desk, "apps") == {"type": "apps"}
        mine = call(a, bob, "GET", "agents/me/apps")
        assert [x["name"] for x in mine.json()] == ["CRM"]
        # gina's socket sits on B beside bob's, which heard it: the next thing it gets is the
        # answer to a ping, not acme's change
        gina_b.send(json.dumps({"type": "ping"}))
        assert json.loads(gina_b.recv(timeout=10)) == {"type": "pong"}
        # gina's own app, added through A, reaches her socket on B; bob's hear nothing of it
        theirs = call(a, gina, "POST", "admin/workbench-apps", app)
        assert theirs.status_code == 201, theirs.text
        assert json.loads(gina_b.recv(timeout=10)) == {"type": "apps"}
        for desk in desks:
            desk.send(json.dumps({"type": "ping"}))
            assert json.loads(desk.recv(timeout=10)) == {"type": "pong"}
