"""``chatflow serve`` as a real process: a ``--data`` that is a file or cannot be created is said
as such; a start-up chatflow words itself comes without uvicorn's "Application startup failed"
line; and a ``password_env`` changed after its agent was created is named at start."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from test_serve_command import Server, serve_once


def test_a_file_given_as_data_is_said_to_be_a_file(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = serve_once("--data", str(afile))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"chatflow serve: --data {afile} is a file, not a folder; give a folder (it is created "
        "if missing)"
    ]
    below = serve_once("--data", str(afile / "sub"))
    assert below.stderr.splitlines() == [
        f"chatflow serve: cannot create the data folder {afile / 'sub'}: {afile} is a file, not "
        "a folder; choose a folder you can write to"
    ]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_data_folder_that_cannot_be_made_is_said_so() -> None:
    result = serve_once("--data", "/proc/chatflow-x")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "chatflow serve: cannot create the data folder /proc/chatflow-x: no such file or "
        "directory; choose a folder you can write to"
    ]


def project(tmp_path: Path, flow: str) -> Path:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows/ok.flow.yaml").write_text(flow)
    config = tmp_path / "chatflow.yaml"
    config.write_text(
        "flows: flows\n"
        "merchants:\n"
        "  - id: me\n"
        "    name: Me\n"
        "    groups: [{id: g, name: G}]\n"
        "    sites: [{key: web, name: Web, flow: ok}]\n"
        "    agents:\n"
        "      - {account: me_admin, nickname: A, staff_no: '1', password_env: PW_NOTE}\n"
    )
    return config


def test_a_flow_it_cannot_read_is_said_by_chatflow_alone(tmp_path: Path) -> None:
    config = project(tmp_path, "id: ok\nstart: a\nnodes:\n  a:\n\ttype: end\n")
    result = serve_once(
        "--config", str(config), "--data", str(tmp_path / "data"), PW_NOTE="Adm-pass1"
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert "Application startup failed" not in result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert (
        f"{tmp_path / 'flows/ok.flow.yaml'}:5:1: error: YAML syntax: tabs are not allowed for "
        "indentation in YAML; use spaces"
    ) in lines
    assert lines[-1].startswith("chatflow serve: ")


def test_a_failure_in_the_apps_start_up_comes_without_uvicorns_line(tmp_path: Path) -> None:
    """The app's start-up (the lifespan) fails: the saved agent queue is a folder."""
    data = tmp_path / "data"
    (data / "queue.state").mkdir(parents=True)
    result = serve_once("--data", str(data))
    assert result.returncode == 1
    assert "Waiting for application startup." in result.stderr  # uvicorn's other lines stay
    assert "Application startup failed" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"chatflow serve: cannot start: {data / 'queue.state'}: is a directory"
    )


def test_a_password_env_changed_after_the_first_start_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project(tmp_path, "id: ok\nstart: a\nnodes:\n  a: {type: end}\n")
    data = tmp_path / "data"
    note = "chatflow serve: agent 'me_admin' already exists: PW_NOTE holds another password"
    for password, said in (("Adm-pass1", False), ("Adm-pass1", False), ("Adm-pass2", True)):
        monkeypatch.setenv("PW_NOTE", password)
        server = Server(data, "--config", str(config))
        assert server.stop() in (0, -signal.SIGTERM)
        assert (note in server.log) is said, server.log
        assert "Adm-pass" not in server.log
