"""The ``chatflow`` command line: an explicit list of subcommand modules.

Each module in ``admin_api/commands`` has ``register(subparsers)``, which adds its parser and sets
``func`` to a callable taking the parsed arguments and returning the exit code. Heavy imports
(FastAPI, uvicorn) happen inside those callables so ``chatflow validate`` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from chatflow.engine.errors import ChatflowError

COMMANDS: tuple[str, ...] = (
    "init",
    "validate",
    "schema",
    "graph",
    "test",
    "chat",
    "serve",
    "export_config",
    "hash_password",
)
"""Subcommand modules under ``chatflow.admin_api.commands``, in help order."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatflow",
        description=(
            "Customer-service chat engine: start a project, validate, test, chat with and "
            "serve flows."
        ),
    )
    with contextlib.suppress(PackageNotFoundError):
        parser.add_argument("--version", action="version", version=version("chatflow"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"chatflow.admin_api.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code: int = args.func(args)
    except ChatflowError as exc:
        print(f"chatflow: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
