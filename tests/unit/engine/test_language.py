from __future__ import annotations

import pytest

from chatflow.engine.errors import DefinitionError
from chatflow.engine.language import FlowLanguage
from chatflow.engine.yamlsource import loads
from chatflow.nodes import LANGUAGE, NODE_TYPES
from chatflow.nodes.menu import MenuNode

FLOW = """\
id: demo
start: welcome
nodes:
  welcome: {type: message, text: "hi", next: menu, colour: red}
  menu:
    type: menu
    prompt: pick
    options:
      - {label: A, next: done}
      - {label: B}
  bad: {type: mesage, text: x, next: done}
  done: {type: end}
"""


def test_every_problem_is_reported_at_its_place_with_what_was_expected() -> None:
    with pytest.raises(DefinitionError) as info:
        LANGUAGE.parse(loads(FLOW, "demo.flow.yaml"))
    got = {(p.line, p.column, p.json_path): p.message for p in info.value.problems}
    assert got[(4, 52, "$.nodes.welcome.colour")].startswith("unknown field 'colour'; expected")
    assert "text, texts, random, next" in got[(4, 52, "$.nodes.welcome.colour")]
    assert got[(10, 9, "$.nodes.menu.options[1]")] == "missing required field 'next'"
    assert got[(11, 15, "$.nodes.bad.type")].startswith("unknown node type 'mesage'")


def test_a_node_without_type_is_told_the_registered_types() -> None:
    text = "id: x\nstart: a\nnodes:\n  a: {text: hi}\n"
    with pytest.raises(DefinitionError) as info:
        LANGUAGE.parse(loads(text))
    (problem,) = info.value.problems
    assert problem.message == "the node has no 'type'; add one of: " + ", ".join(
        LANGUAGE.node_types
    )


def test_a_valid_flow_parses_into_node_models() -> None:
    text = FLOW.replace(", colour: red", "").replace("      - {label: B}\n", "")
    text = text.replace("  bad: {type: mesage, text: x, next: done}\n", "")
    flow = LANGUAGE.parse(loads(text))
    assert isinstance(flow.nodes["menu"], MenuNode)
    assert flow.nodes["menu"].waits_for_input


def test_registering_a_type_twice_is_an_error() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        FlowLanguage((*NODE_TYPES, NODE_TYPES[0]))


def test_an_unknown_node_type_suggests_the_closest_and_lists_the_valid_ones() -> None:
    types = ", ".join(LANGUAGE.node_types)
    for tag, hint in (("mesage", " did you mean 'message'?"), ("zzz", "")):
        text = f"id: x\nstart: a\nnodes:\n  a:\n    type: {tag}\n    text: hi\n"
        with pytest.raises(DefinitionError) as info:
            LANGUAGE.parse(loads(text, "x.flow.yaml"))
        (problem,) = info.value.problems
        assert (problem.line, problem.column, problem.json_path) == (5, 11, "$.nodes.a.type")
        expected = f"unknown node type {tag!r};{hint} " + (
            f"Valid types: {types}" if hint else f"valid types: {types}"
        )
        assert problem.message == expected
