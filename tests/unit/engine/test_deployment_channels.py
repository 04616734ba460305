"""Webhook channels in ``chatflow.yaml``: keys unique across the deployment, sites that exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatflow.engine.validate import validate_paths
from chatflow.nodes import LANGUAGE

FLOW = """\
id: sales
start: hi
nodes:
  hi: {type: message, text: hi, next: bye}
  bye: {type: end}
"""

CONFIG = """\
flows: ./flows
merchants:
  - id: acme
    sites: [{key: acme-web, flow: sales}]
    channels:
      - {key: wx, site: acme-web, secret_env: WX_SECRET, webhook_url: "https://bridge.acme.example/out"}
      - {key: line, site: acme-wbe, secret_env: LINE_SECRET, webhook_url: "https://line.acme.example/"}
  - id: other
    sites: [{key: other-web, flow: sales}]
    channels:
      - {key: wx, site: other-web, secret_env: S, webhook_url: "http://10.0.0.5/hook"}
"""


def test_channel_problems_are_placed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows/sales.flow.yaml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "chatflow.yaml").write_text(CONFIG, encoding="utf-8")
    report = validate_paths(["chatflow.yaml"], LANGUAGE)
    got = {p.json_path: p for p in report.problems}
    assert set(got) == {"$.merchants[0].channels[1].site", "$.merchants[1].channels[0].key"}
    assert "Did you mean 'acme-web'?" in got["$.merchants[0].channels[1].site"].message
    assert got["$.merchants[1].channels[0].key"].message.startswith("duplicate channel key 'wx'")


def test_a_webhook_url_must_be_http(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows/sales.flow.yaml").write_text(FLOW, encoding="utf-8")
    config = CONFIG.replace("https://line.acme.example/", "file:///etc/passwd")
    (tmp_path / "chatflow.yaml").write_text(config, encoding="utf-8")
    report = validate_paths(["chatflow.yaml"], LANGUAGE)
    assert "$.merchants[0].channels[1].webhook_url" in {p.json_path for p in report.problems}
