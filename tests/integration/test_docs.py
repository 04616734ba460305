"""The hand-written docs show real behaviour: their flows validate and their output is current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatflow.admin_api.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIRST_FLOW = (ROOT / "docs" / "first-flow.md").read_text(encoding="utf-8")


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The first-flow guide's files in a fresh project folder."""
    monkeypatch.chdir(tmp_path)
    flow, test = (b for b in blocks(FIRST_FLOW, "yaml") if "flow.schema" in b or "flow: " in b)
    (tmp_path / "flows").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "flows" / "hello.flow.yaml").write_text(flow, encoding="utf-8")
    (tmp_path / "tests" / "hello.test.yaml").write_text(test, encoding="utf-8")
    assert main(["schema", "--write"]) == 0
    return tmp_path


def test_the_first_flow_and_its_test_validate(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["validate", "--strict", "flows", "tests"]) == 0
    assert capsys.readouterr().err == "checked 2 files: 0 errors, 0 warnings\n"


def test_the_guide_shows_the_current_validate_output(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "flows" / "hello.flow.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("next: thanks", "next: thank").replace("{{ phone }}", "{{ phnoe }}"),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["validate", "flows"]) == 1
    out, err = capsys.readouterr()
    shown = next(b for b in blocks(FIRST_FLOW, "console") if "error:" in b)
    assert shown == "$ chatflow validate flows\n" + out + err


def test_the_guide_shows_the_current_graph(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["graph", "flows/hello.flow.yaml"]) == 0
    assert capsys.readouterr().out in blocks(FIRST_FLOW, "mermaid")
