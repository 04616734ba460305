from __future__ import annotations

import math

import pytest

from chatflow.engine.errors import LoadError
from chatflow.engine.yamlsource import json_path, loads


def test_yaml_12_scalars_keep_on_off_yes_no_times_and_dates_as_strings() -> None:
    doc = loads("a: on\nb: off\nc: yes\nd: no\ne: 9:00\nf: 2026-10-01\ng: true\nh: 0x1f\ni: ~\n")
    assert doc.data == {
        "a": "on",
        "b": "off",
        "c": "yes",
        "d": "no",
        "e": "9:00",
        "f": "2026-10-01",
        "g": True,
        "h": 31,
        "i": None,
    }


def test_infinities_and_not_a_number_in_every_spelling() -> None:
    doc = loads("a: [.inf, -.Inf, +.INF, .nan, .NaN, .NAN, 1.5, .5, 1e3]\n")
    a, b, c, d, e, f, *rest = doc.data["a"]
    assert (a, b, c, rest) == (math.inf, -math.inf, math.inf, [1.5, 0.5, 1000.0])
    assert all(math.isnan(x) for x in (d, e, f))


@pytest.mark.parametrize("text", ["a: !!int x", "a: !!float", "a: !!bool x", "a: !!int 0o9"])
def test_a_tagged_value_it_cannot_hold_is_a_placed_problem(text: str) -> None:
    with pytest.raises(LoadError) as info:
        loads(text)
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (1, 4) and "is not a valid" in problem.message


def test_positions_of_keys_and_values_are_one_based() -> None:
    doc = loads("nodes:\n  welcome:\n    next: menu\n    items: [a, b]\n")
    assert doc.position(("nodes", "welcome", "next")) == (3, 11)
    assert doc.position(("nodes", "welcome", "next"), key=True) == (3, 5)
    assert doc.position(("nodes", "welcome", "items", 1)) == (4, 16)
    # an absent path falls back to its nearest parent
    assert doc.position(("nodes", "welcome", "nope")) == (3, 5)


def test_duplicate_key_is_refused_at_its_place() -> None:
    with pytest.raises(LoadError) as info:
        loads("a: 1\nb:\n  c: 1\n  c: 2\n", "f.yaml")
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (4, 3)
    assert "duplicate key 'c'" in problem.message and "line 3" in problem.message


def test_alias_bomb_is_refused_but_small_aliases_work() -> None:
    assert loads("a: &x [1, 2]\nb: *x\n").data == {"a": [1, 2], "b": [1, 2]}
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n"
        for i in range(6)
    )
    with pytest.raises(LoadError) as info:
        loads(bomb)
    assert "alias bomb" in info.value.problems[0].message


def test_syntax_error_reports_line_and_column() -> None:
    with pytest.raises(LoadError) as info:
        loads("a: [1, 2\nb: 3\n", "bad.yaml")
    problem = info.value.problems[0]
    assert problem.line == 2 and problem.message.startswith("YAML syntax")
    assert problem.format().startswith("bad.yaml:2:")


def test_merge_keys_and_custom_tags_are_refused() -> None:
    with pytest.raises(LoadError):
        loads("a: &x {b: 1}\nc:\n  <<: *x\n")
    with pytest.raises(LoadError):
        loads("a: !!python/object:os.system x\n")


def test_json_path() -> None:
    assert json_path(("nodes", "m", "options", 0, "next")) == "$.nodes.m.options[0].next"
    assert json_path(("nodes", "a b")) == "$.nodes['a b']"
