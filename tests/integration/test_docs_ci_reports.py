"""docs/testing-flows.md's CI reports are what ``chatflow test`` writes (times aside)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from chatflow.admin_api.cli import main

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "testing-flows.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE, re.DOTALL)


def timeless(xml: str) -> str:
    return re.sub(r'time="[0-9.]+"', 'time="T"', xml)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The reception flow, its holiday test and the guide's test made to fail at step 4."""
    monkeypatch.chdir(tmp_path)
    flows = tmp_path / "flows"
    flows.mkdir()
    for name in ("reception.flow.yaml", "reception.holiday.test.yaml"):
        shutil.copy(ROOT / "flows" / name, flows)
    test = next(b for b in blocks("yaml") if b.startswith("# yaml-language-server"))
    failing = test.replace('user: "1"', 'user: "2"')
    (flows / "reception.presales.test.yaml").write_text(failing, encoding="utf-8")
    assert main(["schema", "--write"]) == 0
    return tmp_path


def test_the_guides_junit_report_is_current(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", "--junit-xml", "report.xml", "flows"]) == 1
    (shown,) = blocks("xml")
    assert timeless(shown) == timeless((project / "report.xml").read_text(encoding="utf-8"))


def test_the_guides_github_annotations_are_current(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["test", "--format", "github", "flows"]) == 1
    shown = next(b for b in blocks("console") if b.startswith("$ chatflow test --format github"))
    assert shown == "$ chatflow test --format github flows\n" + capsys.readouterr().out
