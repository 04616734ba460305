"""CI reports of the command line: ``chatflow test --junit-xml`` and ``--format github``."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from chatflow.admin_api.cli import main
from chatflow.admin_api.commands._github import escape_data, escape_property

ODD_FLOW = """\
id: odd
start: hello
nodes:
  hello: {type: message, text: "<b>Tom & Jerry</b> say \\"hi\\" 'there' \\e[1m bold\\x1cend", next: bye}
  bye: {type: end}
"""
ODD_TEST = """\
flow: odd
name: a reply with <markup> & "quotes"
steps:
  - bot: something else
"""
PASSING_TEST = """\
flow: odd
name: the greeting
steps:
  - bot: Tom & Jerry
"""
INVALID_TEST = """\
flow: odd
name: a broken test
steps:
  - {user: hi, wait: 3}
"""
BAD_FLOW = "id: bad\nstart: a\nnodes:\n  a: {type: message, text: x, next: 'b%'}\n"


@pytest.fixture
def odd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a flow whose text XML must escape, and a failing, a passing and an
    invalid test of it; the working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "odd.flow.yaml").write_text(ODD_FLOW, encoding="utf-8")
    (tmp_path / "a-odd.test.yaml").write_text(ODD_TEST, encoding="utf-8")
    (tmp_path / "b-passing.test.yaml").write_text(PASSING_TEST, encoding="utf-8")
    (tmp_path / "c-invalid.test.yaml").write_text(INVALID_TEST, encoding="utf-8")
    return tmp_path


def test_junit_xml_has_a_suite_per_file_and_the_failure_text(
    odd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", "--junit-xml", "reports/chatflow.xml", ".", "no/such/tests"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "1 passed, 2 failed"  # the text output is still printed
    assert 'FAIL a reply with <markup> & "quotes" (a-odd.test.yaml)' in out

    root = ET.parse(odd / "reports" / "chatflow.xml").getroot()
    assert root.tag == "testsuites"
    counts = {key: root.get(key) for key in ("tests", "failures", "errors")}
    assert counts == {"tests": "4", "failures": "1", "errors": "2"}
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "a-odd.test.yaml",
        "b-passing.test.yaml",
        "c-invalid.test.yaml",
        "no/such/tests",
    ]
    assert [(s.get("tests"), s.get("failures"), s.get("errors")) for s in suites] == [
        ("1", "1", "0"),
        ("1", "0", "0"),
        ("1", "0", "1"),
        ("1", "0", "1"),
    ]
    failed, passed, invalid, missing = (s.find("testcase") for s in suites)
    assert failed is not None and passed is not None
    assert invalid is not None and missing is not None

    assert failed.get("classname") == "a-odd.test.yaml"
    assert failed.get("name") == 'a reply with <markup> & "quotes"'
    assert failed.get("line") == "4"
    float(failed.get("time", ""))
    failure = failed.find("failure")
    assert failure is not None
    assert failure.get("message") == (
        "step 1 (line 4): bot: something else; "
        'expected: an output containing "something else" after the last matched one'
    )
    text = failure.text or ""
    assert text.startswith("step 1 (line 4): bot: something else\nexpected: ")
    # The bot's text whole, the control characters (which XML 1.0 cannot hold) written out.
    bot = "bot: <b>Tom & Jerry</b> say \"hi\" 'there' \\x1b[1m bold\\x1cend"
    assert f"got:      {bot}\n" in text
    assert f"transcript:\n  {bot}\n  [ended flow]\n" in text

    assert (passed.get("name"), list(passed)) == ("the greeting", [])
    error = invalid.find("error")
    assert error is not None
    assert (error.get("message") or "").startswith(
        "invalid test file: c-invalid.test.yaml:4:5: error: a step needs exactly one of"
    )
    assert (missing.get("name"), missing.find("error") is not None) == (
        "no such file or folder",
        True,
    )


def test_junit_xml_replaces_the_last_report_and_leaves_no_temporary_file(
    odd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = odd / "out" / "junit.xml"
    report.parent.mkdir()
    report.write_text("an old report", encoding="utf-8")
    assert main(["test", "--junit-xml", str(report), "b-passing.test.yaml"]) == 0
    assert [p.name for p in report.parent.iterdir()] == ["junit.xml"]
    root = ET.parse(report).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("odd.flow.yaml/junit.xml", "odd.flow.yaml is a file, not a folder"),
        ("odd.flow.yaml/deeper/junit.xml", "odd.flow.yaml is a file, not a folder"),
        (".", "that is a folder; name a file"),
    ],
)
def test_an_unwritable_report_path_is_one_line_and_exit_2(
    odd: Path, target: str, reason: str
) -> None:
    command = ["test", "--junit-xml", target, "b-passing.test.yaml"]
    done = subprocess.run(
        [sys.executable, "-m", "chatflow.admin_api.cli", *command],
        cwd=odd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == "PASS the greeting (b-passing.test.yaml)\n1 passed, 0 failed\n"
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"chatflow test: cannot write the JUnit report {target}: ")
    assert line.endswith(reason)


def test_github_annotations_for_validate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad,1.flow.yaml").write_text(BAD_FLOW, encoding="utf-8")
    assert main(["validate", "--format", "github", "."]) == 1
    out, err = capsys.readouterr()
    no_end, unknown = out.splitlines()
    assert no_end.startswith(
        "::error file=bad%2C1.flow.yaml,line=2,col=8,title=chatflow validate%3A no-end::"
        "no path from start 'a' reaches"
    )
    assert unknown.startswith(
        "::error file=bad%2C1.flow.yaml,line=4,col=37,title=chatflow validate%3A unknown-node::"
        "node 'a' continues at 'b%25', but there is no such node"
    )
    assert unknown.endswith(" [$.nodes.a.next]")
    assert err == "checked 1 file: 2 errors, 0 warnings\n"


def test_github_warnings_are_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("w.flow.yaml").write_text(
        "id: w\nstart: a\nnodes:\n  a: {type: end}\n  b: {type: end}\n", encoding="utf-8"
    )
    assert main(["validate", "--format", "github", "w.flow.yaml"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(
        "::warning file=w.flow.yaml,line=5,col=3,title=chatflow validate%3A unreachable::"
    )


def test_github_annotations_for_test(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(root)
    data = "tests/data/flowtests"
    argv = ["test", "--format", "github", "flows/reception.holiday.test.yaml"]
    argv += [f"{data}/wrong-text.test.yaml", f"{data}/runaway-flow.test.yaml"]
    argv += [f"{data}/invalid.test.yaml"]
    assert main(argv) == 1
    passed, wrong_text, runaway, invalid, summary = capsys.readouterr().out.splitlines()
    assert passed == (
        "PASS reception: a public holiday is closed (flows/reception.holiday.test.yaml)"
    )
    # At the failing step's line, the details on one line as GitHub reads them.
    assert wrong_text.startswith(
        f"::error file={data}/wrong-text.test.yaml,line=8,"
        "title=FAIL a bot step that does not match::step 3 (line 8): bot: 售后咨询%0A"
        'expected: an output containing "售后咨询" after the last matched one%0A'
        "got:      bot: 请选择您需要的服务"
    )
    assert "%0Atranscript:%0A  bot: 您好，欢迎咨询！%0A" in wrong_text
    # Failing on start, before any step: the test's own line.
    assert runaway.startswith(
        f"::error file={data}/runaway-flow.test.yaml,line=1,"
        "title=FAIL a flow that never waits::on start, before step 1%0A"
    )
    assert invalid.startswith(
        f"::error file={data}/invalid.test.yaml,line=6,col=5,"
        "title=FAIL an invalid test file%3A invalid test file::a step needs exactly one of"
    )
    assert summary == "1 passed, 3 failed"


def test_github_escaping_follows_the_toolkit() -> None:
    assert escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert escape_property("C:\\a,b%\n") == "C%3A\\a%2Cb%25%0A"
