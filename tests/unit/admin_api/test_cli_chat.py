"""``chatflow chat``: a scripted conversation through stdin, as a terminal user would type it."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from chatflow.admin_api.cli import main

MONDAY = "2026-11-23T10:00:00+08:00"


def chat(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str, script: str
) -> tuple[int, str]:
    """Run ``chatflow chat`` with ``script`` as stdin (not a terminal: input lines are echoed)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(script))
    code = main(["chat", *args])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.fixture(autouse=True)
def at_root(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)


def test_a_whole_conversation_with_an_agent(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = "1\n/agent-join 1001 Alice\n多少钱\n/agent 99 元\n/agent-end\n/rate 5\n/vars\n"
    code, out = chat(monkeypatch, capsys, "reception", "--now", MONDAY, script=script)
    assert code == 0
    assert out == (
        "bot: 您好，欢迎咨询！\n"
        "bot: 请选择您需要的服务（回复数字或点击选项）：\n"
        "     1. 售前咨询\n"
        "     2. 售后服务\n"
        "     3. 人工客服\n"
        "> 1\n"
        "[queue 0]\n"
        "bot: 您前面还有 0 位访客，请耐心等待。\n"
        "> /agent-join 1001 Alice\n"
        "[agent joined 1001 Alice]\n"
        "bot: 客服 Alice（工号 1001）为您服务。\n"
        "> 多少钱\n"
        "(the agent reads: 多少钱)\n"
        "> /agent 99 元\n"
        "agent: 99 元\n"
        "> /agent-end\n"
        "system: 本次服务已结束，感谢您的支持。\n"
        "[survey star 5] 感谢您使用我们的服务，请对此次服务进行评价！\n"
        "(answer with /rate N or type the score)\n"
        "> /rate 5\n"
        "bot: 感谢您的评价！\n"
        "bot: 感谢您的咨询，再见！\n"
        "[ended flow]\n"
        "(the conversation has ended; /vars shows the variables, /quit leaves)\n"
        "> /vars\n"
        "node: goodbye (ended)\n"
        'vars: {"phone": "", "rating": 5}\n'
    )


def test_wait_moves_the_frozen_clock_and_fires_the_idle_timeout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = chat(
        monkeypatch,
        capsys,
        "flows/reception.flow.yaml",
        "--now",
        MONDAY,
        script="/wait 299\n/wait 1\n",
    )
    assert code == 0
    assert out.splitlines()[-7:] == [
        "> /wait 299",
        "(now 2026-11-23T10:04:59+08:00)",
        "> /wait 1",
        "(now 2026-11-23T10:05:00+08:00)",
        "system: 由于您长时间未回复，本次服务已自动结束，感谢您的支持。",
        "[ended idle]",
        "(the conversation has ended; /vars shows the variables, /quit leaves)",
    ]


def test_the_clock_starts_at_now_so_hours_can_be_tried(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = chat(monkeypatch, capsys, "reception", "--now", "2026-10-01T10:00:00+08:00", script="")
    assert "现在是非服务时间" in out


def test_mocks_from_a_test_file_answer_http_calls(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = chat(
        monkeypatch,
        capsys,
        "course_signup",
        "--mock",
        "flows/course_signup.vip.test.yaml",
        script="13800138000\n/vars\n/quit\nnot read\n",
    )
    assert code == 0
    assert "bot: 您的学习积分为 95，已为您优先安排资深课程顾问。" in out
    assert 'vars: {"course": "math", "phone": "13800138000", "score": "95"}' in out
    assert "not read" not in out


def test_http_goes_through_the_ssrf_guard_without_mocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "guarded.flow.yaml"
    flow.write_text(
        "id: guarded\nstart: call\nnodes:\n"
        "  call: {type: http, url: 'http://127.0.0.1:9/x', next: ok, on_error: failed}\n"
        "  ok: {type: end, message: called}\n"
        "  failed: {type: end, message: 'not called'}\n",
        encoding="utf-8",
    )
    code, out = chat(monkeypatch, capsys, str(flow), script="")
    assert code == 0
    assert out.startswith("bot: not called\n[ended flow]\n")


def test_unlisted_options_are_numbered_and_a_number_clicks_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "size.flow.yaml"
    flow.write_text(
        "id: size\nstart: ask\nvars: {size: ''}\nnodes:\n"
        "  ask: {type: form, prompt: which size?, var: size, input: options,"
        " options: [small, large], next: bye}\n"
        "  bye: {type: end, message: 'got {{ size }}'}\n",
        encoding="utf-8",
    )
    code, out = chat(monkeypatch, capsys, str(flow), "--var", 'size="none"', script="2\n")
    assert code == 0
    assert out == (
        "bot: which size?\n"
        "   1. small\n"
        "   2. large\n"
        "> 2\n"
        "bot: got large\n"
        "[ended flow]\n"
        "(the conversation has ended; /vars shows the variables, /quit leaves)\n"
    )


def test_unknown_commands_and_flows(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = chat(monkeypatch, capsys, "reception", script="/dance\n/wait x\n/end\n")
    assert "(unknown command /dance; /help lists them)" in out
    assert "(usage: /wait SECONDS)" in out
    assert "[ended visitor]" in out
    code, out = chat(monkeypatch, capsys, "no_such_flow", script="")
    assert code == 1
    assert "chatflow chat: no flow file or flow id 'no_such_flow'" in out


def test_piped_into_the_real_command(root: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chatflow.admin_api.cli", "chat", "keyword_bot"],
        cwd=root,
        input="发票\n再见\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == [
        "> 发票",
        'bot: 订单完成后可在"我的订单 > 申请开票"中自助开具电子发票。',
        'bot: 如需纸质发票，请回复"人工"联系客服。',
        "> 再见",
        "bot: 感谢您的咨询，再见！",
        "[ended flow]",
        "(the conversation has ended; /vars shows the variables, /quit leaves)",
    ]
