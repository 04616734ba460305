"""``chatflow schema``: print or write the JSON Schemas (or the flow language reference) generated
from the models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatflow.engine.language import FlowLanguage


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "schema",
        help="print or write the JSON Schemas of flow, config and test files",
        description=(
            "Print the JSON Schema (draft-07) of one file kind, or write all three into a folder "
            "(default: schemas). With --docs: the flow language reference (Markdown) instead; "
            "with --docs --write, it and the chatflow.yaml reference are written as "
            "flow-language.md and config-reference.md into a folder (default: docs)."
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
        help="write the files instead of printing (DIR defaults to schemas, or docs with --docs)",
    )
    parser.add_argument(
        "--docs",
        action="store_true",
        help="the flow language (and, written, the chatflow.yaml) reference instead",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chatflow.nodes import LANGUAGE

    if args.docs:
        return _docs(args.write, LANGUAGE)

    from chatflow.engine.schema import render, schema_for, write_schemas

    if args.write is None:
        sys.stdout.write(render(schema_for(args.kind, LANGUAGE)))
        return 0
    for path in write_schemas(LANGUAGE, Path(args.write or "schemas")):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _docs(write: str | None, language: FlowLanguage) -> int:
    from chatflow.engine import configdocs, refdocs

    pages = {
        refdocs.DOC_NAME: refdocs.reference(language),
        configdocs.DOC_NAME: configdocs.reference(),
    }
    if write is None:
        sys.stdout.write(pages[refdocs.DOC_NAME])
        return 0
    folder = Path(write or "docs")
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
        print(f"wrote {folder / name}", file=sys.stderr)
    return 0
