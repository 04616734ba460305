"""Results of ``chatflow test`` and how they are shown: text for people, JSON for CI tools.

A failure says which step (number and YAML line), what it expected, what came instead and the
transcript so far, so the fix is visible without re-running the conversation by hand.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from chatflow.engine.catalog import data_at
from chatflow.engine.errors import Problem
from chatflow.engine.yamlsource import Document


@dataclass
class Failure:
    """The step that did not hold."""

    step: int
    """1-based step number; 0 when the flow failed before the first step (on start)."""
    line: int
    """Line of the step in the test file."""
    step_text: str
    """The step as written (``bot: 欢迎``)."""
    expected: str
    got: list[str]
    transcript: list[str]
    """Every frame of the session so far, as readable lines."""
    notes: list[str] = field(default_factory=list)
    """Engine warnings logged during the test and requests no HTTP mock answered."""


@dataclass
class CaseResult:
    """One test file's outcome: passed, failed at a step, or invalid (``problems``)."""

    name: str
    file: str
    failure: Failure | None = None
    problems: list[Problem] = field(default_factory=list)
    """Why the test file could not run (the validator's placed problems)."""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.failure is None and not self.problems

    def text(self) -> str:
        """``PASS name (file)``, or ``FAIL ...`` with the details indented below."""
        head = f"{'PASS' if self.passed else 'FAIL'} {self.name} ({self.file})\n"
        if self.problems:
            return (
                head
                + "  invalid test file:\n"
                + "".join(f"  {p.format()}\n" for p in self.problems)
            )
        failure = self.failure
        if failure is None:
            return head
        if failure.step:
            where = f"  step {failure.step} (line {failure.line}): {failure.step_text}"
        else:
            where = "  on start, before step 1"
        lines = [where, f"  expected: {failure.expected}"]
        got = failure.got or ["nothing"]
        lines.append(f"  got:      {got[0]}")
        lines += [f"            {line}" for line in got[1:]]
        if failure.transcript:
            lines.append("  transcript:")
            lines += [f"    {line}" for line in failure.transcript]
        lines += [f"  {note}" for note in failure.notes]
        return head + "".join(line + "\n" for line in lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "passed": self.passed,
            "seconds": round(self.seconds, 6),
            "problems": [asdict(p) for p in self.problems],
            "failure": asdict(self.failure) if self.failure is not None else None,
        }


@dataclass
class RunReport:
    """Every result of one run, in file order."""

    results: list[CaseResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Paths given that name nothing on disk."""

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def exit_code(self) -> int:
        """1 on any failure, invalid test file or missing path; 1 as well when nothing ran."""
        return 1 if self.failed or self.missing or not self.results else 0

    def summary(self) -> str:
        return f"{self.passed} passed, {self.failed} failed"

    def text(self) -> str:
        """One block per test, then the summary line."""
        return "".join(r.text() for r in self.results) + self.summary() + "\n"

    def json(self) -> str:
        data = {
            "passed": self.passed,
            "failed": self.failed,
            "missing": self.missing,
            "results": [r.to_json() for r in self.results],
        }
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def step_text(document: Document, index: int) -> str:
    """Step ``index`` (0-based) as one line, from the test file's own data."""
    step = data_at(document, "steps", index)
    if not isinstance(step, dict):
        return str(step)
    return ", ".join(f"{key}: {_value(value)}" for key, value in step.items())


def _value(value: Any) -> str:
    if isinstance(value, str) and value and value == value.strip() and "\n" not in value:
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
