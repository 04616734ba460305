"""``chatflow validate`` on the command line: output, summary, formats and exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatflow.admin_api.cli import main

BAD = "id: bad\nstart: a\nnodes:\n  a: {type: message, text: x, next: b}\n"


def test_errors_exit_1_with_located_lines_and_a_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.flow.yaml").write_text(BAD, encoding="utf-8")
    assert main(["validate", "."]) == 1
    out, err = capsys.readouterr()
    first, second = out.splitlines()
    assert first.startswith("bad.flow.yaml:2:8: error: no path from start 'a' reaches")
    assert second.startswith("bad.flow.yaml:4:37: error: node 'a' continues at 'b'")
    assert second.endswith("[$.nodes.a.next]")
    assert err == "checked 1 file: 2 errors, 0 warnings\n"


def test_json_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.flow.yaml").write_text(BAD, encoding="utf-8")
    assert main(["validate", "--format", "json", "bad.flow.yaml"]) == 1
    problems = json.loads(capsys.readouterr().out)
    assert {p["code"] for p in problems} == {"unknown-node", "no-end"}


def test_warnings_exit_0_unless_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("w.flow.yaml").write_text(
        "id: w\nstart: a\nnodes:\n  a: {type: end}\n  b: {type: end}\n", encoding="utf-8"
    )
    assert main(["validate", "w.flow.yaml"]) == 0
    assert main(["validate", "--strict", "w.flow.yaml"]) == 1


def test_the_shipped_flows_and_demo_validate_strictly(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(root)
    assert main(["validate", "--strict", "flows", "examples/demo"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.endswith(": 0 errors, 0 warnings\n")
