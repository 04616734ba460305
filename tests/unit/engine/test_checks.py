"""Semantic flow checks: each check alone on a small flow, placed at its line and JSON path."""

from __future__ import annotations

import pytest

from chatflow.engine.checks import GroupScope, check_flow, strongly_connected
from chatflow.engine.errors import Problem
from chatflow.engine.yamlsource import loads
from chatflow.nodes import LANGUAGE

OK = """\
id: ok
start: hello
vars: {phone: ""}
nodes:
  hello: {type: message, text: "hi {{ phone }} {{ sys.channel_name }}", next: ask}
  ask: {type: form, prompt: "phone?", var: phone, input: phone, next: agent}
  agent: {type: transfer, group: presales, next: bye}
  bye: {type: end, message: "bye {{ phone }}"}
"""


def check(text: str, scopes: tuple[GroupScope, ...] = ()) -> list[Problem]:
    doc = loads(text, "t.flow.yaml")
    return check_flow(doc, LANGUAGE.parse(doc), LANGUAGE, group_scopes=scopes, text=text)


def by_path(problems: list[Problem]) -> dict[str, Problem]:
    return {p.json_path: p for p in problems}


def test_a_sound_flow_has_no_problems() -> None:
    assert check(OK) == []


def test_unknown_targets_list_the_nodes_and_suggest_the_closest() -> None:
    text = OK.replace("next: agent}", "next: agnet}").replace("start: hello", "start: helo")
    text += "interrupts: [{keywords: [人工], goto: nobody}]\n"
    got = by_path(check(text))
    assert got["$.start"].line == 2
    assert "start is 'helo'" in got["$.start"].message
    assert "Did you mean 'hello'?" in got["$.start"].message
    target = got["$.nodes.ask.next"]
    assert (target.line, target.code) == (6, "unknown-node")
    assert "existing nodes: hello, ask, agent, bye" in target.message
    assert "Did you mean 'agent'?" in target.message
    assert "goto is 'nobody'" in got["$.interrupts[0].goto"].message


def test_unreachable_nodes_are_warnings_at_their_key() -> None:
    text = OK + "  lost: {type: message, text: x, next: bye}\n"
    (problem,) = check(text)
    assert (problem.severity, problem.line, problem.column) == ("warning", 9, 3)
    assert problem.json_path == "$.nodes.lost"
    assert "unreachable from start 'hello'" in problem.message


def test_interrupt_targets_count_as_reachable() -> None:
    text = OK + "  lost: {type: message, text: x, next: bye}\n"
    text += "interrupts: [{keywords: [人工], goto: lost}]\n"
    assert check(text) == []


def test_a_flow_that_can_never_end_is_an_error() -> None:
    text = """\
id: forever
start: ask
nodes:
  ask: {type: menu, prompt: p, options: [{label: a, next: again}]}
  again: {type: message, text: x, next: ask}
"""
    (problem,) = check(text)
    assert problem.json_path == "$.start"
    assert problem.code == "no-end"
    assert "add a node of type end" in problem.message


def test_loops_that_never_wait_are_errors_naming_the_cycle() -> None:
    text = """\
id: spin
start: a
vars: {n: 0}
nodes:
  a: {type: set, vars: {n: "n + 1"}, next: b}
  b:
    type: condition
    branches: [{when: "n > 3", next: done}]
    default: a
  done: {type: end}
"""
    (problem,) = check(text)
    assert problem.code == "busy-loop"
    assert problem.json_path == "$.nodes.a"
    assert "a -> b -> a" in problem.message


def test_loops_through_a_waiting_node_are_fine() -> None:
    text = """\
id: again
start: ask
nodes:
  ask: {type: menu, prompt: p, options: [{label: a, next: say}, {label: b, next: done}]}
  say: {type: message, text: x, next: ask}
  done: {type: end}
"""
    assert check(text) == []


def test_a_node_that_continues_at_itself_is_a_loop() -> None:
    text = "id: s\nstart: a\nnodes:\n  a: {type: message, text: x, next: a}\n  e: {type: end}\n"
    codes = {p.code for p in check(text)}
    assert "busy-loop" in codes


def test_undeclared_and_unknown_system_variables_are_errors() -> None:
    text = OK.replace("{{ sys.channel_name }}", "{{ sys.chanel_name }} {{ nmae }}")
    got = by_path(check(text))
    problem = got["$.nodes.hello.text"]
    assert problem.line == 5
    messages = [p.message for p in check(text)]
    assert any("unknown system variable 'sys.chanel_name'" in m for m in messages)
    assert any("Did you mean 'channel_name'?" in m for m in messages)
    assert any("variable 'nmae' is used" in m and "vars: {nmae: ''}" in m for m in messages)


def test_seed_aliases_and_assigned_variables_count_as_known() -> None:
    text = OK.replace('"hi {{ phone }} {{ sys.channel_name }}"', '"${ClientAppName} ${phone}"')
    assert check(text) == []


def test_template_syntax_errors_point_inside_a_block_scalar() -> None:
    text = OK.replace(
        '  bye: {type: end, message: "bye {{ phone }}"}\n',
        "  bye:\n    type: end\n    message: |\n      first line\n      {{ phone }\n",
    )
    (problem,) = check(text)
    assert problem.code == "template-syntax"
    assert (problem.line, problem.column) == (12, 7)
    assert "(line 2 of the template)" in problem.message


def test_expressions_are_checked_as_expressions() -> None:
    text = OK.replace(
        "next: agent}",
        "next: route}\n  route: {type: condition, branches: [{when: 'phone ==', next: agent}], default: agent}",
    )
    (problem,) = check(text)
    assert problem.json_path == "$.nodes.route.branches[0].when"
    assert problem.message.startswith("expression does not parse")


def test_groups_are_checked_only_against_given_scopes() -> None:
    scope = GroupScope(frozenset({"aftersales", "presale"}), "chatflow.yaml: merchant acme")
    (problem,) = check(OK, (scope,))
    assert problem.json_path == "$.nodes.agent.group"
    assert "merchant acme" in problem.message
    assert "Did you mean 'presale'?" in problem.message
    assert check(OK, (GroupScope(frozenset({"presales"}), "x"),)) == []


@pytest.mark.parametrize(
    ("graph", "components"),
    [
        ({"a": ["b"], "b": ["a"], "c": []}, [["a", "b"], ["c"]]),
        ({"a": ["a"]}, [["a"]]),
        ({"a": ["b"], "b": ["c"], "c": ["b"]}, [["a"], ["b", "c"]]),
    ],
)
def test_strongly_connected(graph: dict[str, list[str]], components: list[list[str]]) -> None:
    assert sorted(sorted(c) for c in strongly_connected(graph)) == components


def test_strongly_connected_handles_long_chains_without_recursion() -> None:
    graph = {str(i): [str(i + 1)] for i in range(5000)}
    graph["5000"] = ["0"]
    (component,) = strongly_connected(graph)
    assert len(component) == 5001


def test_a_variable_named_sys_is_refused_where_it_is_named() -> None:
    text = OK.replace("var: phone", "var: sys").replace(
        'vars: {phone: ""}', 'vars: {phone: "", sys: 1}'
    )
    text += "  tag: {type: set, vars: {sys: x}, next: bye}\n"
    got = {p.json_path: p for p in check(text) if p.code == "reserved-variable"}
    assert set(got) == {"$.vars.sys", "$.nodes.ask.var", "$.nodes.tag.vars.sys"}
    assert "reserved for the system variables" in got["$.nodes.ask.var"].message
    assert got["$.nodes.ask.var"].line == 6
