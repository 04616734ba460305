"""The editor's Try panel speaks the page's language: a step that fails is said in zh-CN when
``Accept-Language`` asks for it (the editor sends its page's language), in English otherwise,
and so are the reasons steps are refused."""

from __future__ import annotations

from typing import Any

import pytest
from admin_world import Tenant, World

F = "/api/v1/admin/flows"
NOW = "2026-11-23T10:00:00+08:00"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}

SHOP = """\
id: {flow_id}
start: menu
nodes:
  menu:
    type: menu
    prompt: 请选择
    options:
      - {{label: 售前, next: human}}
      - {{label: 再见, next: bye}}
  human: {{type: transfer, group: support, on_no_agents: bye, next: bye}}
  bye: {{type: end, message: 再见}}
"""


def _try(t: Tenant, flow_id: str, language: dict[str, str], **body: Any) -> Any:
    headers = t.headers() | language
    return t.client.post(f"{F}/{flow_id}/try", headers=headers, json={"now": NOW, **body})


@pytest.mark.parametrize(
    ("steps", "english", "chinese"),
    [
        (
            [{"choice": "退货"}],
            'expected an option button "退货"; got options on offer: 售前 | 再见',
            '预期：有选项按钮 "退货"；实际：可选的选项：售前 | 再见',
        ),
        (
            [{"user": "1"}, {"agent_joins": {"staff_no": "7", "nickname": "Mei"}}, {"choice": "x"}],
            'expected an option button "x"; got no option buttons on offer',
            '预期：有选项按钮 "x"；实际：没有可选的选项按钮',
        ),
        (
            [{"choice": "再见"}, {"user": "还在吗"}],
            'expected the visitor to send "还在吗"; got the session ignored it: ended (reason '
            "flow) at node bye",
            '预期：访客发送 "还在吗"；实际：会话没有接受：已结束（流程结束），在节点 bye',
        ),
    ],
)
def test_a_failed_step_is_said_in_the_language_asked_for(
    shared_world: World, steps: list[dict[str, Any]], english: str, chinese: str
) -> None:
    t = shared_world.acme
    flow_id = t.fresh("trylang")
    text = SHOP.format(flow_id=flow_id)
    answers = {
        name: _try(t, flow_id, language, yaml=text, steps=steps)
        for name, language in (("zh", ZH), ("en", {"Accept-Language": "en-US"}), ("none", {}))
    }
    for response in answers.values():
        assert response.status_code == 200, response.text
        assert "Accept-Language" in response.headers["vary"]
    failed = {name: response.json()["failed"] for name, response in answers.items()}
    step = len(steps) - 1
    assert failed["zh"] == {"step": step, "message": chinese}
    assert failed["en"] == failed["none"] == {"step": step, "message": english}
    assert answers["zh"].headers["content-language"] == "zh-CN"
    assert answers["en"].headers["content-language"] == "en"
    # the rest of the answer does not depend on the language
    rest = [{k: v for k, v in r.json().items() if k != "failed"} for r in answers.values()]
    assert rest[0] == rest[1] == rest[2]


def test_a_try_that_holds_has_nothing_to_word(shared_world: World) -> None:
    t = shared_world.acme
    flow_id = t.fresh("trylang")
    held = _try(t, flow_id, ZH, yaml=SHOP.format(flow_id=flow_id), steps=[{"choice": "售前"}])
    assert held.status_code == 200 and held.json()["failed"] is None
    assert held.json()["status"] == "queued"


def test_refused_steps_are_said_in_the_language_asked_for(shared_world: World) -> None:
    t = shared_world.acme
    flow_id = t.fresh("trylang")
    text = SHOP.format(flow_id=flow_id)
    steps = [{"bot": "请选择"}, {"visitor_ends": False}, {"wait": 2_600_000}]
    chinese = _try(t, flow_id, ZH, yaml=text, steps=steps)
    assert chinese.status_code == 422
    assert chinese.json()["detail"] == "这些步骤无法试运行"
    assert [e["message"] for e in chinese.json()["errors"]] == [
        "'bot' 是对流程的检查，试运行只演示访客、客服和时间的动作（user, choice, wait, "
        "agent_joins, agent, agent_ends, visitor_ends, rate）；请把试运行保存为测试来检查它",
        "'visitor_ends: false' 不起作用；请发送 true 或去掉它",
        "等待到这里累计 2600000 秒；一次试运行最多把时间推进 2592000 秒（30 天）",
    ]
    english = _try(t, flow_id, {}, yaml=text, steps=steps)
    assert english.json()["errors"][1]["message"] == (
        "'visitor_ends: false' does nothing; send true or leave it out"
    )
