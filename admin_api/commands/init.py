"""``chatflow init [DIR]``: write a small, working starter project (a deployment, a flow, its test,
the editor's schemas) and say what to run next.

The files are package data (``admin_api/starter``), copied as they are, except ``gitignore``
which is written as ``.gitignore``; the schemas are generated as ``chatflow schema --write``
writes them, so they match the installed chatflow.
"""

from __future__ import annotations

import argparse
import secrets
import shlex
import sys
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

STARTER = "starter"
"""The template folder, in the ``chatflow.admin_api`` package."""
RENAMED = {"gitignore": ".gitignore"}
"""Template files whose written name differs (a dotfile is not package data by default)."""
PASSWORD_ENV = "CHATFLOW_ADMIN_PASSWORD"
"""The environment variable the starter's admin agent reads its password from."""


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "init",
        help="write a starter project (deployment, flow, test, schemas) into a folder",
        description=(
            "Write a small, working project into DIR (default: the current folder, made if "
            "missing): chatflow.yaml (one merchant, site, skill group and admin agent whose "
            f"password comes from ${PASSWORD_ENV}), flows/hello.flow.yaml, its test "
            "tests/hello.test.yaml, the JSON Schemas under schemas/, a README.md and a "
            ".gitignore. Existing files are never overwritten without --force: they are "
            "listed and nothing is written (exit status 2)."
        ),
    )
    parser.add_argument(
        "dir", nargs="?", default=".", type=Path, metavar="DIR", help="where (default: .)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite files that exist")
    parser.set_defaults(func=run)


def starter_files() -> dict[str, str]:
    """The starter project's files that are not generated: relative path -> text."""
    files: dict[str, str] = {}

    def walk(folder: Traversable, prefix: str) -> None:
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            elif not entry.name.startswith(".") and entry.name != "__pycache__":
                name = f"{prefix}{RENAMED.get(entry.name, entry.name)}"
                files[name] = entry.read_text(encoding="utf-8")

    walk(resources.files("chatflow.admin_api") / STARTER, "")
    return files


def run(args: argparse.Namespace) -> int:
    from chatflow.engine.schema import all_schemas
    from chatflow.nodes import LANGUAGE

    folder: Path = args.dir
    if folder.exists() and not folder.is_dir():
        print(f"chatflow init: {folder} is a file, not a folder", file=sys.stderr)
        return 2
    files = starter_files()
    files.update({f"schemas/{name}": text for name, text in all_schemas(LANGUAGE).items()})
    names = sorted(files)
    existing = [name for name in names if (folder / name).exists()]
    if existing and not args.force:
        print(f"chatflow init: these files exist already in {folder}:", file=sys.stderr)
        for name in existing:
            print(f"  {name}", file=sys.stderr)
        print(
            "chatflow init: nothing was written; choose an empty folder, or add --force to "
            "overwrite them",
            file=sys.stderr,
        )
        return 2
    try:
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        where = exc.filename or folder
        print(f"chatflow init: cannot write {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    sys.stdout.write(next_steps(folder, names))
    return 0


def next_steps(folder: Path, names: list[str]) -> str:
    """What ``chatflow init`` prints once it has written ``names`` into ``folder``."""
    lines = [f"chatflow init: wrote a starter project in {folder}:"]
    lines += [f"  {name}" for name in names]
    lines += ["", "Next:"]
    if folder.resolve() != Path.cwd().resolve():
        lines.append(f"  cd {shlex.quote(str(folder))}")
    lines += [
        f"  export {PASSWORD_ENV}='{strong_password()}'   # me_admin's password",
        "  chatflow validate .",
        "  chatflow test tests",
        "  chatflow serve --config chatflow.yaml",
        "",
        "The password is made up for you; one of your own needs 8-20 characters with an",
        "upper-case and a lower-case letter, a digit and a symbol. chatflow serve prints the",
        "addresses to open once it runs: the chat page (/chat/me-web), and the workbench and",
        "the console, where me_admin logs in. README.md says more.",
    ]
    return "\n".join(lines) + "\n"


def strong_password() -> str:
    """A random password the accounts' rule accepts (shell-safe: letters, digits, - and _)."""
    from chatflow.admin_api.passwords import password_problems

    while True:
        password = f"Cf-{secrets.token_urlsafe(12)}"  # 3 + 16 characters
        if not password_problems(password):
            return password
