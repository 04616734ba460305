from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from chatflow.engine.effects import CancelTimer, Say, SetVars, StartTimer
from chatflow.engine.events import Choice, NoAgents, TimerFired, VisitorText

if TYPE_CHECKING:
    from conftest import Make


def form(**fields: Any) -> dict[str, Any]:
    return {"type": "form", "prompt": "请输入", "var": "answer", "next": "done", **fields}


def text(value: str) -> VisitorText:
    return VisitorText(key="k", text=value)


def answer(make: Make, value: str, **fields: Any) -> Any:
    """What the form stores for ``value`` (None when it refuses it)."""
    s = make(form(**fields))
    s.enter()
    out = s.send(text(value))
    if out.waits:
        return None
    assert out.goto == "done"
    return s.ctx.variables["answer"]


def test_enter_asks_the_rendered_prompt_and_waits(make: Make) -> None:
    s = make(form(prompt="{{ name }}，请留下手机号"), variables={"name": "李四"})
    out = s.enter()
    assert (
        out.waits and out.effects == (Say("李四，请留下手机号"),) and out.state == {"attempts": 0}
    )


def test_options_are_offered_as_buttons(make: Make) -> None:
    out = make(form(input="options", options=["苹果", "西瓜"])).enter()
    assert out.effects == (Say("请输入", options=("苹果", "西瓜")),)


def test_a_valid_answer_is_stored_thanked_and_the_flow_continues(make: Make) -> None:
    s = make(form(success_message="已记录：{{ answer }}"))
    s.enter()
    out = s.send(text("  你好  "))
    assert out.goto == "done"
    assert out.effects == (SetVars({"answer": "你好"}), Say("已记录：你好"))


@pytest.mark.parametrize("value", ["", "   ", "\n"])
def test_text_must_not_be_blank(make: Make, value: str) -> None:
    assert answer(make, value) is None


def test_visitor_text_is_stored_as_data_not_rendered(make: Make) -> None:
    assert answer(make, "{{ 7 * 7 }}") == "{{ 7 * 7 }}"


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("42", 42),
        (" -7 ", -7),
        ("+3", 3),
        ("１２", 12),
        ("3.14", 3.14),
        ("0.5", 0.5),
        (".5", 0.5),
        ("10.", 10.0),
        ("１２．５", 12.5),
    ],
)
def test_number_accepts_integers_and_decimals_and_stores_a_number(
    make: Make, value: str, stored: float
) -> None:
    got = answer(make, value, input="number")
    assert got == stored and type(got) is type(stored)


@pytest.mark.parametrize(
    "value", ["", "abc", "1e5", "1,000", "1 000", "nan", "inf", "0x10", "1.2.3", "-", ".", "9" * 31]
)
def test_number_refuses_what_is_not_a_plain_number(make: Make, value: str) -> None:
    assert answer(make, value, input="number") is None


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("19912345678", "19912345678"),
        ("+1 415 555 2671", "+14155552671"),
        ("+44 20 7946 0958", "+442079460958"),
        ("010-12345678", "01012345678"),
        ("(021) 6234 5678", "02162345678"),
        ("+86 10 1234 5678", "+861012345678"),
        ("1234567", "1234567"),
        ("1380013800", "1380013800"),  # 10 digits: not a CN mobile shape, a generic number
    ],
)
def test_phone_accepts_cn_mobiles_and_international_numbers(
    make: Make, value: str, stored: str
) -> None:
    assert answer(make, value, input="phone") == stored


@pytest.mark.parametrize(
    "value",
    [
        "12345678901",  # 11 digits starting with 1 but not a CN mobile (1[3-9])
        "10012345678",
        "+86 12012345678",
        "123456",  # too short
        "1234567890123456",  # too long
        "138.0013.8000",
        "phone 13800138000",
        "++8613800138000",
        "",
    ],
)
def test_phone_refuses_bad_numbers(make: Make, value: str) -> None:
    assert answer(make, value, input="phone") is None


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("a@example.com", "a@example.com"),
        (" Zhang.San+tag@mail.example.com.cn ", "Zhang.San+tag@mail.example.com.cn"),
        ("ｌｉ＠ｅｘａｍｐｌｅ．ｃｏｍ", "li@example.com"),
    ],
)
def test_email_is_accepted(make: Make, value: str, stored: str) -> None:
    assert answer(make, value, input="email") == stored


@pytest.mark.parametrize(
    "value",
    [
        "a@b",
        "a@@b.com",
        "@b.com",
        "a b@c.com",
        "a@-b.com",
        "a@b..com",
        "a@b.com.",
        "x" * 250 + "@b.com",
    ],
)
def test_email_refuses_bad_addresses(make: Make, value: str) -> None:
    assert answer(make, value, input="email") is None


def test_options_match_leniently_and_store_the_option_as_written(make: Make) -> None:
    fields = {"input": "options", "options": ["苹果", "Water Melon"]}
    assert answer(make, "watermelon", **fields) == "Water Melon"
    assert answer(make, " 苹果 ", **fields) == "苹果"
    assert answer(make, "1", **fields) is None  # options are buttons, not numbered
    assert answer(make, "香蕉", **fields) is None


def test_a_button_choice_answers_an_options_form(make: Make) -> None:
    s = make(form(input="options", options=["苹果", "西瓜"]))
    s.enter()
    assert s.send(Choice(key="c", value="西瓜")).goto == "done"
    assert s.ctx.variables["answer"] == "西瓜"


