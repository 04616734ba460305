"""``chatflow serve`` as a real process with a ``server`` section: the banner prints the public
URL, and with no trusted proxies a client's ``X-Forwarded-For`` is not believed (uvicorn's own
proxy headers, which trust 127.0.0.1 by default, are off)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, "-m", "chatflow.admin_api.cli", "serve"]


def test_serve_prints_the_public_url_and_ignores_forwarding_it_does_not_trust(
    tmp_path: Path,
) -> None:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    config = yaml.safe_load((ROOT / "examples/demo/chatflow.yaml").read_text(encoding="utf-8"))
    config["flows"] = "./flows"
    config["server"] = {"public_url": "https://chat.acme.com/"}
    config["limits"] = {"new_sessions_per_ip": {"count": 2, "seconds": 3600}}
    path = tmp_path / "chatflow.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["--config", str(path), "--port", str(port), "--data", str(tmp_path / "data")]
    proc = subprocess.Popen(
        [*SERVE, *args, "--log-level", "warning"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_healthy(base, proc)
        url = f"{base}/api/v1/sites/demo-web/sessions"
        codes = [
            httpx.post(url, json={}, headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code
            for n in range(3)
        ]
        assert codes == [201, 201, 429]
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.stdout is not None
    log = proc.stdout.read()
    proc.stdout.close()
    assert f"listening on {base}, public address https://chat.acme.com" in log
    assert "  chat page     https://chat.acme.com/chat/demo-web" in log
    assert "  admin console https://chat.acme.com/console" in log


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(base: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("chatflow serve did not start")
