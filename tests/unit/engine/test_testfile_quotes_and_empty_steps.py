"""What ``chatflow validate`` says of a test file where YAML read a text as something else: a
number (or true/false) where a text belongs is asked to be quoted, showing the value as written;
a step key left empty is named at its key. The same wording reaches a flow's fields (zh-CN in
admin_api/check_texts.py)."""

from __future__ import annotations

from pathlib import Path

from chatflow.admin_api.check_texts import check_message
from chatflow.admin_api.problem_language import CHINESE
from chatflow.engine.validate import validate_paths
from chatflow.nodes import LANGUAGE

FLOW = "id: f\nstart: a\nnodes:\n  a: {type: end}\n"


def problems_of(tmp_path: Path, name: str, text: str) -> list[str]:
    (tmp_path / "f.flow.yaml").write_text(FLOW, encoding="utf-8")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    report = validate_paths([str(path)], LANGUAGE)
    prefix = f"{path}:"
    return [p.format().removeprefix(prefix) for p in report.problems]


def test_numbers_and_true_where_a_text_belongs_are_asked_in_quotes(tmp_path: Path) -> None:
    text = (
        "flow: f\n"
        "opening: 2\n"
        "steps:\n"
        "  - user: 1\n"
        "  - user: 2.50   # a price\n"
        "  - choice: true\n"
        "  - {bot: 0x1F}\n"
    )
    assert problems_of(tmp_path, "a.test.yaml", text) == [
        '2:10: error: write the text in quotes: opening: "2" (YAML reads 2 as a number) '
        "[$.opening]",
        '4:11: error: write the text in quotes: user: "1" (YAML reads 1 as a number) '
        "[$.steps[0].user]",
        '5:11: error: write the text in quotes: user: "2.50" (YAML reads 2.50 as a number) '
        "[$.steps[1].user]",
        '6:13: error: write the text in quotes: choice: "true" (YAML reads true as a '
        "true/false value) [$.steps[2].choice]",
        '7:11: error: write the text in quotes: bot: "0x1F" (YAML reads 0x1F as a number) '
        "[$.steps[3].bot]",
    ]


def test_an_empty_step_key_is_named_at_the_key(tmp_path: Path) -> None:
    text = "flow: f\nsteps:\n  - user:\n  - agent_joins:\n  - {}\n"
    assert problems_of(tmp_path, "b.test.yaml", text) == [
        "3:5: error: 'user' is empty; write what the visitor says [$.steps[0].user]",
        "4:5: error: 'agent_joins' is empty; write {} for the default agent, or its staff_no "
        "and nickname [$.steps[1].agent_joins]",
        "5:5: error: a step needs exactly one of: bot, bot_exact, bot_regex, user, choice, wait,"
        " expect, agent_joins, agent, agent_ends, visitor_ends, rate (got none) [$.steps[2]]",
    ]


def test_a_flow_text_written_as_a_number_is_worded_in_zh_cn(tmp_path: Path) -> None:
    flow = "id: g\nstart: a\nnodes:\n  a: {type: message, text: 42, next: b}\n  b: {type: end}\n"
    (tmp_path / "g.flow.yaml").write_text(flow, encoding="utf-8")
    report = validate_paths([str(tmp_path / "g.flow.yaml")], LANGUAGE)
    [message] = [p.message for p in report.problems]
    assert message == 'write the text in quotes: text: "42" (YAML reads 42 as a number)'
    assert (
        check_message(message, CHINESE) == '请把文本放在引号中：text: "42"（YAML 会把 42 读作数字）'
    )
    true = 'write the text in quotes: "true" (YAML reads true as a true/false value)'
    assert (
        check_message(true, CHINESE)
        == '请把文本放在引号中："true"（YAML 会把 true 读作 true/false 值）'
    )
