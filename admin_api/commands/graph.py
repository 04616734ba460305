"""``chatflow graph FLOW``: print a flow as a Mermaid flowchart."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "graph",
        help="print a flow as a Mermaid flowchart",
        description=(
            "Print a flow as a Mermaid `flowchart TD` (paste it into a Markdown ```mermaid block "
            "or https://mermaid.live). FLOW is a *.flow.yaml path or a flow id, looked up in "
            "the current folder and then in flows/ folders up the tree."
        ),
    )
    parser.add_argument("flow", metavar="FLOW", help="flow file or flow id")
    parser.add_argument(
        "--markdown", action="store_true", help="wrap the chart in a ```mermaid code block"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chatflow.admin_api.commands._flowarg import find_flow
    from chatflow.engine.catalog import Catalog
    from chatflow.engine.mermaid import to_mermaid
    from chatflow.nodes import LANGUAGE

    catalog = Catalog(LANGUAGE)
    loaded = find_flow(catalog, args.flow, "graph")
    if loaded is None:
        return 1
    if loaded.model is None:
        for problem in loaded.problems:
            print(problem.format(), file=sys.stderr)
        print("chatflow graph: the flow does not validate; fix it first", file=sys.stderr)
        return 1
    chart = to_mermaid(loaded.model)
    sys.stdout.write(f"```mermaid\n{chart}```\n" if args.markdown else chart)
    return 0
