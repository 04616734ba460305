"""docs/webhook-channel.md: its signing examples (Python and shell) agree with the server."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from chatflow.channels.webhook_signing import sign, verify

DOC = (Path(__file__).resolve().parents[2] / "docs" / "webhook-channel.md").read_text("utf-8")
SECRET = "doc-example-secret"


def block(language: str) -> str:
    [code] = re.findall(rf"```{language}\n(.*?)```", DOC, re.DOTALL)
    return str(code)


def test_the_python_example_signs_and_checks_like_chatflow() -> None:
    scope: dict[str, Any] = {}
    exec(block("python"), scope)
    body = scope["body"]
    header = scope["signature_header"](SECRET.encode(), body, 1_795_399_200)
    assert header == sign(SECRET.encode(), body, 1_795_399_200)
    ours = sign(SECRET.encode(), body, int(time.time()))
    assert scope["is_valid"](SECRET.encode(), body, ours)
    assert not scope["is_valid"](b"other", body, ours)
    assert not scope["is_valid"](SECRET.encode(), body, header)  # years old: stale


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_the_shell_example_computes_the_same_signature() -> None:
    shell = block("sh")
    script = shell.split("curl ")[0] + 'printf "%s\\n%s\\n%s" "$t" "$mac" "$body"\n'
    out = subprocess.run(
        ["sh", "-c", script],
        env={"WECHAT_BRIDGE_SECRET": SECRET, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    t, mac, body = int(out[0]), out[1], out[2].encode()
    assert verify(SECRET.encode(), body, f"t={t},v1={mac}", t) == t
