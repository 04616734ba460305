from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

if TYPE_CHECKING:
    from conftest import Make

COURSES: dict[str, Any] = {
    "type": "condition",
    "branches": [
        {"when": "course == 'chinese'", "next": "chinese"},
        {"when": "course == 'math'", "next": "math"},
        {"when": "score >= 80 and vip", "next": "vip"},
    ],
    "default": "other",
}


@pytest.mark.parametrize(
    ("variables", "goto"),
    [
        ({"course": "chinese", "score": 0, "vip": False}, "chinese"),
        ({"course": "math", "score": 0, "vip": False}, "math"),
        ({"course": "art", "score": 90, "vip": True}, "vip"),
        ({"course": "art", "score": 90, "vip": False}, "other"),
        ({"course": "art", "score": 79, "vip": True}, "other"),
    ],
)
def test_first_true_branch_wins_else_default(
    make: Make, variables: dict[str, Any], goto: str
) -> None:
    out = make(COURSES, variables=variables).enter()
    assert out.goto == goto and out.effects == ()


def test_order_decides_when_several_are_true(make: Make) -> None:
    data = {
        "type": "condition",
        "branches": [{"when": "n > 1", "next": "a"}, {"when": "n > 0", "next": "b"}],
        "default": "c",
    }
    assert make(data, variables={"n": 5}).enter().goto == "a"
    assert make(data, variables={"n": 1}).enter().goto == "b"


@pytest.mark.parametrize(
    ("when", "variables", "goto"),
    [
        ("x", {"x": "non-empty"}, "yes"),
        ("x", {"x": ""}, "no"),
        ("x", {"x": []}, "no"),
        ("x", {"x": 0}, "no"),
        ("undefined_name", {}, "no"),
        ("sys.wait_no == 0", {}, "yes"),
        ("${WaitNo} == 0", {}, "yes"),
        ("phone in ['1', '2']", {"phone": "2"}, "yes"),
        ("not vip", {"vip": False}, "yes"),
        ("a != b or c < d", {"a": 1, "b": 1, "c": 1, "d": 2}, "yes"),
        ("score | int >= 80", {"score": "95"}, "yes"),
    ],
)
def test_expressions_use_python_truth(
    make: Make, when: str, variables: dict[str, Any], goto: str
) -> None:
    data = {"type": "condition", "branches": [{"when": when, "next": "yes"}], "default": "no"}
    assert make(data, variables=variables).enter().goto == goto


def test_a_failing_expression_counts_as_false_and_is_logged(
    make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    data = {
        "type": "condition",
        "branches": [
            {"when": "score > 80", "next": "high"},  # "95" > 80: str vs int
            {"when": "1 / 0", "next": "boom"},
            {"when": "a.b.c", "next": "chain"},
            {"when": "score == '95'", "next": "string"},
        ],
        "default": "default",
    }
    with caplog.at_level(logging.WARNING, logger="chatflow.nodes"):
        out = make(data, variables={"score": "95"}, node_id="route").enter()
    assert out.goto == "string"
    assert [r.getMessage() for r in caplog.records] == ["node.condition_failed"] * 3
    assert [r.__dict__["branch"] for r in caplog.records] == [0, 1, 2]
    assert all(r.__dict__["node_id"] == "route" for r in caplog.records)


def test_all_failing_goes_to_default(make: Make) -> None:
    data = {"type": "condition", "branches": [{"when": "1 +", "next": "x"}], "default": "d"}
    assert make(data).enter().goto == "d"


def test_visitor_text_in_a_variable_is_data(make: Make) -> None:
    data = {
        "type": "condition",
        "branches": [{"when": "q == '{{ 1 }}'", "next": "same"}],
        "default": "d",
    }
    assert make(data, variables={"q": "{{ 1 }}"}).enter().goto == "same"


@pytest.mark.parametrize(
    "fields",
    [{"branches": []}, {"branches": [{"when": "", "next": "a"}]}, {"default": None}],
)
def test_bad_config_is_refused(node: Any, fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        node({**COURSES, **fields})
