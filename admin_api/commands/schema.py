"""``chatflow schema``: print or write the JSON Schemas generated from the models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "schema",
        help="print or write the JSON Schemas of flow, config and test files",
        description=(
            "Print the JSON Schema (draft-07) of one file kind, or write all three into a folder "
            "(default: schemas)."
        ),
    )
    parser.add_argument(
        "--kind",
        choices=("flow", "config", "test"),
        default="flow",
        help="which schema to print (default: flow)",
    )
    parser.add_argument(
        "--write",
        nargs="?",
        const="",
        metavar="DIR",
        help="write the files instead of printing (DIR defaults to schemas)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chatflow.engine.schema import render, schema_for, write_schemas
    from chatflow.nodes import LANGUAGE

    if args.write is None:
        sys.stdout.write(render(schema_for(args.kind, LANGUAGE)))
        return 0
    for path in write_schemas(LANGUAGE, Path(args.write or "schemas")):
        print(f"wrote {path}", file=sys.stderr)
    return 0
