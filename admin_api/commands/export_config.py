"""``chatflow export-config``: the records database's tenants as a ``chatflow.yaml``.

With ``-o FILE`` the merchants' published flows are written beside it (``flows/`` next to the
file, or ``--flows-dir``), so the pair validates with ``chatflow validate`` and can seed another
deployment. Without ``-o`` the config goes to standard output. ``--config`` names the
deployment's own ``chatflow.yaml``, whose webhook channels and ``http``, ``limits`` and
``server`` settings (which the database does not hold) are copied into the export.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "export-config",
        help="write the database's merchants, sites, groups and agents as chatflow.yaml",
        description=(
            "Export the tenants the admin API manages as a chatflow.yaml: merchants, sites, "
            "agent groups and enabled agents (with password_hash, never a password). With -o, "
            "the published flows are written to the flows folder beside the file."
        ),
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--data", type=Path, default=Path("data"), help="data folder of `chatflow serve` (./data)"
    )
    where.add_argument("--database", metavar="URL", help="records database URL (scale-out)")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="the deployment's chatflow.yaml: copy its webhook channels and http, limits and "
        "server settings, which the database does not hold",
    )
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE")
    parser.add_argument(
        "--flows-dir",
        type=Path,
        metavar="DIR",
        help="where to write the published flows (default: flows/ beside FILE)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chatflow.engine.configexport import export_deployment
    from chatflow.engine.deployment import read_config
    from chatflow.engine.errors import DefinitionError
    from chatflow.engine.stores.recordsdb import records_engine

    file = None
    if args.config is not None:
        try:
            file = read_config(args.config)
        except DefinitionError as exc:
            print(f"chatflow: error: {exc}", file=sys.stderr)
            return 1

    if args.database:
        url = args.database
    else:
        path = args.data / "records.sqlite3"
        if not path.is_file():
            print(f"chatflow: error: no records database at {path}", file=sys.stderr)
            return 1
        url = f"sqlite:///{path}"
    flows_dir: Path | None = args.flows_dir
    if flows_dir is None and args.output is not None:
        flows_dir = args.output.parent / "flows"
    base = args.output.parent if args.output is not None else Path.cwd()
    relative = "./flows" if flows_dir is None else _relative(flows_dir, base)
    engine = records_engine(url)
    try:  # a DefinitionError (no read-back) is said by cli.main, as every ChatflowError
        export = export_deployment(engine, flows=relative, file=file)
    finally:
        engine.dispose()
    if flows_dir is not None:
        flows_dir.mkdir(parents=True, exist_ok=True)
        for flow_id, text in sorted(export.flows.items()):
            (flows_dir / f"{flow_id}.flow.yaml").write_text(text, encoding="utf-8")
    if args.output is None:
        sys.stdout.write(export.yaml())
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(export.yaml(), encoding="utf-8")
        print(f"wrote {args.output} and {len(export.flows)} flow(s)", file=sys.stderr)
    for note in export.notes:
        print(f"chatflow: not exported: {note}", file=sys.stderr)
    return 0


def _relative(folder: Path, base: Path) -> str:
    rel = Path(os.path.relpath(folder.resolve(), base.resolve())).as_posix()
    return rel if rel.startswith(".") else f"./{rel}"
