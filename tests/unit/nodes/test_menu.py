from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from chatflow.engine.effects import Say
from chatflow.engine.events import Choice, HttpResult, TimerFired, VisitorText

if TYPE_CHECKING:
    from conftest import Make

MENU: dict[str, Any] = {
    "type": "menu",
    "prompt": "{{ name }}您好，请选择您需要的服务：",
    "options": [
        {"label": "售前服务", "keywords": ["售前", "presales"], "next": "pre"},
        {"label": "售后服务", "keywords": ["售后"], "next": "after"},
        {"label": "投诉建议", "next": "complain"},
    ],
}
SHOWN = Say(
    "张三您好，请选择您需要的服务：\n1. 售前服务\n2. 售后服务\n3. 投诉建议",
    options=("售前服务", "售后服务", "投诉建议"),
)


def text(value: str) -> VisitorText:
    return VisitorText(key="k", text=value)


def test_enter_lists_the_options_as_lines_and_buttons_and_waits(make: Make) -> None:
    out = make(MENU, variables={"name": "张三"}).enter()
    assert out.waits
    assert out.effects == (SHOWN,)
    assert out.state == {"attempts": 0}


@pytest.mark.parametrize(
    ("answer", "goto"),
    [
        ("售前服务", "pre"),
        ("  售后服务 ", "after"),
        ("售 后 服 务", "after"),
        ("售前", "pre"),
        ("PreSales", "pre"),
        ("ＰＲＥＳＡＬＥＳ", "pre"),
        ("1", "pre"),
        ("１", "pre"),
        (" 3 ", "complain"),
        ("03", "complain"),
    ],
)
def test_text_matches_label_keyword_or_number(make: Make, answer: str, goto: str) -> None:
    s = make(MENU)
    s.enter()
    out = s.send(text(answer))
    assert out.goto == goto and out.effects == ()


def test_a_button_choice_matches_its_label(make: Make) -> None:
    s = make(MENU)
    s.enter()
    assert s.send(Choice(key="k", value="投诉建议")).goto == "complain"


def test_a_label_or_keyword_that_is_a_number_wins_over_the_position(make: Make) -> None:
    s = make(
        {
            "type": "menu",
            "prompt": "?",
            "options": [
                {"label": "A", "keywords": ["2"], "next": "a"},
                {"label": "1", "next": "b"},
            ],
        }
    )
    s.enter()
    assert s.send(text("2")).goto == "a"
    assert s.send(text("1")).goto == "b"


@pytest.mark.parametrize("answer", ["0", "4", "-1", "1.5", "售", "", "   ", "退款"])
def test_a_wrong_answer_says_invalid_and_shows_the_menu_again(make: Make, answer: str) -> None:
    s = make({**MENU, "invalid_message": "输入有误"}, variables={"name": "张三"})
    s.enter()
    out = s.send(text(answer))
    assert out.waits
    assert out.effects == (Say("输入有误"), SHOWN)
    assert out.state == {"attempts": 1}


def test_after_max_attempts_it_goes_to_on_fail(make: Make) -> None:
    s = make({**MENU, "max_attempts": 2, "on_fail": "human"})
    s.enter()
    assert s.send(text("x")).waits
    assert s.send(HttpResult(key="k", status=200)).state == {"attempts": 1}  # ignored
    out = s.send(text("y"))
    assert out.goto == "human" and out.effects == ()


def test_one_attempt_allowed_fails_at_once(make: Make) -> None:
    s = make({**MENU, "max_attempts": 1, "on_fail": "human"})
    s.enter()
    assert s.send(text("x")).goto == "human"


def test_without_on_fail_it_keeps_asking(make: Make) -> None:
    s = make({**MENU, "max_attempts": 2})
    s.enter()
    for attempt in range(1, 6):
        out = s.send(text("?"))
        assert out.waits and out.state == {"attempts": attempt}
        assert s.said(out)[0] == "抱歉，没有理解您的选择，请回复选项前的数字。"
    assert s.send(text("2")).goto == "after"


def test_other_events_are_ignored_and_keep_the_count(make: Make) -> None:
    s = make(MENU)
    s.enter()
    s.send(text("x"))
    out = s.send(TimerFired(key="t", name="other:timeout"))
    assert out.waits and out.effects == () and out.state == {"attempts": 1}
