"""The catalog: finding files by kind, loading each once, looking flows up by id."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatflow.engine.catalog import Catalog, find_files, flow_id_of, guess_kind, kind_of
from chatflow.engine.yamlsource import loads
from chatflow.nodes import LANGUAGE

FLOW = "id: {id}\nstart: a\nnodes:\n  a: {{type: end}}\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("x.flow.yaml", "flow"),
        ("x.flow.yml", "flow"),
        ("x.test.yaml", "test"),
        ("chatflow.yaml", "config"),
        ("other.yaml", None),
    ],
)
def test_kind_of(name: str, kind: str | None) -> None:
    assert kind_of(name) == kind


def test_guess_kind_by_content() -> None:
    assert guess_kind(loads("nodes: {}")) == "flow"
    assert guess_kind(loads("steps: []")) == "test"
    assert guess_kind(loads("merchants: []")) == "config"
    assert guess_kind(loads("- 1")) is None


def test_find_files_recurses_skips_hidden_and_keeps_explicit_files(tmp_path: Path) -> None:
    write(tmp_path / "a" / "one.flow.yaml", "")
    write(tmp_path / "a" / "b" / "one.test.yaml", "")
    write(tmp_path / "chatflow.yaml", "")
    write(tmp_path / ".git" / "x.flow.yaml", "")
    write(tmp_path / "notes.yaml", "")
    odd = write(tmp_path / "odd.yaml", "")
    found = find_files([tmp_path, odd, tmp_path / "a" / "one.flow.yaml", tmp_path / "nope"])
    names = [(p.relative_to(tmp_path).as_posix(), k) for p, k in found.files]
    assert names == [
        ("chatflow.yaml", "config"),
        ("a/one.flow.yaml", "flow"),
        ("a/b/one.test.yaml", "test"),
        ("odd.yaml", None),
    ]
    assert found.missing == [str(tmp_path / "nope")]


def test_each_file_is_parsed_once(tmp_path: Path) -> None:
    path = write(tmp_path / "x.flow.yaml", FLOW.format(id="x"))
    catalog = Catalog(LANGUAGE)
    first = catalog.flow(path)
    assert first.ok and flow_id_of(first) == "x"
    assert catalog.flow(tmp_path / "." / "x.flow.yaml") is first
    assert catalog.flows_in(tmp_path).get("x") is first


def test_broken_files_carry_their_problems(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.flow.yaml", "id: bad\nstart: a\nnodes: {a: {type: nope}}\n")
    empty = write(tmp_path / "empty.flow.yaml", "")
    catalog = Catalog(LANGUAGE)
    loaded = catalog.flow(bad)
    assert not loaded.ok and flow_id_of(loaded) == "bad"
    assert "unknown node type 'nope'" in loaded.problems[0].message
    assert catalog.flow(empty).problems[0].message == "the file is empty"
    assert catalog.flows_in(tmp_path).ids() == ["bad"]


def test_find_flow_beside_then_in_flows_folders_up_the_tree(tmp_path: Path) -> None:
    write(tmp_path / "flows" / "sub" / "deep.flow.yaml", FLOW.format(id="deep"))
    write(tmp_path / "flows" / "named-otherwise.flow.yaml", FLOW.format(id="top"))
    beside = write(tmp_path / "tests" / "case" / "local.flow.yaml", FLOW.format(id="top"))
    test = tmp_path / "tests" / "case" / "a.test.yaml"
    catalog = Catalog(LANGUAGE)
    lookup = catalog.find_flow("top", near=test)
    assert lookup.flow is not None and lookup.flow.path == beside
    lookup = catalog.find_flow("deep", near=test)
    assert lookup.flow is not None and lookup.flow.path.name == "deep.flow.yaml"
    missing = catalog.find_flow("dep", near=test)
    assert missing.flow is None
    assert "deep" in missing.known_ids
    assert any(s.endswith("flows/**") for s in missing.searched)


def test_find_flow_by_path(tmp_path: Path) -> None:
    write(tmp_path / "f" / "x.flow.yaml", FLOW.format(id="x"))
    test = write(tmp_path / "t" / "a.test.yaml", "flow: ../f/x.flow.yaml\nsteps: [{user: hi}]\n")
    catalog = Catalog(LANGUAGE)
    lookup = catalog.find_flow("../f/x.flow.yaml", near=test)
    assert lookup.flow is not None and lookup.flow.ok
    assert catalog.find_flow("f/none.flow.yaml", near=tmp_path / "a.test.yaml").flow is None


def test_flow_for_test(tmp_path: Path) -> None:
    write(tmp_path / "x.flow.yaml", FLOW.format(id="x"))
    test = write(tmp_path / "x.test.yaml", "flow: x\nsteps: [{user: hi}]\n")
    catalog = Catalog(LANGUAGE)
    lookup = catalog.flow_for_test(catalog.test(test))
    assert lookup is not None and lookup.flow is not None
    broken = write(tmp_path / "b.test.yaml", "flow: x\n")
    assert catalog.flow_for_test(catalog.test(broken)) is None
