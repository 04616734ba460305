"""``chatflow hash-password``: the argon2 hash of a password, for an agent's ``password_hash`` in
``chatflow.yaml``.

At a terminal it asks twice without echo; otherwise it reads one line from standard input
(``printf '%s\\n' "$PASSWORD" | chatflow hash-password``), so the password never appears in the
command line or the shell's history. The password must meet the accounts' policy, as the
admin API's would.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "hash-password",
        help="print the argon2 hash of a password, for password_hash in chatflow.yaml",
        description=(
            "Print the argon2 hash of a password for an agent's password_hash in chatflow.yaml. "
            "Asks for it twice at a terminal; otherwise reads one line from standard input."
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chatflow.admin_api.passwords import hash_password, password_problems

    del args
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("chatflow hash-password: the two passwords differ", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    problems = password_problems(password)
    if problems:
        print(f"chatflow hash-password: the password must {', '.join(problems)}", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0
