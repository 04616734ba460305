"""``chatflow schema``: print one schema or write all three."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatflow.admin_api.cli import main


def test_prints_the_flow_schema_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"].startswith("chatflow session service flow")


def test_prints_a_chosen_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--kind", "config"]) == 0
    assert "merchants" in json.loads(capsys.readouterr().out)["properties"]


def test_writes_all_three(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["schema", "--write"]) == 0
    assert sorted(p.name for p in (tmp_path / "schemas").iterdir()) == [
        "chatflow-config.schema.json",
        "flow-test.schema.json",
        "flow.schema.json",
    ]
    assert main(["schema", "--write", "elsewhere"]) == 0
    assert len(list((tmp_path / "elsewhere").iterdir())) == 3
    assert "wrote elsewhere/flow.schema.json" in capsys.readouterr().err


def test_docs_prints_or_writes_the_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["schema", "--docs"]) == 0
    assert "# Flow language reference" in capsys.readouterr().out
    assert main(["schema", "--docs", "--write"]) == 0
    assert (tmp_path / "docs" / "flow-language.md").read_text(encoding="utf-8").startswith("<!--")
    config_page = (tmp_path / "docs" / "config-reference.md").read_text(encoding="utf-8")
    assert "# `chatflow.yaml` reference" in config_page
