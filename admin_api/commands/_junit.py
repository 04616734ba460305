"""``chatflow test --junit-xml FILE``: the run as a JUnit XML report for CI test tabs.

The common dialect GitLab, Jenkins and the GitHub test-report actions read: a ``<testsuites>``
root, one ``<testsuite>`` per test file, one ``<testcase>`` per conversation test (``classname``
the file, ``name`` the test's), a ``<failure>`` for a step that did not hold and an ``<error>``
for a test file that could not run or a path that names nothing. The text is escaped by
ElementTree; characters XML 1.0 cannot hold at all become ``\\xNN`` so the file stays readable.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatflow.engine.testing import CaseResult, RunReport

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters no XML 1.0 document may contain, even as a character reference."""


def clean(text: str) -> str:
    """``text`` with the characters XML 1.0 forbids written as ``\\xNN`` / ``\\uNNNN``."""
    return _FORBIDDEN.sub(lambda m: _visible(m.group()), text)


def _visible(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def junit_xml(report: RunReport) -> bytes:
    """The report as a UTF-8 JUnit XML document, results grouped by file in run order."""
    files: dict[str, list[CaseResult]] = {}
    for result in report.results:
        files.setdefault(result.file, []).append(result)
    root = _element("testsuites", name="chatflow test")
    for file, results in files.items():
        suite = _element("testsuite", name=file)
        for result in results:
            suite.append(_case(result))
        _count(suite, results)
        root.append(suite)
    for path in report.missing:
        suite = _element("testsuite", name=path, tests=1, failures=0, errors=1, time=_seconds(0))
        case = _element("testcase", classname=path, name="no such file or folder", time=_seconds(0))
        error = _element("error", message=f"no such file or folder: {path}")
        error.text = clean(f"chatflow test: no such file or folder: {path}")
        case.append(error)
        suite.append(case)
        root.append(suite)
    _count(root, report.results, extra_errors=len(report.missing))
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _case(result: CaseResult) -> ET.Element:
    case = _element(
        "testcase",
        classname=result.file,
        name=result.name,
        time=_seconds(result.seconds),
        file=result.file,
    )
    if result.problems:
        first = result.problems[0]
        error = _element("error", message=f"invalid test file: {first.format()}")
        error.text = clean(
            "invalid test file:\n" + "".join(p.format() + "\n" for p in result.problems)
        )
        case.append(error)
    elif result.failure is not None:
        failure = result.failure
        if failure.step:
            where = f"step {failure.step} (line {failure.line}): {failure.step_text}"
            case.set("line", str(failure.line))
        else:
            where = "on start, before step 1"
        node = _element("failure", message=f"{where}; expected: {failure.expected}")
        node.text = clean(details(result) + "\n")
        case.append(node)
    return case


def details(result: CaseResult) -> str:
    """A failed test's block of ``chatflow test`` text without its ``FAIL`` line: the step,
    what was expected, what came, the transcript and notes, as the log shows them."""
    lines = result.text().rstrip("\n").split("\n")[1:]  # not splitlines: a bot may send \x1c
    return "\n".join(line.removeprefix("  ") for line in lines)


def _count(element: ET.Element, results: list[CaseResult], extra_errors: int = 0) -> None:
    errors = sum(1 for r in results if r.problems)
    failures = sum(1 for r in results if r.failure is not None and not r.problems)
    element.set("tests", str(len(results) + extra_errors))
    element.set("failures", str(failures))
    element.set("errors", str(errors + extra_errors))
    element.set("time", _seconds(sum(r.seconds for r in results)))


def _element(tag: str, **attributes: str | int) -> ET.Element:
    return ET.Element(tag, {key: clean(str(value)) for key, value in attributes.items()})


def _seconds(seconds: float) -> str:
    return f"{seconds:.3f}"


def write_report(data: bytes, target: Path) -> None:
    """Write ``data`` to ``target`` whole or not at all: a temporary file beside it, renamed.

    The parent folder is created. Raises OSError, with a reason a person can act on, when the
    folder or file cannot be written.
    """
    target = Path(os.path.abspath(target))  # "." or "out/.." have no name to write beside
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "that is a folder; name a file", str(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # a file stands where a folder must be
        file = next(
            (p for p in reversed(target.parents) if p.exists() and not p.is_dir()), target.parent
        )
        raise NotADirectoryError(errno.ENOTDIR, f"{file} is a file, not a folder") from None
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except OSError:
        temp.unlink(missing_ok=True)
        raise
