from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from chatflow.engine.effects import Say
from chatflow.engine.events import Choice, Rating, TimerFired, VisitorText

if TYPE_CHECKING:
    from conftest import Make

BOT: dict[str, Any] = {
    "type": "bot",
    "prompt": "我是机器人小助手，请问有什么可以帮您？",
    "rules": [
        {"keywords": ["怎么 收费", "价格"], "replies": ["价格请见 https://example.com/price"]},
        {
            "keywords": ["hi"],
            "match": "exact",
            "replies": ["您好 {{ name }}", "还有什么问题？"],
            "mode": "all",
        },
        {"keywords": ["天气"], "replies": ["晴", "雨", "雪"]},
    ],
    "fallback_message": "抱歉，我没有理解，为您转接人工。",
    "fallback": "to_agent",
    "exit_keywords": ["退出", "bye"],
    "exit": "menu",
}


def text(value: str) -> VisitorText:
    return VisitorText(key="k", text=value)


def test_enter_sends_the_prompt_and_waits(make: Make) -> None:
    out = make(BOT).enter()
    assert out.waits and out.effects == (Say("我是机器人小助手，请问有什么可以帮您？"),)


def test_enter_without_prompt_waits_silently(make: Make) -> None:
    out = make({**BOT, "prompt": None}).enter()
    assert out.waits and out.effects == ()


@pytest.mark.parametrize("message", ["请问怎么收费？", "怎么  收费", "价格多少", "ＰＲＩＣＥ价格"])
def test_contains_rule_matches_anywhere_in_the_message(make: Make, message: str) -> None:
    s = make(BOT)
    s.enter()
    out = s.send(text(message))
    assert out.waits and s.said(out) == ["价格请见 https://example.com/price"]


def test_exact_rule_needs_the_whole_message_and_all_mode_sends_every_reply(make: Make) -> None:
    s = make(BOT, variables={"name": "张三"})
    s.enter()
    assert s.said(s.send(text(" HI "))) == ["您好 张三", "还有什么问题？"]
    assert s.send(text("hi there")).goto == "to_agent"


def test_random_mode_sends_one_reply_picked_by_the_context(make: Make) -> None:
    picks = set()
    for seed in range(30):
        s = make(BOT, seed=seed)
        s.enter()
        replies = s.said(s.send(text("今天天气")))
        assert len(replies) == 1
        picks.add(replies[0])
    assert picks == {"晴", "雨", "雪"}


def test_rules_are_tried_in_order(make: Make) -> None:
    s = make(BOT)
    s.enter()
    assert s.said(s.send(text("天气和价格"))) == ["价格请见 https://example.com/price"]


def test_the_bot_stays_after_replying(make: Make) -> None:
    s = make(BOT)
    s.enter()
    for _ in range(3):
        assert s.send(text("价格")).waits


@pytest.mark.parametrize("message", ["退出", "BYE", " b y e "])
def test_an_exit_keyword_as_the_whole_message_leaves(make: Make, message: str) -> None:
    s = make(BOT)
    s.enter()
    out = s.send(text(message))
    assert out.goto == "menu" and out.effects == ()


def test_an_exit_keyword_inside_a_message_is_not_an_exit(make: Make) -> None:
    s = make(BOT)
    s.enter()
    assert s.send(text("我想退出会员")).goto == "to_agent"


def test_no_match_sends_the_fallback_message_and_goes_to_fallback(make: Make) -> None:
    s = make(BOT)
    s.enter()
    out = s.send(text("我要退款"))
    assert out.goto == "to_agent" and s.said(out) == ["抱歉，我没有理解，为您转接人工。"]


def test_no_match_without_fallback_node_says_the_message_and_stays(make: Make) -> None:
    s = make({**BOT, "fallback": None})
    s.enter()
    out = s.send(text("我要退款"))
    assert out.waits and s.said(out) == ["抱歉，我没有理解，为您转接人工。"]


def test_no_match_without_anything_stays_silently(make: Make) -> None:
    s = make({**BOT, "fallback": None, "fallback_message": None})
    s.enter()
    out = s.send(text("我要退款"))
    assert out.waits and out.effects == ()


def test_no_match_with_fallback_only_goes_silently(make: Make) -> None:
    s = make({**BOT, "fallback_message": None})
    s.enter()
    out = s.send(text("我要退款"))
    assert out.goto == "to_agent" and out.effects == ()


def test_a_button_click_is_read_like_text(make: Make) -> None:
    s = make(BOT)
    s.enter()
    assert s.said(s.send(Choice(key="c", value="价格"))) == ["价格请见 https://example.com/price"]


@pytest.mark.parametrize(
    "event", [text(""), text("   "), Rating(key="r", score=5), TimerFired(key="t", name="x:y")]
)
def test_blank_messages_and_other_events_are_ignored(make: Make, event: Any) -> None:
    s = make(BOT)
    s.enter()
    out = s.send(event)
    assert out.waits and out.effects == ()


def test_visitor_text_is_never_rendered_into_replies(make: Make) -> None:
    data = {**BOT, "rules": [{"keywords": ["回声"], "replies": ["你说：{{ sys.last_input }}"]}]}
    s = make(data)
    s.ctx.variables["sys"]["last_input"] = "回声 {{ 7 * 7 }}"
    s.enter()
    assert s.said(s.send(text("回声 {{ 7 * 7 }}"))) == ["你说：回声 {{ 7 * 7 }}"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rules": []}, "at least 1"),
        ({"rules": [{"keywords": [], "replies": ["x"]}]}, "at least 1"),
        ({"rules": [{"keywords": ["a"], "replies": []}]}, "at least 1"),
        ({"rules": [{"keywords": [" "], "replies": ["x"]}]}, "match anything"),
        ({"rules": [{"keywords": ["a"], "replies": ["x"], "match": "fuzzy"}]}, "match"),
        ({"rules": [{"keywords": ["a"], "replies": ["x"], "mode": "one"}]}, "mode"),
        ({"exit_keywords": [""]}, "match anything"),
        ({"exit": None}, "need an 'exit'"),
    ],
)
def test_bad_config_is_refused(node: Any, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        node({**BOT, **fields})
