"""``chatflow validate PATH...``: schema and semantic checks for CI and editors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chatflow.admin_api.commands import _github

if TYPE_CHECKING:
    from chatflow.engine.validate import Report

FORMATS: dict[str, Callable[[Report], str]] = {
    "text": lambda report: report.text(),
    "json": lambda report: report.json(),
    "github": lambda report: _github.problems(report.problems),
}
"""How stdout shows the problems, by ``--format``."""


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "validate",
        help="check flow, test and config files",
        description=(
            "Check *.flow.yaml, *.test.yaml and chatflow.yaml files (folders are searched). "
            "Every problem is reported as path:line:column: severity: message [json.path]. "
            "Exit status 1 when there is an error."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to check")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="deployment config whose skill groups the flows' transfers must use",
    )
    parser.add_argument(
        "--strict", action="store_true", help="treat warnings as errors (exit 1 on any)"
    )
    parser.add_argument(
        "--format",
        choices=tuple(FORMATS),
        default="text",
        help=(
            "text lines (default), a JSON array of problems, or GitHub Actions annotations "
            "(::error file=...,line=...,col=...::message)"
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chatflow.engine.validate import validate_paths
    from chatflow.nodes import LANGUAGE

    report = validate_paths(args.paths, LANGUAGE, config=args.config, strict=args.strict)
    sys.stdout.write(FORMATS[args.format](report))
    print(report.summary(), file=sys.stderr)
    return report.exit_code
