"""``chatflow serve`` as a real process: banner, graceful shutdown, and sessions surviving it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

ROOT = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, "-m", "chatflow.admin_api.cli", "serve"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_once(*options: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    """A ``chatflow serve`` expected to stop by itself, on a free port unless ``options`` give
    another (the last ``--port`` wins)."""
    return subprocess.run(
        [*SERVE, "--port", str(free_port()), *options],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
    )


class Server:
    def __init__(self, data: Path, *options: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = ""
        self.proc = subprocess.Popen(
            [
                *SERVE,
                "--port",
                str(self.port),
                "--data",
                str(data),
                "--log-level",
                "info",
                *options,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
            if self.proc.poll() is not None:
                break
        self.stop()
        raise AssertionError(f"server did not start: {self.log}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        _ = self.log
        return code

    @property
    def log(self) -> str:
        """Everything the process printed (read once it has exited)."""
        if self.proc.stdout is not None and not self.proc.stdout.closed:
            self._log = self.proc.stdout.read()
            self.proc.stdout.close()
        return self._log


@pytest.fixture
def data(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


def test_serve_prints_urls_shuts_down_gracefully_and_keeps_sessions(data: Path) -> None:
    server = Server(data)
    try:
        created = httpx.post(f"{server.base}/api/v1/sites/demo-web/sessions", json={}).json()

        async def talk() -> tuple[list[dict[str, object]], int | None]:
            url = f"ws://127.0.0.1:{server.port}/ws/visitor?token={created['visitor_token']}"
            frames: list[dict[str, object]] = []
            async with websockets.connect(url) as ws:  # the client offers permessage-deflate
                assert ws.response is not None
                assert "Sec-WebSocket-Extensions" not in ws.response.headers  # declined
                # the real clock decides: the menu in service hours, else the phone prompt
                while not any(f.get("options") or "手机号" in str(f.get("text")) for f in frames):
                    frames.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
                server.proc.send_signal(signal.SIGTERM)  # shut down with the socket open
                try:
                    while True:
                        await asyncio.wait_for(ws.recv(), 15)
                except websockets.ConnectionClosed as closed:
                    return frames, closed.rcvd.code if closed.rcvd else None

        frames, close_code = asyncio.run(talk())
        # uvicorn finishes its graceful shutdown, then re-raises the signal it caught
        assert server.stop() in (0, -signal.SIGTERM)
        assert close_code in (1000, 1001, 1012)  # a close frame, not a dropped connection
        log = server.log
        assert "chat page     http://127.0.0.1" in log and "/chat/demo-web" in log
        assert "workbench     http://127.0.0.1" in log
        assert "flow editor   http://127.0.0.1" in log
        assert "admin console http://127.0.0.1" in log
        assert "Application shutdown complete" in log
    finally:
        server.stop()

    again = Server(data)
    try:
        token = {"Authorization": f"Bearer {created['visitor_token']}"}
        url = f"{again.base}/api/v1/sessions/{created['session_id']}/events"
        replay = httpx.get(url, headers=token).json()["events"]
        assert [f["seq"] for f in replay] == [f["seq"] for f in frames]
        assert [f.get("text") for f in replay] == [f.get("text") for f in frames]
    finally:
        assert again.stop() in (0, -signal.SIGTERM)


def test_serve_without_demo_or_with_a_bad_config_explains(tmp_path: Path) -> None:
    nowhere = subprocess.run(
        [sys.executable, "-m", "chatflow.admin_api.cli", "serve"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert nowhere.returncode == 2 and "pass --config" in nowhere.stderr
    bad = tmp_path / "chatflow.yaml"
    bad.write_text("merchants:\n  - id: acme\n    sitez: []\n")
    result = subprocess.run(
        [sys.executable, "-m", "chatflow.admin_api.cli", "serve", "--config", str(bad)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"{bad}:3:5: error: unknown field 'sitez'" in result.stderr
    assert "Traceback" not in result.stderr


PASSWORD_ENV_CONFIG = """\
flows: flows
merchants:
  - id: me
    name: Me
    groups:
      - {id: g, name: G}
    sites:
      - {key: web, name: Web, flow: ok}
    agents:
      - account: me_admin
        nickname: Admin
        staff_no: "1"
        role: admin
        password_env: CHATFLOW_TEST_ME_PW
"""


def test_an_unset_password_env_stops_serve_before_the_banner_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows/ok.flow.yaml").write_text("id: ok\nstart: a\nnodes:\n  a: {type: end}\n")
    config = tmp_path / "chatflow.yaml"
    config.write_text(PASSWORD_ENV_CONFIG)
    data = tmp_path / "data"
    monkeypatch.delenv("CHATFLOW_TEST_ME_PW", raising=False)
    result = serve_once("--config", str(config), "--data", str(data), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""  # no addresses of a server that never runs
    assert result.stderr.splitlines() == [
        f"{config}:14:23: error: agent 'me_admin': environment variable CHATFLOW_TEST_ME_PW is "
        "not set [$.merchants[0].agents[0].password_env]",
        "chatflow serve: agent passwords are missing",
    ]
    # with the password the agent is imported; later starts no longer need it
    monkeypatch.setenv("CHATFLOW_TEST_ME_PW", "Secret-pass1")
    server = Server(data, "--config", str(config))
    assert server.stop() in (0, -signal.SIGTERM)
    assert "agent me/me_admin" in server.log
    monkeypatch.delenv("CHATFLOW_TEST_ME_PW")
    again = Server(data, "--config", str(config))
    assert again.stop() in (0, -signal.SIGTERM)
    assert "chat page     http://127.0.0.1" in again.log and "Traceback" not in again.log


def test_the_log_keeps_what_privacy_keeps_of_addresses_and_no_tokens(tmp_path: Path) -> None:
    """``privacy.visitor_ip: masked``: the record and uvicorn's lines about the client keep
    only the address's network (127.0.0.0); the visitor's token never reaches the log, and
    ``page_query: false`` drops the page address's query."""
    demo = (ROOT / "examples/demo/chatflow.yaml").read_text(encoding="utf-8")
    config = tmp_path / "chatflow.yaml"
    config.write_text(
        demo.replace("flows: ../../flows", f"flows: {ROOT / 'flows'}")
        + "\nprivacy:\n  visitor_ip: masked\n  page_query: false\n",
        encoding="utf-8",
    )
    server = Server(tmp_path / "data", "--config", str(config))
    try:
        page = {"url": "https://shop.example.com/cart?order=A-1001", "title": "Cart"}
        response = httpx.post(f"{server.base}/api/v1/sites/demo-web/sessions", json={"page": page})
        created = response.json()

        async def talk() -> None:
            url = f"ws://127.0.0.1:{server.port}/ws/visitor?token={created['visitor_token']}"
            async with websockets.connect(url) as ws:
                await asyncio.wait_for(ws.recv(), 10)

        asyncio.run(talk())
        records = tmp_path / "data/records.sqlite3"
        deadline = time.monotonic() + 10
        row = None
        while row is None and time.monotonic() < deadline:
            with sqlite3.connect(records) as db:
                row = db.execute(
                    "SELECT visitor_ip, page_url FROM conversation WHERE session_id = ?",
                    (created["session_id"],),
                ).fetchone()
            time.sleep(0.1)
        assert row == ("127.0.0.0", "https://shop.example.com/cart")
    finally:
        server.stop()
    log = server.log
    assert "127.0.0.0:" in log and '"WebSocket /ws/visitor?token=[redacted]"' in log
    assert not re.search(r'127\.0\.0\.1:\d+ - "', log)  # no client line shows the address
    assert created["visitor_token"] not in log
