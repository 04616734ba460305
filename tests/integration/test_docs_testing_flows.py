"""docs/testing-flows.md shows real behaviour: its test passes, its failure and chat are current."""

from __future__ import annotations

import io
import re
import shutil
import sys
from pathlib import Path

import pytest

from chatflow.admin_api.cli import main
from chatflow.engine.testfile import HttpMock

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "testing-flows.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE, re.DOTALL)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with the shipped reception flow and the guide's test."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flows").mkdir()
    shutil.copy(ROOT / "flows" / "reception.flow.yaml", tmp_path / "flows")
    test = next(b for b in blocks("yaml") if b.startswith("# yaml-language-server"))
    (tmp_path / "flows" / "reception.presales.test.yaml").write_text(test, encoding="utf-8")
    assert main(["schema", "--write"]) == 0
    return tmp_path


def test_the_guides_test_validates_and_passes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["validate", "--strict", "flows"]) == 0
    capsys.readouterr()
    assert main(["test", "flows"]) == 0
    passing = next(b for b in blocks("console") if "1 passed, 0 failed" in b)
    assert passing == "$ chatflow test flows\n" + capsys.readouterr().out


def test_the_guide_shows_the_current_failure_report(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "flows" / "reception.presales.test.yaml"
    path.write_text(path.read_text().replace('user: "1"', 'user: "2"'), encoding="utf-8")
    capsys.readouterr()
    assert main(["test", "flows"]) == 1
    failing = next(b for b in blocks("console") if "0 passed, 1 failed" in b)
    assert failing == "$ chatflow test flows\n" + capsys.readouterr().out


def test_the_guide_shows_a_current_chat(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = next(b for b in blocks("console") if b.startswith("$ chatflow chat "))
    command, *lines = shown.splitlines()
    script = "".join(line[2:] + "\n" for line in lines if line.startswith("> "))
    monkeypatch.setattr(sys, "stdin", io.StringIO(script))
    capsys.readouterr()
    assert main(command.split()[2:]) == 0
    tty_only = "(type /help for the commands)"
    assert capsys.readouterr().out.splitlines() == [line for line in lines if line != tty_only]


def test_the_first_flow_guides_test_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/first-flow.md promises that `chatflow test` runs its test: it must pass."""
    guide = (ROOT / "docs" / "first-flow.md").read_text(encoding="utf-8")
    flow, test = (
        b
        for b in re.findall(r"```yaml\n(.*?)```", guide, re.DOTALL)
        if "flow.schema" in b or "flow: " in b
    )
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flows").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "flows" / "hello.flow.yaml").write_text(flow, encoding="utf-8")
    (tmp_path / "tests" / "hello.test.yaml").write_text(test, encoding="utf-8")
    assert main(["test", "tests"]) == 0, capsys.readouterr().out


def test_the_guides_http_mocks_are_valid() -> None:
    import yaml

    mocks = next(b for b in blocks("yaml") if b.startswith("http:"))
    for mock in yaml.safe_load(mocks)["http"]:
        HttpMock.model_validate(mock)
