"""Two workers on one Redis + PostgreSQL, as behind a load balancer, for the scale-out tests.

Each worker is a full app under uvicorn in its own thread (its own event loop) with its own
data folder; they share nothing but Redis and the PostgreSQL schema of the test. They start at
the same moment, as a rolling deployment would start them.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from server_kit import ThreadedServer
from websockets.sync.client import ClientConnection

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings

PASSWORD = "Demo-pass1"
"""Every agent's password (``password_env: PW``)."""

FLOW = """\
id: talk
start: bot
interrupts: [{keywords: [转人工], goto: human}]
nodes:
  human: {type: transfer, group: presales, next: bye}
  bot:
    type: bot
    prompt: 您好，这里是演示。
    rules: [{keywords: [价格], replies: ["99 元"]}]
    fallback_message: "收到：{{ sys.last_input }}"
    exit_keywords: [再见]
    exit: bye
  bye: {type: end, message: 再见}
"""
"""The sites' flow: a bot that echoes; 转人工 transfers to ``presales``, 再见 ends."""


@contextlib.contextmanager
def two_workers(
    tmp_path: Path, config: str, *, redis_url: str, redis_prefix: str, postgres_url: str
) -> Iterator[tuple[str, str]]:
    """``flows/talk.flow.yaml`` (:data:`FLOW`) and ``chatflow.yaml`` written, two workers
    started on them; yields their ``host:port``."""
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "talk.flow.yaml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "chatflow.yaml").write_text(config, encoding="utf-8")
    made: list[ThreadedServer] = []
    try:
        for name in ("a", "b"):
            settings = ServeSettings(
                config=tmp_path / "chatflow.yaml",
                data=tmp_path / f"data-{name}",  # nothing shared on disk
                redis_url=redis_url,
                database_url=postgres_url,
                env={"PW": PASSWORD, "CHATFLOW_REDIS_PREFIX": redis_prefix},
            )
            made.append(ThreadedServer(create_app(settings), log_config=None, lifespan="on"))
        for worker in made:
            worker.start()
        for worker in made:
            worker.wait_started()
        yield made[0].host, made[1].host
    finally:
        for worker in made:
            worker.stop()


def agent_token(worker: str, account: str) -> str:
    login = httpx.post(
        f"http://{worker}/api/v1/auth/login",
        json={"account": account, "password": PASSWORD},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    return str(login.json()["token"])


def frames_of(socket: ClientConnection, kind: str, timeout: float = 10) -> list[dict[str, Any]]:
    """Frames up to the first of type ``kind`` (the last one returned)."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not got or got[-1]["type"] != kind:
        got.append(json.loads(socket.recv(timeout=max(deadline - time.monotonic(), 0.01))))
    return got
