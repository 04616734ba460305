"""``chatflow hash-password``: an argon2 hash for ``password_hash`` in chatflow.yaml."""

from __future__ import annotations

import getpass
import io
import subprocess
import sys

import pytest

from chatflow.admin_api.cli import main
from chatflow.admin_api.passwords import verify_password
from chatflow.engine.config import Agent


def hash_of(stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatflow.admin_api.cli", "hash-password"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_piped_password_gives_a_hash_that_logs_in_and_a_config_accepts() -> None:
    done = hash_of("Demo-pass1\n")
    assert done.returncode == 0, done.stderr
    printed = done.stdout.strip()
    assert printed.startswith("$argon2id$") and "Demo-pass1" not in done.stdout
    assert verify_password(printed, "Demo-pass1")
    assert not verify_password(printed, "Demo-pass2")
    agent = Agent(account="acme_alice", password_hash=printed, nickname="A", staff_no="1")
    assert agent.password_hash == printed


def test_a_password_against_the_policy_is_refused_with_every_reason() -> None:
    done = hash_of("short\n")
    assert done.returncode == 1 and done.stdout == ""
    assert "the password must be 8-20 characters long" in done.stderr
    assert "contain a digit" in done.stderr and "Traceback" not in done.stderr


def test_at_a_terminal_it_asks_twice_and_refuses_two_different_answers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter(["Demo-pass1", "Demo-pass9"])
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert main(["hash-password"]) == 1
    assert "the two passwords differ" in capsys.readouterr().err
    answers = iter(["Demo-pass1", "Demo-pass1"])
    assert main(["hash-password"]) == 0
    assert verify_password(capsys.readouterr().out.strip(), "Demo-pass1")
