"""``chatflow graph``: by path or id, with a Markdown fence, and refusing invalid flows."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatflow.admin_api.cli import main

FLOW = "id: tiny\nstart: bye\nnodes:\n  bye: {type: end, message: 再见}\n"


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("flows").mkdir()
    Path("flows/tiny.flow.yaml").write_text(FLOW, encoding="utf-8")


def test_by_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "flows/tiny.flow.yaml"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart TD\n")
    assert "  flowstart --> n0\n" in out


def test_by_id_in_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "--markdown", "tiny"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("```mermaid\nflowchart TD\n")
    assert out.endswith("```\n")


def test_unknown_flow(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "nope"]) == 1
    assert "no flow file or flow id 'nope'" in capsys.readouterr().err


def test_invalid_flow_prints_its_problems(capsys: pytest.CaptureFixture[str]) -> None:
    Path("bad.flow.yaml").write_text("id: bad\nstart: a\nnodes: {a: {type: x}}\n", "utf-8")
    assert main(["graph", "bad.flow.yaml"]) == 1
    err = capsys.readouterr().err
    assert "bad.flow.yaml:3:" in err and "unknown node type 'x'" in err
