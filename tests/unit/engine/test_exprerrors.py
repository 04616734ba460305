"""An expression that does not parse says what is missing or wrong, at its character in the file."""

from __future__ import annotations

import pytest

from chatflow.engine.checks import check_flow
from chatflow.engine.errors import Problem
from chatflow.engine.exprerrors import explain
from chatflow.engine.yamlsource import loads
from chatflow.nodes import LANGUAGE


@pytest.mark.parametrize(
    ("source", "message", "at"),
    [
        ("n >", "the expression ends after '>'; a value is expected after it", 3),
        ("n > 1 and", "the expression ends after 'and'; a value is expected after it", 9),
        ("not", "the expression ends after 'not'; a value is expected after it", 3),
        ("n is", "the expression ends after 'is'; a test name is expected after it", 4),
        ("n |", "the expression ends after '|'; a filter name is expected after it", 3),
        ("x.", "the expression ends after '.'; a name is expected after it", 2),
        ("", "the expression is empty; write a condition, like score > 80", 0),
        ("(n > 1", "'(' is never closed; add the ')' that closes it", 0),
        ("x in [1, 2", "'[' is never closed; add the ']' that closes it", 5),
        ("n > 1)", "')' closes nothing; remove it, or add the '(' it should close", 5),
        ("(n > 1]", "']' does not close the '(' before it; write ')'", 6),
        ("n = 1", "'=' is not a comparison; write '==' to compare", 2),
        ("n || m", "'||' is not an operator; write 'or'", 2),
        ("n && m", "'&&' is not an operator; write 'and'", 2),
        ("!n", "'!' is not an operator; write 'not' (or '!=' to compare)", 0),
        ("n 1", "nothing joins 'n' and '1'; put an operator between them", 2),
        ("n > > 1", "a value is expected before '>'", 4),
        ("> 1", "a value is expected before '>'", 0),
        ("n == 'abc", 'the text opened with "\'" is never closed; add the closing "\'"', 5),
        ("n $ 1", "'$' cannot be used in an expression", 2),
    ],
)
def test_what_is_wrong_and_where(source: str, message: str, at: int) -> None:
    found = explain(source)
    assert found is not None
    assert found.message.startswith(message), found.message
    assert found.offset == at


def test_an_expression_that_parses_has_nothing_to_explain() -> None:
    assert explain("score | int >= 80 and vip") is None
    assert explain("sys.last_input in ['是', '对']") is None


def test_an_alias_is_read_as_the_flow_runs_it_but_not_placed() -> None:
    found = explain("${WaitNo} >")
    assert found is not None and found.offset is None
    assert found.message == "the expression ends after '>'; a value is expected after it"


FLOW = """\
id: c
start: a
vars: {n: 1}
nodes:
  a:
    type: condition
    branches:
      - when: "n >"
        next: b
      - {when: n = 1, next: b}
      - when: |
          n and
      - when: ${WaitNo} >
        next: b
    default: b
  b: {type: end}
"""


def problems(text: str) -> list[Problem]:
    doc = loads(text, "c.flow.yaml")
    return check_flow(doc, LANGUAGE.parse(doc), LANGUAGE)


def test_the_column_in_the_expression_is_the_column_in_the_file() -> None:
    text = FLOW.replace("          n and\n", "          n and\n        next: b\n")
    got = {p.json_path: p for p in problems(text)}
    assert set(got) == {f"$.nodes.a.branches[{i}].when" for i in range(4)}
    quoted, plain, block, alias = (got[f"$.nodes.a.branches[{i}].when"] for i in range(4))
    assert (quoted.line, quoted.column) == (8, 19)  # just after the '>' inside the quotes
    assert quoted.message == (
        "expression does not parse: the expression ends after '>'; a value is expected after it"
    )
    assert (plain.line, plain.column) == (10, 18)  # the '='
    assert plain.message.endswith("'=' is not a comparison; write '==' to compare")
    assert (block.line, block.column) == (12, 16)  # after "n and", in the block
    assert block.message.endswith("the expression ends after 'and'; a value is expected after it")
    # a ${name} expression: at the value, as its characters are not the file's
    assert (alias.line, alias.column) == (14, 15)
    assert "unexpected" not in " ".join(p.message for p in got.values())
