"""``chatflow test``: load conversation tests, run each against its flow, collect the results.

Loading goes through the validator's :class:`~chatflow.engine.catalog.Catalog` and test checks,
so a broken test file is reported exactly as ``chatflow validate`` reports it (``path:line:col``)
instead of failing halfway through. Running is cheap by design: each flow file is parsed and its
templates compiled once per run and shared by every test of it; a test only gets a fresh
:class:`~chatflow.engine.testing.stage.Stage` (memory store, frozen clock, HTTP mocks, simulated
agents), all in-process. The flow language is a parameter, as everywhere in the engine.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from chatflow.engine.catalog import (
    Catalog,
    Loaded,
    data_at,
    display_path,
    find_files,
    guess_kind,
)
from chatflow.engine.clock import FrozenClock
from chatflow.engine.deployment import check_test
from chatflow.engine.errors import Problem
from chatflow.engine.flow import FlowBase
from chatflow.engine.flowcache import LoadedFlow
from chatflow.engine.language import FlowLanguage
from chatflow.engine.stores.base import content_version
from chatflow.engine.testfile import ConversationTest
from chatflow.engine.testing.conversation import Mismatch
from chatflow.engine.testing.report import CaseResult, Failure, RunReport, step_text
from chatflow.engine.testing.stage import Stage, record_text
from chatflow.engine.testing.transcript import transcript
from chatflow.engine.yamlsource import Document


@dataclass(frozen=True)
class ReadyFlow:
    """A flow file parsed once for the whole run, with the text and version the store keeps."""

    loaded: LoadedFlow
    text: str


@dataclass
class PreparedTest:
    """A test file that loaded and passed its checks, with its flow ready to run."""

    path: Path
    document: Document
    test: ConversationTest
    flow: ReadyFlow
    start: datetime

    @property
    def name(self) -> str:
        return self.test.name or _stem(self.path)


class ConversationRunner:
    """Runs conversation tests; one per run, so each flow is parsed once (not thread-safe)."""

    def __init__(self, language: FlowLanguage, catalog: Catalog | None = None) -> None:
        self.language = language
        self.catalog = catalog or Catalog(language)
        self._flows: dict[Path, ReadyFlow] = {}

    # -- loading ---------------------------------------------------------------------------------

    def prepare(self, path: Path) -> PreparedTest | CaseResult:
        """Load a test file and its flow; a result listing the problems when either is invalid."""
        loaded = self.catalog.test(path)
        problems = [p for p in loaded.problems if p.severity == "error"]
        test, doc = loaded.model, loaded.document
        if test is None or doc is None:
            return self._invalid(loaded, problems)
        lookup = self.catalog.flow_for_test(loaded)
        assert lookup is not None
        problems += [p for p in check_test(loaded, lookup) if p.severity == "error"]
        flow_file = lookup.flow
        if flow_file is not None and flow_file.model is None:
            problems.append(
                doc.problem(
                    f"flow {test.flow!r} ({flow_file.display}) does not load; its problems follow",
                    ("flow",),
                    code="invalid-flow",
                )
            )
            problems += flow_file.problems
        if problems or flow_file is None or flow_file.model is None:
            return self._invalid(loaded, problems)
        return PreparedTest(
            path,
            doc,
            test,
            self._ready(flow_file.path, flow_file.model),
            FrozenClock(test.now).now(),
        )

    def _ready(self, path: Path, model: FlowBase) -> ReadyFlow:
        key = path.resolve()
        if key not in self._flows:
            text = path.read_text(encoding="utf-8")
            loaded = LoadedFlow.build(model, content_version(text))
            self._flows[key] = ReadyFlow(loaded, text)
        return self._flows[key]

    @staticmethod
    def _invalid(loaded: Loaded[ConversationTest], problems: list[Problem]) -> CaseResult:
        name = data_at(loaded.document, "name")
        problems = sorted(problems, key=lambda p: (p.path != loaded.display, p.line, p.column))
        return CaseResult(
            name if isinstance(name, str) and name else _stem(loaded.path),
            loaded.display,
            problems=problems,
        )

    # -- running ---------------------------------------------------------------------------------

    async def run(self, prepared: PreparedTest) -> CaseResult:
        """Play the test's steps; stop at the first that does not hold."""
        result = CaseResult(prepared.name, display_path(prepared.path))
        started = time.perf_counter()
        try:
            result.failure = await self._play(prepared)
        finally:
            result.seconds = time.perf_counter() - started
        return result

    async def _play(self, prepared: PreparedTest) -> Failure | None:
        test, flow = prepared.test, prepared.flow
        async with Stage(
            self.language,
            flow.loaded,
            flow.text,
            start=prepared.start,
            mocks=test.http,
            groups_online=test.groups_online,
        ) as stage:
            mismatch = await stage.play(test.steps, test.vars, test.opening)
            return None if mismatch is None else self._failure(prepared, mismatch, stage)

    @staticmethod
    def _failure(prepared: PreparedTest, mismatch: Mismatch, stage: Stage) -> Failure:
        http = stage.http
        notes = [f"log: {record_text(r)}" for r in stage.captured.records]
        notes += [
            f"http: no mock answered {r.method.upper()} {r.url}"
            for r in http.requests
            if http.find(r) is None
        ]
        index, line, text = stage.played, 0, ""
        if index:
            line = prepared.document.position(("steps", index - 1))[0]
            text = step_text(prepared.document, index - 1)
        lines = transcript(stage.conversation.frames)
        return Failure(index, line, text, mismatch.expected, mismatch.got, lines, notes)

    async def run_paths(self, paths: Sequence[str | Path]) -> RunReport:
        """Run every ``*.test.yaml`` named or found under the folders named, in file order."""
        report = RunReport()
        found = find_files(paths)
        report.missing = found.missing
        for path, kind in found.files:
            if kind is None:  # named on the command line without the suffix: look inside
                document, _problems = self.catalog.document(path)
                kind = guess_kind(document) if document is not None else None
            if kind != "test":
                continue
            prepared = self.prepare(path)
            result = prepared if isinstance(prepared, CaseResult) else await self.run(prepared)
            report.results.append(result)
        return report


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".test.yaml", ".test.yml", ".yaml", ".yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
