"""``chatflow test`` on the command line: output, summary line, formats and exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chatflow.admin_api.cli import main

GOLDEN = len(list((Path(__file__).resolve().parents[3] / "flows").glob("*.test.yaml")))


@pytest.fixture(autouse=True)
def at_root(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)


def test_the_shipped_tests_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "flows"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == f"{GOLDEN} passed, 0 failed"
    assert all(line.startswith("PASS ") for line in out[:-1])
    assert "PASS reception: a public holiday is closed (flows/reception.holiday.test.yaml)" in out


def test_a_failure_shows_step_expectation_got_and_transcript(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["test", "tests/data/flowtests/wrong-text.test.yaml"]) == 1
    assert capsys.readouterr().out == (
        "FAIL a bot step that does not match (tests/data/flowtests/wrong-text.test.yaml)\n"
        "  step 3 (line 8): bot: 售后咨询\n"
        '  expected: an output containing "售后咨询" after the last matched one\n'
        "  got:      bot: 请选择您需要的服务（回复数字或点击选项）：\n"
        "                 1. 售前咨询\n"
        "                 2. 售后服务\n"
        "                 3. 人工客服\n"
        "            [queue 0]\n"
        "            bot: 您前面还有 0 位访客，请耐心等待。\n"
        "            (the last matched output: bot: 您好，欢迎咨询！)\n"
        "  transcript:\n"
        "    bot: 您好，欢迎咨询！\n"
        "    bot: 请选择您需要的服务（回复数字或点击选项）：\n"
        "         1. 售前咨询\n"
        "         2. 售后服务\n"
        "         3. 人工客服\n"
        "    visitor: 2\n"
        "    [queue 0]\n"
        "    bot: 您前面还有 0 位访客，请耐心等待。\n"
        "0 passed, 1 failed\n"
    )


def test_an_invalid_test_file_fails_with_placed_problems(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["test", "flows/reception.holiday.test.yaml", "tests/data/flowtests"]) == 1
    out = capsys.readouterr().out
    assert (
        "  tests/data/flowtests/invalid-references.test.yaml:8:20: error: flow 'reception' " in out
    )
    assert out.splitlines()[-1] == "1 passed, 9 failed"


def test_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "--format", "json", "tests/data/flowtests/no-such-option.test.yaml"]) == 1
    data = json.loads(capsys.readouterr().out)
    (result,) = data["results"]
    assert result["failure"]["got"] == ["options on offer: 售前咨询 | 售后服务 | 人工客服"]
    assert (data["passed"], data["failed"]) == (0, 1)


def test_missing_paths_and_folders_without_tests_exit_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["test", "no/such/folder"]) == 1
    assert "no such file or folder: no/such/folder" in capsys.readouterr().err
    assert main(["test", "schemas"]) == 1
    captured = capsys.readouterr()
    assert "no *.test.yaml under schemas" in captured.err
    assert captured.out == "0 passed, 0 failed\n"


def test_the_installed_command_runs_as_a_module(root: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "chatflow.admin_api.cli",
            "test",
            "flows/keyword_bot.exit.test.yaml",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "1 passed, 0 failed")
