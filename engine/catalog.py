"""Finding and loading chatflow files: the shared front end of ``validate``, ``test`` and ``graph``.

Every file is read and parsed at most once per :class:`Catalog` (cached by its resolved path), so a
validator or test runner that meets the same flow through a folder, a config and a test file does
the work once.

Public API::

    kind_of(path) -> "flow" | "test" | "config" | None      by file name
    guess_kind(document) -> Kind | None                      by content (for oddly named files)
    find_files(paths) -> FoundFiles                          files given + folders searched
    display_path(path) -> str                                how problems name a file

    catalog = Catalog(LANGUAGE)
    catalog.flow(path) -> Loaded[FlowBase]                   read + parsed, or problems
    catalog.test(path) -> Loaded[ConversationTest]
    catalog.config(path) -> Loaded[DeploymentConfig]
    catalog.flows_in(folder, recursive=True) -> FlowIndex    every flow of a folder, by id
    catalog.find_flow(ref, near=test_path) -> FlowLookup     a test's ``flow:`` reference
    catalog.flow_for_test(loaded_test) -> FlowLookup         the same, from a loaded test

A :class:`Loaded` holds ``path``, ``document`` (positions; None when the YAML is unreadable),
``model`` (None when it does not validate) and ``problems`` (load and schema problems, placed).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from chatflow.engine.config import DeploymentConfig
from chatflow.engine.errors import DefinitionError, Problem
from chatflow.engine.flow import FlowBase
from chatflow.engine.language import FlowLanguage, locate_model, model_problems
from chatflow.engine.testfile import ConversationTest
from chatflow.engine.yamlsource import Document, load_path

Kind = Literal["flow", "test", "config"]
M = TypeVar("M", bound=BaseModel)

FLOW_SUFFIXES = (".flow.yaml", ".flow.yml")
TEST_SUFFIXES = (".test.yaml", ".test.yml")
CONFIG_NAMES = ("chatflow.yaml", "chatflow.yml")
FLOWS_FOLDER = "flows"
"""Name of the folder a test's flow id is looked up in, walking up from the test."""


def kind_of(path: str | Path) -> Kind | None:
    """What a file is, by its name; None for other files."""
    name = Path(path).name
    if name.endswith(FLOW_SUFFIXES):
        return "flow"
    if name.endswith(TEST_SUFFIXES):
        return "test"
    if name in CONFIG_NAMES:
        return "config"
    return None


def guess_kind(document: Document) -> Kind | None:
    """What a YAML document looks like (for a file named on the command line without a suffix)."""
    data = document.data
    if not isinstance(data, dict):
        return None
    if "nodes" in data:
        return "flow"
    if "steps" in data:
        return "test"
    if "merchants" in data:
        return "config"
    return None


def display_path(path: str | Path) -> str:
    """A path as problems show it: relative to the working directory when inside it."""
    resolved = Path(os.path.abspath(path))
    try:
        return str(resolved.relative_to(Path.cwd()))
    except ValueError:
        return str(resolved)


@dataclass
class FoundFiles:
    """The outcome of :func:`find_files`."""

    files: list[tuple[Path, Kind | None]] = field(default_factory=list)
    """Files in a stable order; the kind is None for a file given by name that has no known suffix."""
    missing: list[str] = field(default_factory=list)
    """Arguments that name nothing on disk."""
    empty: list[str] = field(default_factory=list)
    """Folders given that hold no flow, test or config file."""


def find_files(paths: Iterable[str | Path]) -> FoundFiles:
    """Files named directly, plus every flow, test and config file under the folders named.

    Hidden folders (``.git``, ``.venv``) and ``node_modules`` are skipped; a file reached twice is
    listed once.
    """
    found = FoundFiles()
    seen: set[Path] = set()

    def add(path: Path, kind: Kind | None) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            found.files.append((path, kind))

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = [(file, kind) for file in _walk(path) if (kind := kind_of(file)) is not None]
            if not files:
                found.empty.append(str(raw))
            for file, kind in files:
                add(file, kind)
        elif path.is_file():
            add(path, kind_of(path))
        else:
            found.missing.append(str(raw))
    return found


def _walk(folder: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "node_modules")
        out.extend(Path(dirpath, name) for name in sorted(filenames))
    return out


@dataclass
class Loaded(Generic[M]):
    """One file: its document (with positions), its model and the problems found reading it."""

    path: Path
    document: Document | None
    model: M | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        """True when the file was read and validated against its model."""
        return self.model is not None

    @property
    def display(self) -> str:
        """The path as problems show it."""
        return display_path(self.path)


def flow_id_of(loaded: Loaded[FlowBase]) -> str | None:
    """The flow's id, even when the rest of the file does not validate."""
    if loaded.model is not None:
        return loaded.model.id
    data = loaded.document.data if loaded.document else None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


@dataclass
class FlowIndex:
    """The flows of one folder, by id (a list, because an id may be used twice by mistake)."""

    folder: Path
    by_id: dict[str, list[Loaded[FlowBase]]] = field(default_factory=dict)
    without_id: list[Loaded[FlowBase]] = field(default_factory=list)
    """Flow files whose id could not be read."""

    def get(self, flow_id: str) -> Loaded[FlowBase] | None:
        """The (first) flow with this id."""
        flows = self.by_id.get(flow_id)
        return flows[0] if flows else None

    def ids(self) -> list[str]:
        return sorted(self.by_id)

    def all(self) -> list[Loaded[FlowBase]]:
        """Every flow file of the folder, in file order."""
        out = [f for flows in self.by_id.values() for f in flows] + self.without_id
        return sorted(out, key=lambda f: str(f.path))


