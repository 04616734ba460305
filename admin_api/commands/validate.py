"""``chatflow validate PATH...``: schema and semantic checks for CI and editors."""

from __future__ import annotations

import argparse
import sys
from typing import Any


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
        choices=("text", "json"),
        default="text",
        help="text lines (default) or a JSON array of problems for CI annotations",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chatflow.engine.validate import validate_paths
    from chatflow.nodes import LANGUAGE

    report = validate_paths(args.paths, LANGUAGE, config=args.config, strict=args.strict)
    sys.stdout.write(report.json() if args.format == "json" else report.text())
    print(report.summary(), file=sys.stderr)
    return report.exit_code
