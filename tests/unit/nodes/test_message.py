from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from chatflow.engine.effects import Say

if TYPE_CHECKING:
    from conftest import Make


def test_text_is_rendered_and_the_flow_continues(make: Make) -> None:
    s = make(
        {"type": "message", "text": "您好 {{ name }}", "next": "menu"}, variables={"name": "张三"}
    )
    out = s.enter()
    assert out.goto == "menu"
    assert out.effects == (Say("您好 张三"),)


def test_seed_aliases_render(make: Make) -> None:
    s = make({"type": "message", "text": "会话 ${SystemSessionId}", "next": "x"}, session_id="abc")
    assert s.said(s.enter()) == ["会话 abc"]


def test_texts_are_sent_in_order(make: Make) -> None:
    s = make(
        {"type": "message", "texts": ["一", "二 {{ n }}", "三"], "next": "x"}, variables={"n": 2}
    )
    assert s.said(s.enter()) == ["一", "二 2", "三"]


def test_random_sends_exactly_one_picked_by_the_context(make: Make) -> None:
    data = {"type": "message", "random": ["a", "b", "c", "d"], "next": "x"}
    picks = []
    for seed in range(40):
        s = make(data, seed=seed)
        out = s.enter()
        assert out.goto == "x" and len(s.said(out)) == 1
        picks.append(s.said(out)[0])
    assert set(picks) == {"a", "b", "c", "d"}
    again = [make(data, seed=seed).enter().effects[0] for seed in range(40)]
    assert [e.text for e in again if isinstance(e, Say)] == picks


def test_a_template_rendering_blank_is_not_sent(make: Make) -> None:
    data = {"type": "message", "texts": ["{% if vip %}尊贵的会员{% endif %}", "您好"], "next": "x"}
    s = make(data, variables={"vip": False})
    assert s.said(s.enter()) == ["您好"]


def test_a_failing_template_sends_the_context_fallback(make: Make) -> None:
    s = make({"type": "message", "text": "{{ 1 / 0 }}", "next": "x"})
    out = s.enter()
    assert out.goto == "x" and s.said(out) == ["[template failed]"]
    assert s.ctx.render_failures == ["{{ 1 / 0 }}"]


def test_visitor_data_is_never_compiled(make: Make) -> None:
    s = make({"type": "message", "text": "你说：{{ sys.last_input }}", "next": "x"})
    s.ctx.variables["sys"]["last_input"] = "{{ 7 * 7 }}"
    assert s.said(s.enter()) == ["你说：{{ 7 * 7 }}"]


@pytest.mark.parametrize(
    "fields",
    [{}, {"text": "a", "texts": ["b"]}, {"texts": []}, {"random": []}],
)
def test_exactly_one_kind_of_text(node: Any, fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        node({"type": "message", "next": "x", **fields})
