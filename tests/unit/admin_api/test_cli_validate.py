"""``chatflow validate`` on the command line: output, summary, formats and exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatflow.admin_api.cli import main

BAD = "id: bad\nstart: a\nnodes:\n  a: {type: message, text: x, next: b}\n"


def test_errors_exit_1_with_located_lines_and_a_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.flow.yaml").write_text(BAD, encoding="utf-8")
    assert main(["validate", "."]) == 1
    out, err = capsys.readouterr()
    first, second = out.splitlines()
    assert first.startswith("bad.flow.yaml:2:8: error: no path from start 'a' reaches")
    assert second.startswith("bad.flow.yaml:4:37: error: node 'a' continues at 'b'")
    assert second.endswith("[$.nodes.a.next]")
    assert err == "checked 1 file: 2 errors, 0 warnings\n"


def test_json_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.flow.yaml").write_text(BAD, encoding="utf-8")
    assert main(["validate", "--format", "json", "bad.flow.yaml"]) == 1
    problems = json.loads(capsys.readouterr().out)
    assert {p["code"] for p in problems} == {"unknown-node", "no-end"}


def test_warnings_exit_0_unless_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("w.flow.yaml").write_text(
        "id: w\nstart: a\nnodes:\n  a: {type: end}\n  b: {type: end}\n", encoding="utf-8"
    )
    assert main(["validate", "w.flow.yaml"]) == 0
    assert main(["validate", "--strict", "w.flow.yaml"]) == 1


def test_the_shipped_flows_and_demo_validate_strictly(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(root)
    assert main(["validate", "--strict", "flows", "examples/demo"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.endswith(": 0 errors, 0 warnings\n")


FILTERS = """\
id: f
start: a
vars: {x: ''}
nodes:
  a: {type: message, text: "{{ x | uper }}", next: b}
  b:
    type: condition
    branches: [{when: "x | nosuch", next: c}]
    default: c
  c:
    type: end
    message: |
      hello
      {{ 1 is nosuchtest }}
"""


def test_an_unknown_filter_or_test_is_a_located_problem_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("f.flow.yaml").write_text(FILTERS, encoding="utf-8")
    assert main(["validate", "f.flow.yaml"]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(
        "f.flow.yaml:5:28: error: unknown filter 'uper' in this template; known filters: abs,"
    )
    assert lines[0].endswith("Did you mean 'upper'? [$.nodes.a.text]")
    assert lines[1].startswith(
        "f.flow.yaml:8:23: error: unknown filter 'nosuch' in this expression"
    )
    assert lines[2].startswith(
        "f.flow.yaml:14:7: error: unknown test 'nosuchtest' in this template"
    )
    assert err == "checked 1 file: 3 errors, 0 warnings\n"
    assert main(["validate", "--format", "json", "f.flow.yaml"]) == 1
    problems = json.loads(capsys.readouterr().out)
    assert {p["code"] for p in problems} == {"template-syntax"}


def test_a_test_file_the_runner_could_not_use_fails_validate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same checks as ``chatflow test``: a time without offset, a regex that does not compile,
    a step that does nothing."""
    monkeypatch.chdir(tmp_path)
    Path("ok.flow.yaml").write_text("id: ok\nstart: a\nnodes:\n  a: {type: end}\n")
    Path("bad.test.yaml").write_text(
        'flow: ok\nnow: "2026-11-23T10:00:00"\nsteps:\n  - bot_regex: "([a-"\n'
        "  - agent_ends: false\n",
        encoding="utf-8",
    )
    assert main(["validate", "bad.test.yaml"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "bad.test.yaml:2:6: error: 'now' is not a usable time: time '2026-11-23T10:00:00' has no"
        " UTC offset; write it like 2026-11-23T10:00+08:00 [$.now]",
        "bad.test.yaml:4:16: error: not a valid regular expression: unterminated character set"
        " at position 1 [$.steps[0].bot_regex]",
        "bad.test.yaml:5:17: error: 'agent_ends: false' does nothing; write 'agent_ends: true' or"
        " drop the step [$.steps[1].agent_ends]",
    ]
    assert err == "checked 2 files: 3 errors, 0 warnings\n"
    assert main(["test", "bad.test.yaml"]) == 1  # and the runner refuses it with the same lines
    out = capsys.readouterr().out
    assert "bad.test.yaml:2:6: error: 'now' is not a usable time" in out
    assert "bad.test.yaml:4:16: error: not a valid regular expression" in out
    # a flow that cannot be found does not hide the test's own problems
    Path("bad.test.yaml").write_text('flow: nosuch\nnow: "2026-11-23"\nsteps:\n  - bot_regex: x\n')
    assert main(["validate", "bad.test.yaml"]) == 1
    out = capsys.readouterr().out
    assert "bad.test.yaml:1:7: error: flow 'nosuch' not found" in out
    assert "bad.test.yaml:2:6: error: 'now' is not a usable time" in out


def test_a_missing_path_has_no_0_0_in_any_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "nope.flow.yaml"]) == 1
    out, err = capsys.readouterr()
    assert out == "nope.flow.yaml: error: no such file or folder: nope.flow.yaml\n"
    assert err == "checked 0 files: 1 error, 0 warnings\n"
    assert main(["validate", "--format", "github", "nope.flow.yaml"]) == 1
    assert capsys.readouterr().out == (
        "::error file=nope.flow.yaml,title=chatflow validate%3A missing::"
        "no such file or folder: nope.flow.yaml\n"
    )
    assert main(["validate", "--format", "json", "nope.flow.yaml"]) == 1
    (problem,) = json.loads(capsys.readouterr().out)
    assert (problem["line"], problem["column"], problem["code"]) == (0, 0, "missing")


def test_yaml_indentation_node_type_and_expression_mistakes_in_plain_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("indent.flow.yaml").write_text(
        "id: a\nstart: hi\nnodes:\n  hi:\n    type: end\n     message: bye\n", encoding="utf-8"
    )
    Path("type.flow.yaml").write_text(
        "id: b\nstart: hi\nnodes:\n  hi: {type: mesage, text: x}\n", encoding="utf-8"
    )
    Path("when.flow.yaml").write_text(
        "id: c\nstart: hi\nvars: {n: 1}\nnodes:\n  hi:\n    type: condition\n    branches:\n"
        '      - {when: "n >", next: bye}\n    default: bye\n  bye: {type: end}\n',
        encoding="utf-8",
    )
    assert main(["validate", "."]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "indent.flow.yaml:6:6: error: YAML syntax: this line is indented differently from the"
        " lines above it; keys of one mapping must start in the same column",
        "type.flow.yaml:4:14: error: unknown node type 'mesage'; did you mean 'message'? Valid"
        " types: message, business_hours, menu, form, http, condition, set, bot, transfer,"
        " survey, end [$.nodes.hi.type]",
        "when.flow.yaml:8:20: error: expression does not parse: the expression ends after '>';"
        " a value is expected after it [$.nodes.hi.branches[0].when]",
    ]
