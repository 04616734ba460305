"""What the app says when it starts: the config import's log line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings

CONFIG = """\
merchants:
  - id: acme
    sites: [{key: acme-web, name: Acme, flow: demo}]
    groups: [{id: presales}]
    agents:
      - {account: alice01, password_env: ALICE_PW, nickname: Alice, staff_no: "1001",
         groups: {presales: 1}}
"""


def imported(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [str(getattr(r, "imported", "")) for r in caplog.records if r.msg == "config.imported"]


def test_the_first_start_logs_what_it_imported_and_later_starts_stay_quiet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, cheap_argon2: None
) -> None:
    config = tmp_path / "chatflow.yaml"
    config.write_text(CONFIG)
    (tmp_path / "flows").mkdir()
    settings = ServeSettings(config=config, data=tmp_path / "data", env={"ALICE_PW": "Demo-pass1"})
    caplog.set_level(logging.INFO, logger="chatflow.admin_api.app")
    with TestClient(create_app(settings)):
        pass
    [created] = imported(caplog)
    for item in ("merchant acme", "group acme/presales", "site acme-web", "agent acme/alice01"):
        assert item in created
    caplog.clear()
    with TestClient(create_app(settings)):
        pass
    assert imported(caplog) == []
