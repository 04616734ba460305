"""A test's ``opening``: the conversation starts on a visitor message, as the webhook/IM channel
starts one (the engine's ``Start(opening=...)``): the message is the visitor's first line, before
the welcome, and ``sys.last_input``; no node takes it as an answer; an interrupt phrase in it
still jumps after the welcome. ``chatflow validate`` and ``chatflow test`` check the key."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

from chatflow.engine.testing import CaseResult, ConversationRunner
from chatflow.engine.validate import validate_paths
from chatflow.nodes import LANGUAGE

FLOW = """\
id: shop
start: hello
interrupts:
  - {keywords: [人工], goto: human}
nodes:
  hello: {type: message, text: "您好（您说：{{ sys.last_input }}）", next: menu}
  menu:
    type: menu
    prompt: 请选择：
    invalid_message: 您的输入有误
    options:
      - {label: 价格, next: price}
      - {label: 结束, next: bye}
  price: {type: message, text: 99 元, next: menu}
  human: {type: transfer, group: vip, on_no_agents: bye, next: bye}
  bye: {type: end, message: 再见}
"""

MENU = "请选择：\n1. 价格\n2. 结束"
MENU_YAML = MENU.replace("\n", "\\n")
"""The menu as a double-quoted YAML string."""


def write(tmp_path: Path, test: str) -> Path:
    (tmp_path / "shop.flow.yaml").write_text(FLOW, encoding="utf-8")
    path = tmp_path / "case.test.yaml"
    path.write_text("flow: shop\n" + textwrap.dedent(test), encoding="utf-8")
    return path


def run(tmp_path: Path, test: str) -> CaseResult:
    runner = ConversationRunner(LANGUAGE)
    prepared = runner.prepare(write(tmp_path, test))
    assert not isinstance(prepared, CaseResult), prepared.text()
    return asyncio.run(runner.run(prepared))


def test_an_opening_that_looks_like_an_answer_answers_nothing(tmp_path: Path) -> None:
    """Taken as the menu's answer, "2" would end the conversation (and "你好" would be an
    invalid answer): the test holds only because the opening is the trigger."""
    for opening in ("2", "你好"):
        result = run(
            tmp_path,
            f"""
            opening: "{opening}"
            steps:
              - bot_exact: 您好（您说：{opening}）
              - bot_exact: "{MENU_YAML}"
              - expect: {{node: menu, ended: false}}
              - user: "1"
              - bot_exact: 99 元
            """,
        )
        assert result.passed, result.text()


def test_the_opening_is_the_first_line_of_the_transcript(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        opening: "2"
        steps:
          - bot: 再见
        """,
    )
    assert result.failure is not None and result.failure.step == 1
    assert result.failure.transcript == [
        "visitor: 2",
        "bot: 您好（您说：2）",
        *[f"{'bot: ' if n == 0 else '     '}{line}" for n, line in enumerate(MENU.splitlines())],
    ]
    assert "您的输入有误" not in result.text()


def test_an_interrupt_phrase_as_the_opening_jumps_after_the_welcome(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
        opening: 人工
        steps:
          - bot_exact: 您好（您说：人工）
          - bot: 请选择：
          - bot: "[queue 0]"
          - expect: {node: human, queued: {group: vip}}
        """,
    )
    assert result.passed, result.text()


def test_without_an_opening_the_flow_starts_on_its_own(tmp_path: Path) -> None:
    result = run(tmp_path, "steps:\n  - bot_exact: 您好（您说：）\n  - user: '2'\n  - bot: 再见\n")
    assert result.passed, result.text()


def test_validate_and_test_refuse_a_blank_or_non_text_opening(tmp_path: Path) -> None:
    for value, words in [
        ('"  "', "'opening' must not be blank: write the visitor's first message"),
        ('""', "'opening' must not be blank"),
        ("[退款]", "Input should be a valid string"),
    ]:
        path = write(tmp_path, f"opening: {value}\nsteps: [{{bot: 您好}}]\n")
        prepared = ConversationRunner(LANGUAGE).prepare(path)
        assert isinstance(prepared, CaseResult)
        [problem] = prepared.problems
        assert (problem.line, problem.column) == (2, 10), problem.format()
        assert problem.message.startswith(words) or words in problem.message, problem.message
        report = validate_paths([str(path)], LANGUAGE)
        assert [p.format() for p in report.problems] == [problem.format()]
        assert report.exit_code == 1
