"""PyYAML's syntax errors in plain words, at PyYAML's own line and column."""

from __future__ import annotations

import pytest

from chatflow.engine import yamlsource
from chatflow.engine.errors import LoadError, Problem
from chatflow.engine.yamlerrors import INDENT, TAB_INDENT
from chatflow.engine.yamlsource import loads


def problem_of(text: str) -> Problem:
    with pytest.raises(LoadError) as info:
        loads(text, "f.yaml")
    (problem,) = info.value.problems
    assert problem.code == "yaml"
    return problem


FLOW_INDENTED = """\
id: a
start: hi
nodes:
  hi:
    type: message
     text: hello
    next: bye
  bye: {type: end}
"""


def test_a_key_indented_one_space_too_far_says_so_at_the_key() -> None:
    problem = problem_of(FLOW_INDENTED)
    assert (problem.line, problem.column) == (6, 6)  # the 't' of text (PyYAML marks its ':')
    assert problem.message == f"YAML syntax: {INDENT}"
    assert "mapping values are not allowed" not in problem.message


def test_a_tab_in_the_indentation_is_named() -> None:
    problem = problem_of("id: a\nnodes:\n  hi:\n\ttype: end\n")
    assert (problem.line, problem.column) == (4, 1)
    assert problem.message == f"YAML syntax: {TAB_INDENT}"


@pytest.mark.parametrize(
    ("text", "place", "words"),
    [
        ("a:\n  b: 1\n c: 2\n", (3, 2), "keys of one mapping must start in the same column"),
        ("a:\n  - x\n - y\n", (3, 2), "the '-' of one list must start in the same column"),
        ("a:\n  b: 1\n  - c\n", (3, 3), "a list item ('- ...') among the keys of a mapping"),
        ("a:\n  - x\n  b: 1\n", (3, 3), "a 'key: value' line among the items of a list"),
        ("a:\n  b: 1\n  c\n  d: 2\n", (4, 3), "line 3 is not 'key: value'"),
        ("text: 注意: 请\n", (1, 9), "a value cannot contain ': '"),
        ("- x\n-\ty\n", (2, 2), "YAML does not allow a tab here; use spaces"),
        ("a:\n  b: 1\n  \tc: 1\n", (3, 3), "tabs are not allowed for indentation"),
        ("text: {{ name }}, hi\n", (1, 17), "a value that starts with '{{' is read as a YAML"),
        ("text: {% if x %}a{% endif %}\n", (1, 8), "a value that starts with '{{' is read as"),
        ('text: "hi" there\n', (1, 12), "more text follows the closing quote"),
        ("text: [a] b\n", (1, 11), "more text follows the closing ']'"),
        ("text: @you\n", (1, 7), "a value cannot start with '@' in YAML"),
        ("text: *bold* hi\n", (1, 12), "a value that starts with '*' is read as a YAML alias"),
        ("a: &\n", (1, 5), "a value that starts with '&' is read as a YAML anchor"),
        ("a: *nope\n", (1, 4), "'*nope' is read as a YAML alias, but no anchor"),
        ('a: "abc\nb: 1\n', (3, 1), "the quote opened at line 1, column 4 is never closed"),
        ("a: [1, 2\nb: 1\n", (2, 2), "the list opened with '[' at line 1, column 4 is not"),
        ("a: {x: 1 y: 2}\n", (1, 11), "the mapping opened with '{' at line 1, column 4"),
        ('a: "\\q"\n', (1, 6), "'\\q' is not an escape of a double-quoted value"),
        ("a: |x\n  y\n", (1, 5), "only '-', '+' or a digit may follow '|' or '>'"),
        ("a: 1\n---\nb: 2\n", (2, 1), "a file holds one YAML document"),
    ],
)
def test_common_mistakes_in_plain_words(text: str, place: tuple[int, int], words: str) -> None:
    problem = problem_of(text)
    assert (problem.line, problem.column) == place
    assert problem.message.startswith("YAML syntax: ") and words in problem.message


def test_an_error_no_rule_knows_keeps_pyyamls_words() -> None:
    problem = problem_of("%x\na: 1\n")
    assert problem.message == "YAML syntax: expected '<document start>', but found '<scalar>'"


def test_a_whole_template_unquoted_is_a_mapping_in_a_mapping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``text: {{ name }}`` reads (as YAML) without a syntax error: the reader names it."""
    text = "nodes:\n  a:\n    text: {{ name }}\n"
    fast = problem_of(text)
    monkeypatch.setattr(yamlsource, "_FastLoader", None)
    assert problem_of(text) == fast
    assert (fast.line, fast.column) == (3, 11)
    assert fast.message.startswith("a value that starts with '{{' is read as a YAML mapping")
    assert fast.message.endswith('like text: "{{ name }}, welcome"')
