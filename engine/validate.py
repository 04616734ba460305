"""``chatflow validate``: check flow, test and config files and report every problem at once.

The front of the engine that CI talks to. It finds files (:mod:`~chatflow.engine.catalog`), parses
each once, runs the flow checks (:mod:`~chatflow.engine.checks`) and the deployment and test-file
checks (:mod:`~chatflow.engine.deployment`), and returns a :class:`Report`. The flow language is a
parameter: the engine never imports the node types.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from chatflow.engine.catalog import (
    Catalog,
    FlowIndex,
    Kind,
    Loaded,
    display_path,
    find_files,
    flow_id_of,
    guess_kind,
)
from chatflow.engine.checks import GroupScope, check_flow
from chatflow.engine.config import DeploymentConfig
from chatflow.engine.deployment import check_config, check_test, flows_folder, group_scope
from chatflow.engine.errors import Problem
from chatflow.engine.flow import FlowBase
from chatflow.engine.language import FlowLanguage
from chatflow.engine.yamlsource import Document


@dataclass
class Report:
    """Everything ``validate`` found."""

    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    """How many files were checked."""

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == "warning")

    @property
    def exit_code(self) -> int:
        """1 when there is an error, else 0."""
        return 1 if self.errors else 0

    def summary(self) -> str:
        def plural(n: int, word: str) -> str:
            return f"{n} {word}{'' if n == 1 else 's'}"

        return (
            f"checked {plural(self.files, 'file')}: {plural(self.errors, 'error')}, "
            f"{plural(self.warnings, 'warning')}"
        )

    def text(self) -> str:
        """One ``path:line:col: severity: message [json.path]`` line per problem."""
        return "".join(p.format() + "\n" for p in self.problems)

    def json(self) -> str:
        """A JSON array of problems (for CI annotations)."""
        return json.dumps([asdict(p) for p in self.problems], ensure_ascii=False, indent=2) + "\n"


def validate_paths(
    paths: Sequence[str | Path],
    language: FlowLanguage,
    *,
    config: str | Path | None = None,
    strict: bool = False,
    catalog: Catalog | None = None,
) -> Report:
    """Validate files and folders (recursing for flows, tests and ``chatflow.yaml``).

    ``config`` applies a deployment config's skill groups to every flow checked; a
    ``chatflow.yaml`` found among the paths applies to the flows of its ``flows`` folder, which
    are checked too. ``strict`` turns warnings into errors.
    """
    run = _Run(catalog or Catalog(language), language)
    found = find_files(paths)
    for missing in found.missing:
        run.problems.append(
            Problem(f"no such file or folder: {missing}", missing, 0, 0, code="missing")
        )
    for folder in found.empty:
        run.problems.append(
            Problem(
                f"no *.flow.yaml, *.test.yaml or chatflow.yaml under {folder}; is it the right "
                "folder?",
                folder,
                0,
                0,
                severity="warning",
                code="empty",
            )
        )
    explicit: Path | None = Path(config) if config is not None else None
    if explicit is not None:
        if explicit.is_file():
            found.files.insert(0, (explicit, "config"))
        else:
            run.problems.append(
                Problem(f"no such config file: {explicit}", str(explicit), 0, 0, code="missing")
            )
    for path, kind in found.files:
        run.add(path, kind)
    run.check(explicit)
    problems = run.problems
    if strict:
        problems = [
            replace(p, severity="error") if p.severity == "warning" else p for p in problems
        ]
    problems.sort(key=lambda p: (p.path, p.line, p.column, p.message))
    return Report(list(dict.fromkeys(problems)), files=len(run.seen))


class _Run:
    """The state of one validation: which files were seen, in which kind, and what was found."""

    def __init__(self, catalog: Catalog, language: FlowLanguage) -> None:
        self.catalog = catalog
        self.language = language
        self.problems: list[Problem] = []
        self.seen: set[Path] = set()
        self.flows: dict[Path, Loaded[FlowBase]] = {}
        self.tests: list[Path] = []
        self.configs: list[Path] = []
        self.scopes: dict[Path, list[GroupScope]] = {}
        self.explicit: list[Loaded[DeploymentConfig]] = []
        self.indexes: list[FlowIndex] = []

    def add(self, path: Path, kind: Kind | None) -> None:
        key = path.resolve()
        if key in self.seen:
            return
        if kind is None:
            doc, problems = self.catalog.document(path)
            kind = guess_kind(doc) if doc is not None else None
            if kind is None:
                self.seen.add(key)
                self.problems.extend(problems)
                if doc is not None:
                    self.problems.append(
                        Problem(
                            "cannot tell what this file is; name it *.flow.yaml, *.test.yaml or "
                            "chatflow.yaml",
                            display_path(path),
                            1,
                            1,
                            code="unknown-kind",
                        )
                    )
                return
        self.seen.add(key)
        if kind == "flow":
            self.flows[key] = self.catalog.flow(path)
        elif kind == "test":
            self.tests.append(path)
        else:
            self.configs.append(path)

    def check(self, explicit: Path | None) -> None:
        # Configs first: they add the flows of their folders and the group scopes.
        for path in self.configs:
            applies_to_all = explicit is not None and path.resolve() == explicit.resolve()
            self.check_config(self.catalog.config(path), applies_to_all)
        for path in self.tests:
            self.check_test_file(path)
        for key, flow in self.flows.items():
            self.check_flow_file(key, flow)
        self.duplicate_ids()

    def check_test_file(self, path: Path) -> None:
        loaded = self.catalog.test(path)
        self.problems.extend(loaded.problems)
        self.check_schema_comment(loaded.document)
        lookup = self.catalog.flow_for_test(loaded)
        if lookup is not None:
            if lookup.flow is not None:
                self.add(lookup.flow.path, "flow")
            self.problems.extend(check_test(loaded, lookup))

    def check_flow_file(self, key: Path, loaded: Loaded[FlowBase]) -> None:
        self.problems.extend(loaded.problems)
        self.check_schema_comment(loaded.document)
        if loaded.model is None or loaded.document is None:
            return
        scopes = self.scopes.get(key, []) + [group_scope(c, loaded.model.id) for c in self.explicit]
        self.problems.extend(
            check_flow(
                loaded.document,
                loaded.model,
                self.language,
                group_scopes=list(dict.fromkeys(scopes)),
            )
        )

    def check_config(self, loaded: Loaded[DeploymentConfig], applies_to_all: bool) -> None:
        self.problems.extend(loaded.problems)
        self.check_schema_comment(loaded.document)
        config = loaded.model
        if config is None or loaded.document is None:
            return
        folder = flows_folder(loaded)
        index = self.catalog.flows_in(folder) if folder.is_dir() else None
        self.problems.extend(check_config(loaded, index))
        if index is not None:
            self.indexes.append(index)
            for flow_loaded in index.all():
                self.add(flow_loaded.path, "flow")
                flow_id = flow_id_of(flow_loaded)
                if flow_id is not None:
                    scope = group_scope(loaded, flow_id)
                    self.scopes.setdefault(flow_loaded.path.resolve(), []).append(scope)
        if applies_to_all:
            self.explicit.append(loaded)

    def check_schema_comment(self, doc: Document | None) -> None:
        """The editor line ``# yaml-language-server: $schema=...`` must point at a real file."""
        if doc is None or not doc.schema_comment:
            return
        ref = doc.schema_comment
        if "://" in ref:
            return
        target = Path(doc.source).parent / ref
        if not target.is_file():
            self.problems.append(
                Problem(
                    f"the yaml-language-server $schema {ref!r} does not exist (resolved to "
                    f"{display_path(target)}); the editor cannot check this file. Point it at "
                    "schemas/*.schema.json, relative to this file; `chatflow schema --write` "
                    "writes them into schemas/.",
                    doc.source,
                    1,
                    1,
                    severity="warning",
                    code="schema-comment",
                )
            )

    def duplicate_ids(self) -> None:
        """Two flows with one id in a deployment's flows folder or in one folder: one is wrong."""
        groups: dict[tuple[Path, str], list[Loaded[FlowBase]]] = {}
        for key, loaded in self.flows.items():
            flow_id = flow_id_of(loaded)
            if flow_id is not None:
                groups.setdefault((key.parent, flow_id), []).append(loaded)
        for index in self.indexes:
            for flow_id, flows in index.by_id.items():
                groups[(index.folder.resolve(), flow_id)] = flows
        for (_, flow_id), same in groups.items():
            if len(same) < 2:
                continue
            first = same[0]
            for other in same[1:]:
                if other.document is not None:
                    self.problems.append(
                        other.document.problem(
                            f"flow id {flow_id!r} is already used by {first.display}; flow ids "
                            "must be unique in a deployment. Rename one of them.",
                            ("id",),
                            code="duplicate-flow",
                        )
                    )
