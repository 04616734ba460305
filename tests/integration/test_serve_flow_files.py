"""``chatflow serve`` and the flow files, as a real process on a ``chatflow init`` project: a
flow ``chatflow validate`` rejects is refused with validate's own lines; a flow file changed
after the first start is saved as a draft and said, and published with ``--publish-flows``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from test_serve_command import Server, free_port

from chatflow.admin_api.cli import main

CLI = [sys.executable, "-m", "chatflow.admin_api.cli"]
PASSWORD = "Choose-a-passw0rd"
BROKEN = """\
  check:
    type: condition
    branches:
      - {when: "phone >", next: ask_phone}
      - {when: "a && b", next: ask_phone}
    default: ask_phone
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    assert main(["init", str(tmp_path / "p")]) == 0
    monkeypatch.setenv("CHATFLOW_ADMIN_PASSWORD", PASSWORD)
    return tmp_path / "p"


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_serve_refuses_a_flow_validate_rejects_with_the_same_lines(project: Path) -> None:
    flow = project / "flows" / "hello.flow.yaml"
    text = flow.read_text(encoding="utf-8").replace("next: ask_phone}", "next: check}")
    flow.write_text(text + BROKEN, encoding="utf-8")
    validate = cli(project, "validate", "--config", "chatflow.yaml", "flows")
    assert validate.returncode == 1
    errors = validate.stdout.splitlines()
    assert len(errors) == 2 and all(": error: expression does not parse: " in e for e in errors)

    serve = cli(project, "serve", "--config", "chatflow.yaml", "--port", str(free_port()))
    assert (serve.returncode, serve.stdout) == (1, "")
    assert serve.stderr.splitlines() == [
        *errors,
        "chatflow serve: the flows have 2 errors (as `chatflow validate --config chatflow.yaml` "
        "reports them); fix them and start again",
    ]
    assert "Traceback" not in serve.stderr


def test_a_changed_flow_file_is_a_draft_until_published(project: Path) -> None:
    data = project / "data"
    config = project / "chatflow.yaml"
    flow = project / "flows" / "hello.flow.yaml"
    first = Server(data, "--config", str(config))
    try:
        with _api(first) as api:  # an upload with errors serve refuses: the API refuses it too
            broken = flow.read_text(encoding="utf-8") + BROKEN
            refused = api.post("/api/v1/admin/flows/hello/versions", json={"yaml": broken})
        assert refused.status_code == 422, refused.text
        assert refused.json()["type"].endswith("invalid_flow")
        assert len(refused.json()["errors"]) == 2
    finally:
        assert first.stop() in (0, -signal.SIGTERM)

    flow.write_text(flow.read_text(encoding="utf-8").replace("欢迎咨询", "欢迎光临"))
    second = Server(data, "--config", str(config))
    try:
        with _api(second) as api:
            assert _versions(api) == [(1, "published"), (2, "draft")]
    finally:
        assert second.stop() in (0, -signal.SIGTERM)
    shown = flow.resolve()  # outside the server's working folder: named in full
    assert (
        f"WARNING chatflow.admin_api.app: flows.file_not_published: {shown} differs from the "
        "published version 1 of flow 'hello' of merchant 'me': saved as draft version 2, not "
        "published, so new conversations still start on the published version; publish it in "
        "the flow editor (/editor) or start with `chatflow serve --publish-flows`"
    ) in second.log

    third = Server(data, "--config", str(config), "--publish-flows")
    try:
        with _api(third) as api:
            assert _versions(api) == [(1, "archived"), (2, "published")]
            published = api.get("/api/v1/admin/flows/hello/versions/2").json()["yaml"]
        assert "欢迎光临" in published
    finally:
        assert third.stop() in (0, -signal.SIGTERM)
    assert "published it as version 2 (--publish-flows)" in third.log


def _api(server: Server) -> httpx.Client:
    login = httpx.post(
        f"{server.base}/api/v1/auth/login", json={"account": "me_admin", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    return httpx.Client(base_url=server.base, headers=headers)


def _versions(api: httpx.Client) -> list[tuple[int, str]]:
    found = api.get("/api/v1/admin/flows/hello/versions")
    assert found.status_code == 200, found.text
    return [(v["version"], v["status"]) for v in found.json()]
