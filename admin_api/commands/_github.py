"""``--format github``: GitHub Actions workflow commands for ``chatflow validate`` and ``test``.

A line ``::error file=F,line=L,col=C,title=T::message`` in a job's log becomes an annotation on
that line of the pull request. Values are escaped as GitHub's toolkit (``@actions/core``) does,
so a message with ``%`` or several lines, or a path with ``:`` or ``,``, arrives whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatflow.admin_api.commands._junit import details

if TYPE_CHECKING:
    from collections.abc import Iterable

    from chatflow.engine.errors import Problem
    from chatflow.engine.testing import CaseResult, RunReport

_LEVELS = {"error": "error", "warning": "warning"}
"""Problem severities as workflow commands; anything else is a ``notice``."""


def escape_data(text: str) -> str:
    """A command's message: ``%``, CR and LF percent-encoded (``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as a message, and ``:`` and ``,`` too (``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: str | int) -> str:
    """``::level key=value,...::message``; empty properties and line 0 are left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value not in ("", 0)
    )
    return f"::{level}{' ' + props if props else ''}::{escape_data(message)}"


def problem(item: Problem, title: str) -> str:
    """One problem, at its file, line and column when it has them."""
    message = item.message + (f" [{item.json_path}]" if item.json_path else "")
    return command(
        _LEVELS.get(item.severity, "notice"),
        message,
        file=item.path,
        line=item.line,
        col=item.column if item.line else 0,
        title=title,
    )


def problems(items: Iterable[Problem]) -> str:
    """``chatflow validate``: one command per problem, titled with the check's code."""
    return "".join(
        problem(p, f"chatflow validate: {p.code}" if p.code else "chatflow validate") + "\n"
        for p in items
    )


def test_report(report: RunReport) -> str:
    """``chatflow test``: ``PASS`` lines as text, an error per failure, the summary as text."""
    return "".join(_result(r) for r in report.results) + report.summary() + "\n"


def _result(result: CaseResult) -> str:
    if result.passed:
        return result.text()
    title = f"FAIL {result.name}"
    if result.problems:
        return "".join(problem(p, f"{title}: invalid test file") + "\n" for p in result.problems)
    failure = result.failure
    assert failure is not None
    # A failure on start has no step line: the test's own start, line 1 of its file, stands in.
    line = failure.line if failure.step and failure.line else 1
    return command("error", details(result), file=result.file, line=line, title=title) + "\n"
