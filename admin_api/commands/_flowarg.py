"""The FLOW argument of ``chatflow graph`` and ``chatflow chat``: a file path or a flow id."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatflow.engine.catalog import Catalog, Loaded
    from chatflow.engine.flow import FlowBase


def find_flow(catalog: Catalog, ref: str, command: str) -> Loaded[FlowBase] | None:
    """The flow a path or id names (ids are looked up from the current folder, then in flows/
    folders up the tree); None after saying on stderr where it looked."""
    path = Path(ref)
    if path.is_file():
        return catalog.flow(path)
    lookup = catalog.find_flow(ref, near=Path.cwd() / "_")
    if lookup.flow is None:
        print(
            f"chatflow {command}: no flow file or flow id {ref!r}; looked in: "
            f"{', '.join(lookup.searched)}",
            file=sys.stderr,
        )
    return lookup.flow