@dataclass
class FlowLookup:
    """Where a test's ``flow:`` reference led: the flow (or None) and the places searched."""

    flow: Loaded[FlowBase] | None
    searched: list[str]
    known_ids: list[str]
    """Flow ids seen while searching (for 'did you mean')."""


class Catalog:
    """Reads and parses files once, looks flows up by id. Not thread-safe; one per run."""

    def __init__(self, language: FlowLanguage) -> None:
        self.language = language
        self._documents: dict[Path, tuple[Document | None, list[Problem]]] = {}
        self._flows: dict[Path, Loaded[FlowBase]] = {}
        self._tests: dict[Path, Loaded[ConversationTest]] = {}
        self._configs: dict[Path, Loaded[DeploymentConfig]] = {}
        self._indexes: dict[tuple[Path, bool], FlowIndex] = {}

    def document(self, path: Path) -> tuple[Document | None, list[Problem]]:
        """The YAML document of a file (cached), or the problems that stopped reading it."""
        key = path.resolve()
        if key not in self._documents:
            try:
                doc: Document | None = load_path(display_path(path))
                problems: list[Problem] = []
            except DefinitionError as exc:
                doc, problems = None, exc.problems
            if doc is not None and doc.data is None:
                problems = [Problem("the file is empty", doc.source, 1, 1)]
                doc = None
            self._documents[key] = (doc, problems)
        return self._documents[key]

    def flow(self, path: Path) -> Loaded[FlowBase]:
        """A flow file, parsed with the language (cached)."""
        key = path.resolve()
        if key not in self._flows:
            doc, problems = self.document(path)
            model: FlowBase | None = None
            if doc is not None:
                try:
                    model = self.language.parse(doc)
                except DefinitionError as exc:
                    problems = exc.problems
            self._flows[key] = Loaded(path, doc, model, problems)
        return self._flows[key]

    def test(self, path: Path) -> Loaded[ConversationTest]:
        """A conversation test file, validated (cached)."""
        key = path.resolve()
        if key not in self._tests:
            self._tests[key] = self._load_model(path, ConversationTest)
        return self._tests[key]

    def config(self, path: Path) -> Loaded[DeploymentConfig]:
        """A deployment config file, validated (cached)."""
        key = path.resolve()
        if key not in self._configs:
            self._configs[key] = self._load_model(path, DeploymentConfig)
        return self._configs[key]

    def _load_model(self, path: Path, model_type: type[M]) -> Loaded[M]:
        doc, problems = self.document(path)
        model: M | None = None
        if doc is not None:
            try:
                model = model_type.model_validate(doc.data)
            except ValidationError as exc:
                problems = model_problems(doc, exc, locate_model(model_type))
        return Loaded(path, doc, model, problems)

    def flows_in(self, folder: Path, *, recursive: bool = True) -> FlowIndex:
        """Every ``*.flow.yaml`` in a folder (and below, unless ``recursive=False``), by id."""
        key = (folder.resolve(), recursive)
        if key not in self._indexes:
            index = FlowIndex(folder)
            if folder.is_dir():
                files = _walk(folder) if recursive else sorted(folder.iterdir())
                for file in files:
                    if kind_of(file) == "flow" and file.is_file():
                        self._add(index, self.flow(file))
            self._indexes[key] = index
        return self._indexes[key]

    @staticmethod
    def _add(index: FlowIndex, loaded: Loaded[FlowBase]) -> None:
        flow_id = flow_id_of(loaded)
        if flow_id is None:
            index.without_id.append(loaded)
        else:
            index.by_id.setdefault(flow_id, []).append(loaded)

    def find_flow(self, ref: str, *, near: Path) -> FlowLookup:
        """Resolve a test's ``flow:``: a path (relative to the test), else an id looked up beside
        the test, then in each ``flows/`` folder from the test's folder up to the root."""
        base = near.parent
        if "/" in ref or "\\" in ref or ref.endswith((".yaml", ".yml")):
            candidate = base / ref
            found = self.flow(candidate) if candidate.is_file() else None
            return FlowLookup(found, [display_path(candidate)], [])
        searched: list[str] = []
        known: set[str] = set()
        folders: list[tuple[Path, bool]] = [(base, False)]
        for parent in [base, *base.resolve().parents]:
            flows = parent / FLOWS_FOLDER
            if flows.is_dir():
                folders.append((flows, True))
        for folder, recursive in folders:
            searched.append(display_path(folder) + ("/" if not recursive else "/**"))
            quick = folder / f"{ref}{FLOW_SUFFIXES[0]}"
            if quick.is_file():
                loaded = self.flow(quick)
                if flow_id_of(loaded) == ref:
                    return FlowLookup(loaded, searched, sorted(known))
            index = self.flows_in(folder, recursive=recursive)
            if (loaded_by_id := index.get(ref)) is not None:
                return FlowLookup(loaded_by_id, searched, sorted(known))
            known.update(index.by_id)
        return FlowLookup(None, searched, sorted(known))

    def flow_for_test(self, test: Loaded[ConversationTest]) -> FlowLookup | None:
        """The flow a loaded test runs (None when the test itself did not validate)."""
        if test.model is None:
            return None
        return self.find_flow(test.model.flow, near=test.path)


def data_at(document: Document | None, *path: str | int) -> Any:
    """The raw value at a path of a document, or None (for reading fields of invalid files)."""
    cursor: Any = document.data if document else None
    for part in path:
        if isinstance(cursor, dict) and isinstance(part, str):
            cursor = cursor.get(part)
        elif isinstance(cursor, list) and isinstance(part, int) and 0 <= part < len(cursor):
            cursor = cursor[part]
        else:
            return None
    return cursor