@pytest.mark.parametrize(
    ("value", "stored"),
    [("AB123", "AB123"), (" AB123 ", "AB123"), ("ＡＢ１２３", "AB123")],
)
def test_regex_must_match_the_whole_answer(make: Make, value: str, stored: str) -> None:
    assert answer(make, value, input="regex", pattern="[A-Z]{2}[0-9]{3}") == stored


@pytest.mark.parametrize("value", ["AB1234", "xAB123", "ab123", "", "A" * 2000])
def test_regex_refuses_a_partial_match(make: Make, value: str) -> None:
    assert answer(make, value, input="regex", pattern="[A-Z]{2}[0-9]{3}|A+") is None


def test_invalid_answer_says_invalid_message_and_counts(make: Make) -> None:
    s = make(form(input="number", invalid_message="请输入数字"))
    s.enter()
    out = s.send(text("abc"))
    assert out.waits and out.effects == (Say("请输入数字"),) and out.state == {"attempts": 1}
    out = s.send(text("def"))
    assert out.state == {"attempts": 2}


def test_invalid_options_answer_shows_the_buttons_again(make: Make) -> None:
    s = make(form(input="options", options=["是", "否"]))
    s.enter()
    out = s.send(text("也许"))
    assert out.effects == (Say("输入格式不正确，请重新输入。", options=("是", "否")),)


def test_after_max_attempts_it_goes_to_on_fail_without_storing(make: Make) -> None:
    s = make(form(input="email", max_attempts=2, on_fail="human"))
    s.enter()
    s.send(text("x"))
    out = s.send(text("y"))
    assert out.goto == "human" and out.effects == ()
    assert "answer" not in s.ctx.variables


def test_without_on_fail_it_keeps_asking(make: Make) -> None:
    s = make(form(input="email", max_attempts=1))
    s.enter()
    for attempt in (1, 2, 3):
        assert s.send(text("x")).state == {"attempts": attempt}
    assert s.send(text("a@b.cn")).goto == "done"


def test_timeout_starts_a_timer_and_fires_to_on_timeout(make: Make) -> None:
    s = make(form(timeout=60, on_timeout="later"), node_id="ask_phone")
    out = s.enter()
    assert StartTimer("ask_phone:timeout", 60) in out.effects
    assert s.send(TimerFired(key="t", name="ask_phone:timeout")).goto == "later"
    assert "answer" not in s.ctx.variables


def test_timeout_without_on_timeout_goes_to_next(make: Make) -> None:
    s = make(form(timeout=60), node_id="f")
    s.enter()
    out = s.send(TimerFired(key="t", name="f:timeout"))
    assert out.goto == "done" and out.effects == ()


def test_a_valid_answer_cancels_the_timer(make: Make) -> None:
    s = make(form(timeout=30), node_id="f")
    s.enter()
    out = s.send(text("hi"))
    assert out.goto == "done" and CancelTimer("f:timeout") in out.effects


def test_an_invalid_answer_restarts_the_timer(make: Make) -> None:
    s = make(form(input="number", timeout=30), node_id="f")
    s.enter()
    out = s.send(text("x"))
    assert out.effects == (Say("输入格式不正确，请重新输入。"), StartTimer("f:timeout", 30))


def test_giving_up_cancels_the_timer(make: Make) -> None:
    s = make(form(input="number", timeout=30, max_attempts=1, on_fail="bye"), node_id="f")
    s.enter()
    assert s.send(text("x")).effects == (CancelTimer("f:timeout"),)


def test_other_timers_and_events_are_ignored(make: Make) -> None:
    s = make(form(timeout=30, on_timeout="later"), node_id="f")
    s.enter()
    s.send(text(""))
    for event in (TimerFired(key="t", name="menu:timeout"), NoAgents(key="n")):
        out = s.send(event)
        assert out.waits and out.effects == () and out.state == {"attempts": 1}


def test_a_timer_without_timeout_configured_is_ignored(make: Make) -> None:
    s = make(form(), node_id="f")
    s.enter()
    assert s.send(TimerFired(key="t", name="f:timeout")).waits


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"input": "options"}, "non-empty 'options'"),
        ({"input": "options", "options": []}, "non-empty 'options'"),
        ({"input": "regex"}, "needs a 'pattern'"),
        ({"input": "regex", "pattern": "(["}, "not a valid regular expression"),
        ({"on_timeout": "x"}, "needs a 'timeout'"),
        ({"timeout": 0}, "greater than 0"),
        ({"max_attempts": 0}, "greater than or equal to 1"),
        ({"var": "1abc"}, "pattern"),
        ({"input": "date"}, "input"),
    ],
)
def test_bad_config_is_refused(node: Any, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        node(form(**fields))


def test_success_message_sees_the_new_answer_and_falls_back_like_any_template(
    make: Make,
) -> None:
    s = make(form(input="number", success_message="{{ answer * 2 }} / {{ answer.x.y }}"))
    s.enter()
    out = s.send(text("21"))
    assert s.said(out) == ["[template failed]"]  # the runtime's fallback, and it is logged
    s = make(form(input="number", success_message="{{ answer * 2 }}"), variables={"answer": 1})
    s.enter()
    assert s.said(s.send(text("21"))) == ["42"]
