"""Golden conversation tests: every shipped ``flows/*.test.yaml`` passes, and every deliberately
failing one in ``tests/data/flowtests`` fails at the step it marks, saying what it expected, what
came instead and the transcript.

A failing test file marks its failing step with ``# FAILS: <expected>`` (the line of the step,
or of ``flow:`` when the flow fails on start); an invalid one marks each line the runner must
report with ``# INVALID``.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from chatflow.engine.testing import CaseResult, ConversationRunner
from chatflow.nodes import LANGUAGE

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "flows"
GOLDEN = sorted(FLOWS.glob("*.test.yaml"))
FAILING = sorted((ROOT / "tests" / "data" / "flowtests").glob("*.test.yaml"))


@pytest.fixture(scope="module")
def runner() -> ConversationRunner:
    """One runner for the module, as one ``chatflow test`` run: each flow is parsed once."""
    return ConversationRunner(LANGUAGE)


def run(runner: ConversationRunner, path: Path) -> CaseResult:
    prepared = runner.prepare(path)
    if isinstance(prepared, CaseResult):
        return prepared
    return asyncio.run(runner.run(prepared))


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name)
def test_shipped_conversation_test_passes(
    runner: ConversationRunner, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = run(runner, path)
    assert result.passed, result.text()


def test_every_shipped_flow_has_conversation_tests() -> None:
    tested = {p.name.split(".")[0] for p in GOLDEN}
    assert tested == {p.name.removesuffix(".flow.yaml") for p in FLOWS.glob("*.flow.yaml")}


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name)
def test_shipped_test_starts_with_the_editor_schema_line(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/flow-test.schema.json"


def marked(path: Path, marker: str) -> list[tuple[int, str]]:
    """``(line, text after the marker)`` of every line carrying ``# <marker>``."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        found = re.search(rf"# {marker}:?\s*(.*)$", line)
        if found:
            out.append((number, found.group(1).strip()))
    return out


@pytest.mark.parametrize("path", FAILING, ids=lambda p: p.name)
def test_failing_test_reports_its_step_expectation_and_transcript(
    runner: ConversationRunner, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = run(runner, path)
    assert not result.passed
    text = result.text()
    assert text.startswith(f"FAIL {result.name} (tests/data/flowtests/{path.name})\n")
    invalid = marked(path, "INVALID")
    if invalid:
        assert result.failure is None
        assert sorted(p.line for p in result.problems) == [line for line, _ in invalid]
        for problem in result.problems:
            assert f"  {problem.format()}\n" in text
            assert problem.format().startswith(f"tests/data/flowtests/{path.name}:")
        return
    ((line, expected),) = marked(path, "FAILS")
    failure = result.failure
    assert failure is not None and not result.problems
    assert f"  expected: {failure.expected}\n" in text
    assert failure.expected.startswith(expected)
    assert failure.got and f"  got:      {failure.got[0]}\n" in text
    if failure.step == 0:  # the flow failed on start, before any output
        assert line == 1 + next(
            n for n, t in enumerate(path.read_text().splitlines()) if t.startswith("flow:")
        )
        assert "  on start, before step 1\n" in text
        assert failure.got[0].startswith("the flow failed: ")
        return
    assert failure.line == line
    assert f"  step {failure.step} (line {line}): " in text
    assert failure.transcript, "a failure after the start shows the conversation so far"
    shown = "  transcript:\n" + "".join(f"    {t}\n" for t in failure.transcript)
    assert shown in text
    assert failure.transcript[0].startswith("bot: ")


def test_the_failing_examples_cover_each_kind_of_step_that_can_fail() -> None:
    expected = " | ".join(e for p in FAILING for _, e in marked(p, "FAILS"))
    for kind in ("an output", "an option", "node ", "the visitor", "agent ", "the flow to start"):
        assert kind in expected
    assert any(marked(p, "INVALID") for p in FAILING)
