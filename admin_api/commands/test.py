"""``chatflow test PATH...``: run conversation tests (``*.test.yaml``) for CI and flow designers."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "test",
        help="run conversation tests against their flows",
        description=(
            "Run *.test.yaml conversation tests (folders are searched) against their flows with "
            "a frozen clock, HTTP mocks and simulated agents. Prints PASS/FAIL per test, the "
            "failing step with what was expected, what came instead and the transcript, then "
            "'N passed, M failed'. Exit status 1 on any failure or invalid test file."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="test files or folders")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default) or one JSON document with every result",
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
    sys.stdout.write(report.json() if args.format == "json" else report.text())
    return report.exit_code
