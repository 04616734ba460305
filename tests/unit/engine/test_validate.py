"""The validation run: files of every kind, the report, strict mode and the output formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatflow.engine.validate import Report, validate_paths
from chatflow.nodes import LANGUAGE

GOOD = "id: good\nstart: a\nnodes:\n  a: {type: end}\n"
WARN = GOOD + "  b: {type: end}\n"


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def write(path: str, text: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")


def test_a_warning_is_not_an_error_unless_strict() -> None:
    write("w.flow.yaml", WARN)
    report = validate_paths(["w.flow.yaml"], LANGUAGE)
    assert (report.errors, report.warnings, report.exit_code) == (0, 1, 0)
    strict = validate_paths(["w.flow.yaml"], LANGUAGE, strict=True)
    assert (strict.errors, strict.warnings, strict.exit_code) == (1, 0, 1)


def test_problems_of_every_file_are_reported_in_order() -> None:
    write("b.flow.yaml", "id: b\nstart: a\nnodes:\n  a: {type: end, colour: 1}\n")
    write("a.flow.yaml", "id: a\nstart: a\nnodes: {a: {type: end}\n")
    report = validate_paths(["."], LANGUAGE)
    assert [p.path for p in report.problems] == ["a.flow.yaml", "b.flow.yaml"]
    assert report.problems[0].message.startswith("YAML syntax")
    assert (
        report.text()
        .splitlines()[1]
        .startswith(
            "b.flow.yaml:4:18: error: unknown field 'colour'; expected one of: type, label, position"
        )
    )
    assert report.summary() == "checked 2 files: 2 errors, 0 warnings"


def test_missing_paths_empty_folders_and_unrecognised_files() -> None:
    Path("empty").mkdir()
    write("notes.yaml", "a: 1\n")
    write("flow-like.yaml", GOOD)
    report = validate_paths(["nope", "empty", "notes.yaml", "flow-like.yaml"], LANGUAGE)
    messages = {p.path: p.message for p in report.problems}
    assert messages["nope"] == "no such file or folder: nope"
    assert messages["empty"].startswith("no *.flow.yaml, *.test.yaml or chatflow.yaml")
    assert messages["notes.yaml"].startswith("cannot tell what this file is")
    assert "flow-like.yaml" not in messages
    assert report.files == 2


def test_a_schema_comment_must_point_at_a_file() -> None:
    write("schemas/flow.schema.json", "{}")
    write(
        "flows/ok.flow.yaml", "# yaml-language-server: $schema=../schemas/flow.schema.json\n" + GOOD
    )
    write("flows/bad.flow.yaml", "# yaml-language-server: $schema=../schema/flow.json\n" + GOOD)
    write("flows/url.flow.yaml", "# yaml-language-server: $schema=https://x/f.json\n" + GOOD)
    report = validate_paths(["flows"], LANGUAGE)
    assert [(p.path, p.severity) for p in report.problems if p.code == "schema-comment"] == [
        ("flows/bad.flow.yaml", "warning")
    ]
    (bad,) = (p for p in report.problems if p.code == "schema-comment")
    assert bad.message.endswith(
        "relative to this file; `chatflow schema --write` writes them into schemas/."
    )


def test_json_format_is_an_array_of_problem_objects() -> None:
    write("w.flow.yaml", WARN)
    (item,) = json.loads(validate_paths(["w.flow.yaml"], LANGUAGE).json())
    assert item == {
        "message": item["message"],
        "path": "w.flow.yaml",
        "line": 5,
        "column": 3,
        "severity": "warning",
        "json_path": "$.nodes.b",
        "code": "unreachable",
    }
    assert json.loads(Report().json()) == []


def test_many_files_are_checked_in_one_run() -> None:
    for i in range(150):
        write(f"flows/f{i}.flow.yaml", GOOD.replace("good", f"f{i}"))
        write(f"tests/t{i}.test.yaml", f"flow: f{i}\nsteps: [{{expect: {{node: a}}}}]\n")
    report = validate_paths(["."], LANGUAGE)
    assert report.problems == []
    assert report.files == 300


def test_a_place_not_known_is_not_written_as_0_0() -> None:
    """A missing path or --config file and a file that cannot be opened have no line: the text
    line names the file alone, JSON keeps 0."""
    Path("flows").mkdir()
    Path("flows/gone.flow.yaml").symlink_to("nowhere.flow.yaml")  # listed, cannot be opened
    report = validate_paths(["nope", "flows"], LANGUAGE, config="none.yaml")
    assert report.text().splitlines() == [
        "flows/gone.flow.yaml: error: cannot read file: No such file or directory",
        "none.yaml: error: no such config file: none.yaml",
        "nope: error: no such file or folder: nope",
    ]
    assert ":0" not in report.text()
    assert {(p["line"], p["column"], p["code"]) for p in json.loads(report.json())} == {
        (0, 0, "unreadable"),
        (0, 0, "missing"),
    }
