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


TESTS = ["flows/reception.holiday.test.yaml", "flows/reception.presales-by-number.test.yaml"]
"""The shipped tests the guide runs, the second made to fail at its step 6."""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The reception flow, its holiday test and the guide's test made to fail (as it says)."""
    monkeypatch.chdir(tmp_path)
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(ROOT / "flows" / "reception.flow.yaml", flows)
    for name in TESTS:
        text = (ROOT / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace('user: "1"', 'user: "2"'), encoding="utf-8")
    assert main(["schema", "--write"]) == 0
    return tmp_path


def test_the_guides_junit_report_is_current(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", "--junit-xml", "report.xml", *TESTS]) == 1
    (shown,) = blocks("xml")
    assert timeless(shown) == timeless((project / "report.xml").read_text(encoding="utf-8"))


def test_the_guides_github_annotations_are_current(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["test", "--format", "github", *TESTS]) == 1
    shown = next(b for b in blocks("console") if b.startswith("$ chatflow test --format github"))
    command = f"$ chatflow test --format github {TESTS[0]} \\\n    {TESTS[1]}\n"
    assert shown == command + capsys.readouterr().out
