"""``chatflow test PATH...``: run conversation tests (``*.test.yaml``) for CI and flow designers."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatflow.admin_api.commands import _github, _junit

if TYPE_CHECKING:
    from chatflow.engine.testing import RunReport

FORMATS: dict[str, Callable[[RunReport], str]] = {
    "text": lambda report: report.text(),
    "json": lambda report: report.json(),
    "github": _github.test_report,
}
"""How stdout shows the results, by ``--format``."""


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "test",
        help="run conversation tests against their flows",
        description=(
            "Run *.test.yaml conversation tests (folders are searched) against their flows with "
            "a frozen clock, HTTP mocks and simulated agents. Prints PASS/FAIL per test, the "
            "failing step with what was expected, what came instead and the transcript, then "
            "'N passed, M failed'. Exit status 1 on any failure or invalid test file, 2 when "
            "the JUnit report cannot be written."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="test files or folders")
    parser.add_argument(
        "--format",
        choices=tuple(FORMATS),
        default="text",
        help=(
            "text (default), one JSON document with every result, or text with GitHub Actions "
            "annotations (::error file=...,line=...::) for the failures"
        ),
    )
    parser.add_argument(
        "--junit-xml",
        metavar="FILE",
        type=Path,
        help="also write the results as a JUnit XML report (folders are created)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chatflow.engine.testing import ConversationRunner
    from chatflow.nodes import LANGUAGE

    report = asyncio.run(ConversationRunner(LANGUAGE).run_paths(args.paths))
    for missing in report.missing:
        print(f"chatflow test: no such file or folder: {missing}", file=sys.stderr)
    if not report.results and not report.missing:
        print(f"chatflow test: no *.test.yaml under {', '.join(args.paths)}", file=sys.stderr)
    sys.stdout.write(FORMATS[args.format](report))
    if args.junit_xml is not None:
        try:
            _junit.write_report(_junit.junit_xml(report), args.junit_xml)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            print(
                f"chatflow test: cannot write the JUnit report {args.junit_xml}: {reason}",
                file=sys.stderr,
            )
            return 2
    return report.exit_code
