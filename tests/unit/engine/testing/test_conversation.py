"""What the steps of a conversation test mean, on small flows written for each rule."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from chatflow.engine.testing import CaseResult, ConversationRunner
from chatflow.engine.testing.conversation import same
from chatflow.nodes import LANGUAGE

FLOW = """\
id: shop
start: hello
vars: {phone: "", score: 0, level: ""}
settings: {idle_timeout: 300, idle_message: "bye at {{ '%02d:%02d' % (sys.now.hour, sys.now.minute) }}"}
interrupts:
  - {keywords: [human], goto: human}
nodes:
  hello: {type: message, texts: [welcome, "second line"], next: menu}
  menu:
    type: menu
    prompt: pick one
    options:
      - {label: Phone, next: phone}
      - {label: Human, next: human}
      - {label: Score, next: lookup}
  phone: {type: form, prompt: "your phone?", var: phone, input: phone, next: size}
  size:
    type: form
    prompt: which size?
    var: level
    input: options
    options: [small, large]
    next: done
  lookup:
    type: http
    url: https://api.example.com/score
    outputs: {score: {path: score, default: -1}}
    next: done
  human: {type: transfer, group: vip, on_no_agents: done, next: rate}
  rate: {type: survey, next: done}
  done: {type: end, message: "done {{ score }}"}
