"""The runner around the steps: finding tests, parsing each flow once, results and their report."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from chatflow.engine.flow import FlowBase
from chatflow.engine.language import FlowLanguage
from chatflow.engine.testing import CaseResult, ConversationRunner, RunReport
from chatflow.engine.yamlsource import Document
from chatflow.nodes import LANGUAGE, NODE_TYPES

FLOW = "id: hi\nstart: a\nnodes:\n  a: {type: message, text: hello, next: b}\n  b: {type: end}\n"


class CountingLanguage(FlowLanguage):
    def __init__(self) -> None:
        super().__init__(NODE_TYPES)
        self.parsed: list[str] = []

    def parse(self, doc: Document) -> FlowBase:
        self.parsed.append(doc.source)
        return super().parse(doc)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "hi.flow.yaml").write_text(FLOW, encoding="utf-8")
    tests = tmp_path / "tests" / "deep"
    tests.mkdir(parents=True)
    for n in range(3):
        (tests / f"t{n}.test.yaml").write_text(
            f"flow: hi\nname: test {n}\nsteps:\n  - bot: hello\n", encoding="utf-8"
        )
    (tests / "bad.test.yaml").write_text("flow: hi\nsteps:\n  - bot: goodbye\n", encoding="utf-8")
    return tmp_path


def test_a_run_finds_tests_in_folders_and_parses_each_flow_once(project: Path) -> None:
    language = CountingLanguage()
    report = asyncio.run(ConversationRunner(language).run_paths(["tests", "flows"]))
    assert [(r.name, r.passed) for r in report.results] == [
        ("bad", False),
        ("test 0", True),
        ("test 1", True),
        ("test 2", True),
    ]
    assert language.parsed == ["flows/hi.flow.yaml"]
    assert (report.passed, report.failed, report.exit_code) == (3, 1, 1)


def test_the_text_report_ends_with_the_summary_line(project: Path) -> None:
    report = asyncio.run(ConversationRunner(LANGUAGE).run_paths(["tests/deep/t0.test.yaml"]))
    assert report.text() == "PASS test 0 (tests/deep/t0.test.yaml)\n1 passed, 0 failed\n"
    assert report.exit_code == 0
    failing = asyncio.run(ConversationRunner(LANGUAGE).run_paths(["tests"]))
    assert failing.text().splitlines()[-1] == "3 passed, 1 failed"
    assert failing.text().startswith(
        "FAIL bad (tests/deep/bad.test.yaml)\n"
        "  step 1 (line 3): bot: goodbye\n"
        '  expected: an output containing "goodbye" after the last matched one\n'
        "  got:      bot: hello\n"
        "            [ended flow]\n"
        "  transcript:\n"
        "    bot: hello\n"
        "    [ended flow]\n"
        "PASS test 0 (tests/deep/t0.test.yaml)\n"
    )


def test_the_json_report_has_every_result(project: Path) -> None:
    report = asyncio.run(ConversationRunner(LANGUAGE).run_paths(["tests"]))
    data = json.loads(report.json())
    assert (data["passed"], data["failed"], data["missing"]) == (3, 1, [])
    bad = data["results"][0]
    assert (bad["name"], bad["file"], bad["passed"]) == ("bad", "tests/deep/bad.test.yaml", False)
    assert bad["failure"]["step"] == 1 and bad["failure"]["line"] == 3
    assert bad["failure"]["transcript"] == ["bot: hello", "[ended flow]"]


def test_a_file_named_without_the_suffix_runs_when_it_is_a_test(project: Path) -> None:
    Path("odd.yaml").write_text("flow: hi\nsteps:\n  - bot: hello\n", encoding="utf-8")
    report = asyncio.run(ConversationRunner(LANGUAGE).run_paths(["odd.yaml", "flows/hi.flow.yaml"]))
    assert [(r.file, r.passed) for r in report.results] == [("odd.yaml", True)]


def test_missing_paths_and_empty_runs_exit_1(project: Path) -> None:
    missing = asyncio.run(ConversationRunner(LANGUAGE).run_paths(["nope", "tests"]))
    assert missing.missing == ["nope"] and missing.exit_code == 1
    empty = asyncio.run(ConversationRunner(LANGUAGE).run_paths(["flows"]))
    assert empty.results == [] and empty.exit_code == 1
    assert RunReport().summary() == "0 passed, 0 failed"


def test_an_unknown_flow_is_reported_like_the_validator_does(project: Path) -> None:
    Path("tests/deep/lost.test.yaml").write_text(
        "flow: hii\nsteps:\n  - bot: x\n", encoding="utf-8"
    )
    result = ConversationRunner(LANGUAGE).prepare(Path("tests/deep/lost.test.yaml"))
    assert isinstance(result, CaseResult) and not result.passed
    (problem,) = result.problems
    assert problem.format().startswith(
        "tests/deep/lost.test.yaml:1:7: error: flow 'hii' not found; looked in:"
    )
    assert "Did you mean 'hi'?" in problem.message


def test_a_flow_that_does_not_load_is_named_with_its_problems(project: Path) -> None:
    Path("flows/broken.flow.yaml").write_text("id: broken\nstart: a\nnodes: {}\n")
    Path("tests/deep/b.test.yaml").write_text("flow: broken\nsteps:\n  - bot: x\n")
    result = ConversationRunner(LANGUAGE).prepare(Path("tests/deep/b.test.yaml"))
    assert isinstance(result, CaseResult)
    first, *flow_problems = result.problems
    assert first.message.startswith("flow 'broken' (flows/broken.flow.yaml) does not load")
    assert flow_problems and all(p.path == "flows/broken.flow.yaml" for p in flow_problems)


def test_random_replies_are_the_same_whatever_runs_before(root: Path, tmp_path: Path) -> None:
    """The seeded randomness depends on the session id, which every test shares."""
    probe = tmp_path / "probe.test.yaml"
    probe.write_text(
        f"flow: {root / 'flows' / 'keyword_bot.flow.yaml'}\n"
        "steps:\n  - user: 你好\n  - user: hi\n  - bot: never said\n",
        encoding="utf-8",
    )
    runner = ConversationRunner(LANGUAGE)
    first = asyncio.run(runner.run_paths([probe]))
    later = asyncio.run(runner.run_paths([root / "flows", probe]))
    again = asyncio.run(ConversationRunner(LANGUAGE).run_paths([probe]))
    transcripts = [r.results[-1].failure.transcript for r in (first, later, again)]  # type: ignore[union-attr]
    assert transcripts[0] == transcripts[1] == transcripts[2]
    assert transcripts[0][2] in (
        "bot: 您好！请问有什么可以帮您？",
        "bot: 你好呀，很高兴为您服务，请直接输入您的问题。",
    )
