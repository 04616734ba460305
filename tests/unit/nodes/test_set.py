from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from chatflow.engine.effects import SetVars

if TYPE_CHECKING:
    from conftest import Make


def test_each_expression_is_stored_and_the_flow_continues(make: Make) -> None:
    data = {
        "type": "set",
        "vars": {"vip": "score >= 80", "greeting": "'您好 ' ~ name", "n": "1 + 2"},
        "next": "after",
    }
    out = make(data, variables={"score": 90, "name": "张三"}).enter()
    assert out.goto == "after"
    assert out.effects == (SetVars({"vip": True, "greeting": "您好 张三", "n": 3}),)


def test_later_expressions_see_earlier_results(make: Make) -> None:
    data = {
        "type": "set",
        "vars": {"total": "price * qty", "discounted": "total * 0.5", "label": "'共' ~ discounted"},
        "next": "x",
    }
    s = make(data, variables={"price": 10, "qty": 3, "total": 0})
    s.enter()
    assert s.ctx.variables["total"] == 30
    assert s.ctx.variables["discounted"] == 15.0
    assert s.ctx.variables["label"] == "共15.0"


def test_a_variable_may_be_updated_from_its_old_value(make: Make) -> None:
    data = {"type": "set", "vars": {"count": "count + 1"}, "next": "x"}
    s = make(data, variables={"count": 1})
    s.enter()
    s.enter()
    assert s.ctx.variables["count"] == 3


def test_a_failing_expression_keeps_the_old_value_and_is_logged(
    make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    data = {
        "type": "set",
        "vars": {"a": "1 / 0", "b": "a + 1", "c": "missing.attr.chain", "d": "'ok'"},
        "next": "x",
    }
    with caplog.at_level(logging.WARNING, logger="chatflow.nodes"):
        out = make(data, variables={"a": 5, "c": "old"}).enter()
    assert out.effects == (SetVars({"b": 6, "d": "ok"}),)
    assert [r.__dict__["var"] for r in caplog.records] == ["a", "c"]


def test_all_failing_sets_nothing(make: Make) -> None:
    out = make({"type": "set", "vars": {"a": "1 / 0"}, "next": "x"}).enter()
    assert out.goto == "x" and out.effects == ()


def test_system_variables_and_seed_aliases_are_readable(make: Make) -> None:
    data = {
        "type": "set",
        "vars": {"who": "sys.session_id", "alias": "${SystemSessionId}"},
        "next": "x",
    }
    s = make(data, session_id="abc")
    s.enter()
    assert s.ctx.variables["who"] == "abc" and s.ctx.variables["alias"] == "abc"


def test_the_sandbox_still_applies_over_earlier_results(make: Make) -> None:
    data = {
        "type": "set",
        "vars": {"s": "'x'", "big": "s * 100000", "cls": "s.__class__"},
        "next": "x",
    }
    s = make(data)
    (set_vars,) = s.of(s.enter(), SetVars)
    assert dict(set_vars.values) == {"s": "x", "cls": None}  # no repetition bomb, no dunders


@pytest.mark.parametrize(
    "fields",
    [{"vars": {}}, {"vars": {"1bad": "1"}}, {"vars": {"a-b": "1"}}, {"next": None}],
)
def test_bad_config_is_refused(node: Any, fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        node({"type": "set", "vars": {"a": "1"}, "next": "x", **fields})
