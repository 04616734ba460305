"""The editor's Try: input steps played on a flow, what it answers, and the try saved as a test."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from chatflow.engine.testfile import Step
from chatflow.engine.testing import CaseResult, ConversationRunner, Trial, as_test, play
from chatflow.engine.testing.trial import MAX_STEPS, refusals
from chatflow.engine.yamlsource import loads
from chatflow.nodes import LANGUAGE

ROOT = Path(__file__).resolve().parents[4]
RECEPTION = (ROOT / "flows" / "reception.flow.yaml").read_text(encoding="utf-8")
MONDAY = datetime.fromisoformat("2026-11-23T10:00:00+08:00")

LOOKUP = """\
id: lookup
start: ask
nodes:
  ask:
    type: http
    method: GET
    url: https://api.example.com/score
    outputs: {score: {path: score, default: -1}}
    next: good
    on_error: sorry
  good: {type: end, message: "score {{ score }}"}
  sorry: {type: end, message: "the service is down"}
"""

STEPS = TypeAdapter(list[Step])


def steps(*raw: dict[str, Any]) -> list[Step]:
    return STEPS.validate_python(raw)


def run(
    text: str,
    *raw: dict[str, Any],
    now: datetime = MONDAY,
    variables: dict[str, Any] | None = None,
    groups_online: list[str] | None = None,
) -> Trial:
    flow = LANGUAGE.parse(loads(text))
    return asyncio.run(
        play(
            LANGUAGE,
            flow,
            text,
            steps(*raw),
            now=now,
            variables=variables or {},
            groups_online=groups_online,
        )
    )


def test_a_menu_choice_queues_the_visitor() -> None:
    trial = run(RECEPTION, {"choice": "售前咨询"})
    assert trial.failed is None
    assert trial.transcript[:2] == [
        "bot: 您好，欢迎咨询！",
        "bot: 请选择您需要的服务（回复数字或点击选项）：",
    ]
    assert "visitor: 售前咨询" in trial.transcript and "[queue 0]" in trial.transcript
    assert (trial.node, trial.status) == ("to_presales", "queued")
    assert trial.frames[0]["type"] == "message" and trial.frames[0]["seq"] == 1
    assert trial.variables["phone"] == "" and trial.http_requests == []


def test_an_option_not_on_offer_fails_its_step_and_stops() -> None:
    trial = run(RECEPTION, {"user": "hello"}, {"choice": "退货"}, {"choice": "售后服务"})
    assert trial.failed is not None and trial.failed.step == 1
    assert trial.failed.message.startswith('expected an option button "退货"; got options on offer')
    assert "售前咨询 | 售后服务 | 人工客服" in trial.failed.message
    assert trial.node == "menu" and "visitor: 售后服务" not in trial.transcript
    assert trial.test_yaml is not None and "退货" not in trial.test_yaml


def test_a_wait_fires_the_idle_timeout() -> None:
    trial = run(RECEPTION, {"wait": 299})
    assert trial.status == "active"
    assert not any("长时间未回复" in line for line in trial.transcript)
    trial = run(RECEPTION, {"wait": 300})
    assert trial.failed is None and trial.status == "ended"
    assert trial.transcript[-2:] == [
        "system: 由于您长时间未回复，本次服务已自动结束，感谢您的支持。",
        "[ended idle]",
    ]
    assert trial.frames[-1]["at"].startswith("2026-11-23T02:05:00")


def test_an_agent_joins_speaks_and_ends() -> None:
    trial = run(
        RECEPTION,
        {"user": "1"},
        {"agent_joins": {"staff_no": "7", "nickname": "Mei"}},
        {"agent": "您好"},
        {"user": "多少钱？"},
        {"agent_ends": True},
        {"rate": 5},
    )
    assert trial.failed is None
    lines = trial.transcript
    assert lines.index("[agent joined 7 Mei]") < lines.index("agent: 您好")
    assert "visitor: 多少钱？" in lines and lines[-1] == "[ended flow]"
    assert (trial.node, trial.status, trial.variables["rating"]) == ("goodbye", "ended", 5)


def test_nobody_online_takes_the_no_agents_path() -> None:
    trial = run(RECEPTION, {"user": "1"}, {"user": "13800138000"}, groups_online=[])
    assert trial.failed is None and "bot: 抱歉，客服暂时无法接待。" in trial.transcript
    assert trial.variables["phone"] == "13800138000" and trial.status == "ended"


def test_an_http_node_has_no_network_and_takes_its_error_path() -> None:
    trial = run(LOOKUP)
    assert trial.failed is None
    assert trial.http_requests == [("GET", "https://api.example.com/score")]
    assert trial.transcript[0] == "bot: the service is down" and trial.node == "sorry"


def test_an_agent_step_without_an_agent_fails() -> None:
    trial = run(RECEPTION, {"agent": "hi"})
    assert trial.failed is not None and trial.failed.step == 0
    assert "the session ignored it: the bot is serving at node menu" in trial.failed.message


def test_a_flow_that_fails_to_start_has_no_step_and_no_test() -> None:
    text = "id: bad\nstart: a\nnodes:\n  a: {type: set, vars: {n: '1'}, next: a}\n"
    trial = run(text, {"user": "x"})
    assert trial.failed is not None and trial.failed.step is None
    assert trial.failed.message.startswith("expected the flow to start; got the flow failed")
    assert trial.test_yaml is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"bot": "hi"}, "step 1: 'bot' checks the flow"),
        ({"expect": {"node": "menu"}}, "step 1: 'expect' checks the flow"),
        ({"agent_ends": False}, "step 1: 'agent_ends: false' does nothing"),
        ({"wait": 2_592_001}, "step 1: the waits add up to 2592001 seconds here"),
    ],
)
def test_checks_and_unbounded_work_are_refused(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        run(RECEPTION, {"user": "1"}, raw)
    assert str(caught.value).startswith(message)


def test_the_bounds_are_counted_over_all_steps() -> None:
    month = [{"wait": 1_296_000}, {"wait": 1_296_000}, {"wait": 1}, {"wait": 5}]
    [refusal] = refusals(steps(*month))
    assert (refusal.step, refusal.field) == (2, "wait")
    [refusal] = refusals(steps(*[{"user": "x"}] * (MAX_STEPS + 1)))
    assert refusal.step is None and "at most 200 steps, not 201" in refusal.message
    assert refusals(steps(*[{"user": "x"}] * MAX_STEPS)) == []


def test_as_test_needs_a_turn_per_step_and_something_to_replay() -> None:
    with pytest.raises(ValueError, match="1 steps need 2 turns, not 1"):
        as_test("x", steps({"user": "a"}), [[]], now=MONDAY, variables={}, groups_online=None)
    with pytest.raises(ValueError, match="nothing to replay"):
        as_test("x", [], [[]], now=MONDAY, variables={}, groups_online=None)


def test_a_try_saved_as_a_test_passes_chatflow_test(tmp_path: Path) -> None:
    trial = run(
        RECEPTION,
        {"choice": "售后服务"},
        {"agent_joins": {"staff_no": "7", "nickname": "Mei"}},
        {"agent": "请问哪里坏了？\n拍张照片？"},
        {"agent_ends": True},
        {"wait": 3600},
        variables={"phone": "unknown"},
        groups_online=["aftersales"],
    )
    assert trial.failed is None and trial.test_yaml is not None
    # nobody online for presales: the phone form, a wrong answer and a right one
    form = run(RECEPTION, {"user": "1"}, {"user": "12"}, {"user": "13800138000"}, groups_online=[])
    assert form.failed is None and form.test_yaml is not None
    (tmp_path / "reception.flow.yaml").write_text(RECEPTION, encoding="utf-8")
    runner = ConversationRunner(LANGUAGE)
    for name, text in (("agent", trial.test_yaml), ("form", form.test_yaml)):
        path = tmp_path / f"reception.{name}.test.yaml"
        path.write_text(text, encoding="utf-8")
        prepared = runner.prepare(path)
        assert not isinstance(prepared, CaseResult), prepared.text()
        result = asyncio.run(runner.run(prepared))
        assert result.passed, result.text()
    data = loads(trial.test_yaml).data
    assert (data["flow"], data["now"], data["vars"]) == (
        "reception",
        MONDAY.isoformat(),
        {"phone": "unknown"},
    )
    assert data["groups_online"] == ["aftersales"]
    assert data["steps"][:3] == [
        {"bot": "您好，欢迎咨询！"},
        {"bot": data["steps"][1]["bot"]},
        {"choice": "售后服务"},
    ]
    assert {"agent": "请问哪里坏了？\n拍张照片？"} in data["steps"]
    assert {"bot": "请问哪里坏了？\n拍张照片？"} in data["steps"]
    assert {"wait": 3600} in data["steps"] and {"agent_ends": True} in data["steps"]
    assert "  - bot: |-\n      请问哪里坏了？\n      拍张照片？\n" in trial.test_yaml
    # each saved test ends where its try got to, so `chatflow test` checks that too
    assert data["steps"][-1] == {"expect": {"node": trial.node, "ended": True}}
    form_end = loads(form.test_yaml).data["steps"][-1]
    assert form_end == {"expect": {"node": "goodbye", "ended": True}}
    queued = run(RECEPTION, {"choice": "售前咨询"})
    assert queued.status == "queued" and queued.test_yaml is not None
    queued_end = loads(queued.test_yaml).data["steps"][-1]
    assert queued_end == {
        "expect": {"node": queued.node, "queued": {"group": "presales"}, "ended": False}
    }
    path = tmp_path / "reception.queued.test.yaml"
    path.write_text(queued.test_yaml, encoding="utf-8")
    prepared = runner.prepare(path)
    assert not isinstance(prepared, CaseResult), prepared.text()
    assert asyncio.run(runner.run(prepared)).passed


def test_a_failed_try_saves_the_steps_that_held(tmp_path: Path) -> None:
    trial = run(RECEPTION, {"user": "2"}, {"choice": "售前咨询"})
    assert trial.failed is not None and trial.failed.step == 1 and trial.test_yaml is not None
    data = loads(trial.test_yaml).data
    assert [s for s in data["steps"] if "bot" not in s] == [{"user": "2"}]
    assert "expect" not in trial.test_yaml, "the try went on past the steps that held"
    (tmp_path / "reception.flow.yaml").write_text(RECEPTION, encoding="utf-8")
    path = tmp_path / "reception.failed.test.yaml"
    path.write_text(trial.test_yaml, encoding="utf-8")
    runner = ConversationRunner(LANGUAGE)
    prepared = runner.prepare(path)
    assert not isinstance(prepared, CaseResult), prepared.text()
    assert asyncio.run(runner.run(prepared)).passed
