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


TEST = "flows/reception.presales-by-number.test.yaml"
"""The shipped test the guide shows and runs."""


def test_the_guides_test_file_is_the_shipped_one() -> None:
    shown = next(b for b in blocks("yaml") if b.startswith("# yaml-language-server"))
    assert f"`{TEST}`" in GUIDE
    assert shown == (ROOT / TEST).read_text(encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's reception flow and the test the guide shows."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flows").mkdir()
    shutil.copy(ROOT / "flows" / "reception.flow.yaml", tmp_path / "flows")
    shutil.copy(ROOT / TEST, tmp_path / "flows")
    assert main(["schema", "--write"]) == 0
    return tmp_path


def test_the_guides_test_validates_and_passes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["validate", "--strict", "flows"]) == 0
    passing = next(b for b in blocks("console") if "1 passed, 0 failed" in b)
    capsys.readouterr()
    assert main(["test", TEST]) == 0
    assert passing == f"$ chatflow test {TEST}\n" + capsys.readouterr().out


def test_the_guide_shows_the_current_failure_report(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert 'the test\'s `user: "1"` changed to `user: "2"`' in GUIDE
    path = project / TEST
    path.write_text(path.read_text().replace('user: "1"', 'user: "2"'), encoding="utf-8")
    capsys.readouterr()
    assert main(["test", TEST]) == 1
    failing = next(b for b in blocks("console") if "0 passed, 1 failed" in b)
    assert failing == f"$ chatflow test {TEST}\n" + capsys.readouterr().out


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


def test_the_guides_http_mocks_are_valid() -> None:
    import yaml

    mocks = next(b for b in blocks("yaml") if b.startswith("http:"))
    for mock in yaml.safe_load(mocks)["http"]:
        HttpMock.model_validate(mock)