"""


def run_yaml(tmp_path: Path, test: str, flow: str = FLOW) -> CaseResult:
    (tmp_path / "shop.flow.yaml").write_text(flow, encoding="utf-8")
    path = tmp_path / "case.test.yaml"
    path.write_text("flow: shop\n" + textwrap.dedent(test), encoding="utf-8")
    runner = ConversationRunner(LANGUAGE)
    prepared = runner.prepare(path)
    assert not isinstance(prepared, CaseResult), prepared.text()
    return asyncio.run(runner.run(prepared))


def test_bot_steps_keep_order_and_skip_outputs_in_between(tmp_path: Path) -> None:
    result = run_yaml(
        tmp_path,
        """
        steps:
          - bot: welcome
          - bot: pick one
          - bot_exact: "pick one\\n1. Phone\\n2. Human\\n3. Score"
        """,
    )
    assert result.failure is not None and result.failure.step == 3
    assert result.failure.got[0] == "no output since the last matched one"
    assert result.failure.got[1] == "(the last matched output: bot: pick one ...)"
    ok = run_yaml(tmp_path, "steps:\n  - bot: pick one\n  - bot_exact: second line\n")
    assert ok.failure is not None, "second line came before the menu: order is kept"
    skipping = run_yaml(tmp_path, "steps:\n  - bot: welcome\n  - bot_regex: ^pick one\\n1\\.\n")
    assert skipping.passed, skipping.text()


def test_other_frames_match_as_bracketed_lines(tmp_path: Path) -> None:
    result = run_yaml(
        tmp_path,
        """
        steps:
          - user: human
          - bot_exact: "[queue 0]"
          - agent_joins: {staff_no: "7", nickname: Kim}
          - bot_exact: "[agent joined 7 Kim]"
          - agent: hi there
          - bot_exact: hi there
          - agent_ends: true
          - bot: "[survey star 5]"
          - bot_exact: "[survey star 5] 请对本次服务进行评价。"
        """,
    )
    assert result.failure is not None and result.failure.step == 9, result.text()
    assert "[survey star 5] 请对本次服务进行评价。" in result.failure.transcript
    assert "agent: hi there" in result.failure.transcript
    assert "system: " not in "".join(result.failure.transcript)  # no agent_end_message set


def test_wait_fires_each_timer_at_its_due_time(tmp_path: Path) -> None:
    result = run_yaml(
        tmp_path,
        """
        now: "2026-11-23T10:00:00+08:00"
        steps:
          - wait: 299.5
          - expect: {ended: false}
          - wait: 5000
          - bot_exact: bye at 10:05
          - bot: "[ended idle]"
          - expect: {ended: true}
        """,
    )
    assert result.passed, result.text()  # 10:05, not 11:28: the timer fired at its due time


def test_http_mocks_answer_and_unmocked_calls_are_named(tmp_path: Path) -> None:
    answered = run_yaml(
        tmp_path,
        """
        http:
          - match: {url: "https://api.example.com/*", method: post}
            respond: {json: {score: 7}}
        steps:
          - choice: Score
          - bot_exact: done 7
        """,
    )
    assert answered.passed, answered.text()
    unmocked = run_yaml(tmp_path, "steps:\n  - choice: Score\n  - bot_exact: done 7\n")
    assert unmocked.failure is not None
    assert "bot: done -1" in unmocked.failure.got
    assert unmocked.failure.notes == ["http: no mock answered POST https://api.example.com/score"]


def test_groups_online_decides_whether_agents_answer(tmp_path: Path) -> None:
    nobody = run_yaml(tmp_path, "groups_online: []\nsteps:\n  - user: human\n  - bot: done\n")
    assert nobody.passed, nobody.text()
    queued = run_yaml(
        tmp_path,
        "groups_online: [vip]\nsteps:\n  - user: human\n  - expect: {queued: {group: vip}}\n",
    )
    assert queued.passed, queued.text()


def test_expect_lists_every_difference(tmp_path: Path) -> None:
    result = run_yaml(
        tmp_path,
        """
        steps:
          - choice: Phone
          - user: "13800138000"
          - expect: {node: done, vars: {phone: 13800138000, nope: 1}, queued: {group: vip}, ended: true}
        """,
    )
    failure = result.failure
    assert failure is not None and failure.step == 3
    assert failure.expected == (
        "node done, phone = 13800138000, nope = 1, queued for group vip, ended"
    )
    assert failure.got == [
        "node size",
        'phone = "13800138000"',
        "nope is not set",
        "the bot is serving at node size",
    ]


def test_a_choice_must_be_on_offer(tmp_path: Path) -> None:
    result = run_yaml(
        tmp_path,
        """
        steps:
          - choice: Phone
          - user: "13800138000"
          - bot: which size?
          - choice: medium
        """,
    )
    assert result.failure is not None and result.failure.step == 4
    assert result.failure.got == ["options on offer: small | large"]
    assert "     [options: small | large]" in result.failure.transcript
    ok = run_yaml(
        tmp_path, "steps:\n  - choice: Phone\n  - user: '13800138000'\n  - choice: large\n"
    )
    assert ok.passed, ok.text()


def test_events_the_session_ignores_fail_the_step(tmp_path: Path) -> None:
    result = run_yaml(tmp_path, "steps:\n  - visitor_ends: true\n  - rate: 5\n")
    assert result.failure is not None and result.failure.step == 2
    assert result.failure.got == ["the session ignored it: ended (reason visitor) at node menu"]
    early = run_yaml(tmp_path, "steps:\n  - agent: hello\n")
    assert early.failure is not None
    assert early.failure.got == ["the session ignored it: the bot is serving at node menu"]


def test_a_flow_failing_in_a_timer_fails_the_test_with_the_logged_error(tmp_path: Path) -> None:
    looping = """\
id: shop
start: ask
nodes:
  ask: {type: form, prompt: "?", var: x, timeout: 5, on_timeout: a, next: a}
  a: {type: message, text: a, next: b}
  b: {type: message, text: b, next: a}
"""
    result = run_yaml(tmp_path, "steps:\n  - wait: 10\n", flow=looping)
    assert result.failure is not None and result.failure.step == 1
    assert result.failure.got[0].startswith("the flow failed: engine.timer_failed: one TimerFired")


@pytest.mark.parametrize(
    ("actual", "wanted", "equal"),
    [
        (5, 5.0, True),
        ("5", 5, False),
        (True, 1, False),
        ({"a": [1, "x"]}, {"a": [1.0, "x"]}, True),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        ([1, 2], [1], False),
        (None, None, True),
        (None, "", False),
    ],
)
def test_values_compare_as_json(actual: object, wanted: object, equal: bool) -> None:
    assert same(actual, wanted) is equal
