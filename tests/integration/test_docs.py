"""The hand-written docs show real behaviour: their flows validate and their output is current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatflow.admin_api.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIRST_FLOW = (ROOT / "docs" / "first-flow.md").read_text(encoding="utf-8")


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


FILE = re.compile(r"Create\s+`([^`]+)`.*?```yaml\n(.*?)```", re.DOTALL)
CONSOLE = re.compile(r"```console\n(.*?)```", re.DOTALL)
MISSPELT = {"next: thanks": "next: thank", "{{ phone }}": "{{ phnoe }}"}
"""Step 2's misspellings, as its text describes them."""


def run(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    """One ``$ ...`` line of the guide, run in the current folder; what it prints."""
    words = command.split()
    if words[0] == "mkdir":
        for name in words[1:]:
            Path(name).mkdir()
        return ""
    assert words[0] == "chatflow", command
    capsys.readouterr()
    code = main(words[1:])
    out, err = capsys.readouterr()
    assert code == (1 if "error:" in out else 0), out + err
    return out + err


def test_the_first_flow_guide_followed_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every file the guide creates and every command it shows, in order, in an empty folder:
    each command prints exactly what the guide shows under it."""
    monkeypatch.chdir(tmp_path)
    steps = sorted(
        [(m.start(), "file", m.group(1), m.group(2)) for m in FILE.finditer(FIRST_FLOW)]
        + [(m.start(), "console", "", m.group(1)) for m in CONSOLE.finditer(FIRST_FLOW)]
    )
    assert [kind for _, kind, _, _ in steps].count("file") == 3
    ran = []
    for _, kind, name, body in steps:
        if kind == "file":
            (tmp_path / name).write_text(body, encoding="utf-8")
            continue
        commands = re.split(r"^\$ ", body, flags=re.MULTILINE)[1:]
        for block in commands:
            command, _, shown = block.partition("\n")
            ran.append(command)
            if " serve " in command:
                continue  # a server that runs until stopped: its config validated above
            flow = tmp_path / "flows" / "hello.flow.yaml"
            if "error:" in shown:  # step 2's misspelt flow, then the flow as it was
                good = flow.read_text(encoding="utf-8")
                bad = good
                for right, wrong in MISSPELT.items():
                    bad = bad.replace(right, wrong)
                flow.write_text(bad, encoding="utf-8")
                printed = run(command, capsys)
                flow.write_text(good, encoding="utf-8")
            else:
                printed = run(command, capsys)
            if command.startswith("chatflow graph --markdown"):
                (chart,) = blocks(FIRST_FLOW, "mermaid")
                shown = "```mermaid\n" + chart + "```\n"
            assert printed == shown, command
    assert "chatflow test tests" in ran
    assert any(command.startswith("chatflow validate --config") for command in ran)
