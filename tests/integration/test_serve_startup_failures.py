"""``chatflow serve`` as a real process when it cannot start: one paragraph naming what failed,
exit status 1, no traceback and no addresses; the addresses once it has started; a weak
``password_env`` refused at its agent's line; and a ``chatflow init`` project served as its
next steps say."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest
from test_serve_command import SERVE, Server, free_port, serve_once

from chatflow.admin_api.cli import main


def test_redis_out_of_reach_is_one_line_without_addresses(tmp_path: Path) -> None:
    port = free_port()  # bound, then let go: nothing listens there
    result = serve_once("--data", str(tmp_path / "data"), "--redis", f"redis://127.0.0.1:{port}/0")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"chatflow serve: cannot reach Redis at redis://127.0.0.1:{port}/0: connection refused; "
        "is it running? see docs/deployment.md"
    )
    assert "Traceback" not in result.stderr


def test_the_records_database_out_of_reach_hides_the_password(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    port = free_port()  # bound, then let go: nothing listens there
    url = f"postgresql://chatflow:s3cret@127.0.0.1:{port}/chatflow"
    result = serve_once("--data", str(tmp_path / "data"), "--database", url)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"chatflow serve: cannot reach the records database at "
        f"postgresql://chatflow:***@127.0.0.1:{port}/chatflow: connection refused; "
        "is it running? see docs/deployment.md"
    )
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr


def test_a_failure_in_the_apps_start_up_is_said_after_uvicorns_lines(tmp_path: Path) -> None:
    """The app's own start-up (the lifespan) fails: the saved agent queue cannot be read."""
    data = tmp_path / "data"
    (data / "queue.state").mkdir(parents=True)  # a folder where the file should be
    result = serve_once("--data", str(data), "--port", str(free_port()))
    assert result.returncode == 1
    assert result.stdout == ""  # no addresses of a server that never listened
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"chatflow serve: cannot start: {data / 'queue.state'}: is a directory"
    )


def test_a_taken_port_is_said_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve_once("--data", str(tmp_path / "data"), "--port", str(port))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"chatflow serve: cannot listen on 127.0.0.1:{port}: address already in use; is another "
        "server using the port? Stop it or choose another with --port\n"
    )
    assert not (tmp_path / "data").exists()  # refused before the data folder was made


def test_the_addresses_come_once_the_server_has_started(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")
    assert server.stop() in (0, -signal.SIGTERM)
    log = server.log
    assert log.index("Application startup complete") < log.index("chat page     http://")
    assert log.index("Uvicorn running on") < log.index("chat page     http://")


def test_weak_passwords_are_refused_at_their_agents_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows/ok.flow.yaml").write_text("id: ok\nstart: a\nnodes:\n  a: {type: end}\n")
    config = tmp_path / "chatflow.yaml"
    config.write_text(
        "flows: flows\n"
        "merchants:\n"
        "  - id: me\n"
        "    name: Me\n"
        "    groups: [{id: g, name: G}]\n"
        "    sites: [{key: web, name: Web, flow: ok}]\n"
        "    agents:\n"
        "      - {account: me_admin, nickname: A, staff_no: '1', password_env: PW_A}\n"
        "      - {account: me_agent, nickname: B, staff_no: '2', password_env: PW_B}\n"
    )
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in ("PW_A", "PW_B")}
    run = [*SERVE, "--config", str(config), "--data", str(data), "--port", str(free_port())]

    def start(**passwords: str) -> subprocess.CompletedProcess[str]:
        extra = {**env, **passwords, "PYTHONUNBUFFERED": "1"}
        return subprocess.run(
            run, cwd=tmp_path, capture_output=True, text=True, timeout=90, env=extra
        )

    weak = start(PW_A="password", PW_B="Agent-pass1")
    assert (weak.returncode, weak.stdout) == (1, "")
    assert weak.stderr.splitlines() == [
        f"{config}:8:71: error: agent 'me_admin': the password in PW_A is too weak: it must "
        "contain an upper-case letter, contain a digit, contain a symbol such as !@#$%, as the "
        "console requires of every password; set a stronger one "
        "[$.merchants[0].agents[0].password_env]",
        "chatflow serve: agent passwords are too weak",
    ]
    both = start(PW_A="Short-1")
    assert both.returncode == 1
    assert both.stderr.splitlines()[-3:] == [
        f"{config}:8:71: error: agent 'me_admin': the password in PW_A is too weak: it must be "
        "8-20 characters long, as the console requires of every password; set a stronger one "
        "[$.merchants[0].agents[0].password_env]",
        f"{config}:9:71: error: agent 'me_agent': environment variable PW_B is not set "
        "[$.merchants[0].agents[1].password_env]",
        "chatflow serve: agent passwords are missing or too weak",
    ]
    assert "Traceback" not in weak.stderr + both.stderr

    # strong passwords: it starts, and both agents log in with them
    monkeypatch.setenv("PW_A", "Admin-pass1")
    monkeypatch.setenv("PW_B", "Agent-pass1")
    server = Server(data, "--config", str(config))
    try:
        for account, password in (("me_admin", "Admin-pass1"), ("me_agent", "Agent-pass1")):
            login = httpx.post(
                f"{server.base}/api/v1/auth/login", json={"account": account, "password": password}
            )
            assert login.status_code == 200, login.text
    finally:
        assert server.stop() in (0, -signal.SIGTERM)


def test_a_new_project_served_as_chatflow_init_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first five minutes: ``chatflow init``, the password it prints, ``chatflow serve``,
    the chat page it announces, and ``me_admin`` logging in."""
    project = tmp_path / "shop"
    assert main(["init", str(project)]) == 0
    (password,) = re.findall(r"CHATFLOW_ADMIN_PASSWORD='([^']+)'", capsys.readouterr().out)
    monkeypatch.setenv("CHATFLOW_ADMIN_PASSWORD", password)
    server = Server(project / "data", "--config", str(project / "chatflow.yaml"))
    try:
        chat = httpx.get(f"{server.base}/chat/me-web")
        assert chat.status_code == 200
        login = httpx.post(
            f"{server.base}/api/v1/auth/login", json={"account": "me_admin", "password": password}
        )
        assert login.status_code == 200, login.text
    finally:
        assert server.stop() in (0, -signal.SIGTERM)
    assert f"chat page     {server.base}/chat/me-web" in server.log
    assert "Traceback" not in server.log
