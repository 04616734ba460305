from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from chatflow.engine.effects import CancelTimer, Say, SetVars, ShowSurvey, StartTimer
from chatflow.engine.events import Choice, NoAgents, Rating, TimerFired, VisitorText

if TYPE_CHECKING:
    from conftest import Make

SURVEY: dict[str, Any] = {
    "type": "survey",
    "levels": 5,
    "labels": ["很不满意", "不满意", "一般", "满意", "非常满意"],
    "prompt": "{{ name }}，请对本次服务进行评价。",
    "valid_for": 3600,
    "var": "score",
    "next": "bye",
}


def rate(score: int) -> Rating:
    return Rating(key=f"r{score}", score=score)


def text(value: str) -> VisitorText:
    return VisitorText(key="v", text=value)


def test_enter_shows_the_survey_and_starts_the_validity_timer(make: Make) -> None:
    s = make(SURVEY, variables={"name": "张三"}, node_id="rate")
    out = s.enter()
    assert out.waits
    assert out.effects == (
        ShowSurvey("star", 5, tuple(SURVEY["labels"]), "张三，请对本次服务进行评价。"),
        StartTimer("rate:valid", 3600),
    )
    assert out.state == {"entered_at": s.ctx.now.isoformat()}


def test_defaults(make: Make) -> None:
    out = make({"type": "survey"}).enter()
    assert out.effects[0] == ShowSurvey("star", 5, (), "请对本次服务进行评价。")
    assert out.effects[1] == StartTimer("node:valid", 86400)


@pytest.mark.parametrize("score", [1, 3, 5])
def test_a_rating_in_range_is_stored_thanked_and_the_flow_continues(make: Make, score: int) -> None:
    s = make({**SURVEY, "thanks": "感谢您的 {{ score }} 分评价！"}, node_id="rate")
    s.enter()
    out = s.send(rate(score))
    assert out.goto == "bye"
    assert out.effects == (
        SetVars({"score": score}),
        CancelTimer("rate:valid"),
        Say(f"感谢您的 {score} 分评价！"),
    )


def test_without_next_a_rating_ends_the_session(make: Make) -> None:
    s = make({**SURVEY, "next": None})
    s.enter()
    out = s.send(rate(4))
    assert out.end == "flow" and s.said(out) == ["感谢您的评价！"]


def test_no_thanks_configured_says_nothing(make: Make) -> None:
    s = make({**SURVEY, "thanks": None})
    s.enter()
    assert s.said(s.send(rate(4))) == []


@pytest.mark.parametrize(
    ("answer", "score"),
    [("4", 4), ("１", 1), (" 5 ", 5), ("满意", 4), ("非常 满意", 5), ("很不满意", 1)],
)
def test_typed_numbers_and_labels_rate(make: Make, answer: str, score: int) -> None:
    s = make(SURVEY)
    s.enter()
    assert s.send(text(answer)).goto == "bye"
    assert s.ctx.variables["score"] == score


def test_a_button_with_a_label_rates(make: Make) -> None:
    s = make(SURVEY)
    s.enter()
    assert s.send(Choice(key="c", value="一般")).goto == "bye"
    assert s.ctx.variables["score"] == 3


@pytest.mark.parametrize(
    "event", [rate(0), rate(6), rate(-1), text("0"), text("6"), text("很好"), text("4.5"), text("")]
)
def test_out_of_range_or_not_a_score_asks_again(make: Make, event: Any) -> None:
    s = make(SURVEY)
    entered = s.enter().state
    out = s.send(event)
    assert out.waits and s.said(out) == ["请选择 1 到 5 之间的评分。"]
    assert out.state == entered and "score" not in s.ctx.variables


def test_invalid_message_default_follows_levels_and_can_be_replaced(make: Make) -> None:
    s = make({"type": "survey", "style": "number", "levels": 10})
    s.enter()
    assert s.said(s.send(rate(11))) == ["请选择 1 到 10 之间的评分。"]
    s = make({**SURVEY, "invalid_message": "请打 1-5 分"})
    s.enter()
    assert s.said(s.send(rate(9))) == ["请打 1-5 分"]


def test_the_validity_timer_moves_on_silently(make: Make) -> None:
    s = make(SURVEY, node_id="rate")
    s.enter()
    out = s.send(TimerFired(key="t", name="rate:valid"))
    assert out.goto == "bye" and out.effects == ()
    s = make({**SURVEY, "next": None}, node_id="rate")
    s.enter()
    out = s.send(TimerFired(key="t", name="rate:valid"))
    assert out.end == "flow" and out.effects == ()


def test_a_rating_after_the_validity_window_is_expired(make: Make) -> None:
    s = make(SURVEY, node_id="rate")
    s.enter()
    s.later(3600)
    out = s.send(rate(5))
    assert out.goto == "bye"
    assert out.effects == (Say("评价已过期，感谢您的支持。"), CancelTimer("rate:valid"))
    assert "score" not in s.ctx.variables


def test_a_rating_just_inside_the_window_counts(make: Make) -> None:
    s = make(SURVEY)
    s.enter()
    s.later(3599)
    assert s.send(rate(5)).goto == "bye" and s.ctx.variables["score"] == 5


def test_expired_without_message_moves_on_silently(make: Make) -> None:
    s = make({**SURVEY, "expired_message": None, "next": None})
    s.enter()
    s.later(7200)
    out = s.send(text("5"))
    assert out.end == "flow" and s.said(out) == []


@pytest.mark.parametrize("event", [TimerFired(key="t", name="other:valid"), NoAgents(key="n")])
def test_other_events_are_ignored(make: Make, event: Any) -> None:
    s = make(SURVEY)
    state = s.enter().state
    out = s.send(event)
    assert out.waits and out.effects == () and out.state == state


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"levels": 0}, "greater than or equal to 1"),
        ({"levels": 11}, "less than or equal to 10"),
        ({"labels": ["a", "b"]}, "'labels' has 2 names but 'levels' is 5"),
        ({"style": "emoji"}, "style"),
        ({"valid_for": 0}, "greater than 0"),
        ({"var": "a b"}, "pattern"),
    ],
)
def test_bad_config_is_refused(node: Any, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        node({**SURVEY, **fields})
