"""Flow versions in the records database: numbering, one published version, seeding, checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from chatflow.engine import flowversions as fv
from chatflow.engine.errors import NotFoundError
from chatflow.engine.stores.recordsdb import (
    FlowVersionRow,
    GroupRow,
    MerchantRow,
    SiteRow,
    create_tables,
    records_engine,
)
from chatflow.nodes import LANGUAGE

FLOW = """\
id: hello
start: hi
nodes:
  hi: {type: message, text: hi, next: human}
  human: {type: transfer, group: sales, on_no_agents: bye, next: bye}
  bye: {type: end}
"""


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = records_engine(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    create_tables(eng)
    with Session(eng) as db:
        for merchant in ("acme", "globex"):
            db.add(MerchantRow(id=merchant))
            db.flush()
            db.add(GroupRow(merchant_id=merchant, id="sales"))
            db.add(SiteRow(key=f"{merchant}-web", merchant_id=merchant, flow_id="hello"))
        db.commit()
    yield eng
    eng.dispose()


def test_versions_are_numbered_per_merchant_and_flow(engine: Engine) -> None:
    first = fv.save_version(engine, "acme", "hello", FLOW, created_by="a")
    second = fv.save_version(engine, "acme", "hello", FLOW, created_by="a", note="again")
    other = fv.save_version(engine, "globex", "hello", FLOW, created_by="g")
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert [v.status for v in fv.list_versions(engine, "acme", "hello")] == ["draft", "draft"]
    assert fv.published_flow_yaml(engine, "acme", "hello") is None


def test_publishing_archives_the_previous_published_version(engine: Engine) -> None:
    fv.save_version(engine, "acme", "hello", FLOW, created_by="a", publish=True)
    fv.save_version(engine, "acme", "hello", FLOW.replace("text: hi", "text: hey"), created_by="a")
    fv.publish_version(engine, "acme", "hello", 2)
    statuses = [v.status for v in fv.list_versions(engine, "acme", "hello")]
    assert statuses == ["archived", "published"]
    published = fv.published_flow_yaml(engine, "acme", "hello")
    assert published is not None and published[0] == 2 and "text: hey" in published[1]
    assert fv.published_flow_yaml(engine, "globex", "hello") is None


def test_the_database_refuses_two_published_versions_of_a_flow(engine: Engine) -> None:
    with Session(engine) as db:
        for version in (1, 2):
            db.add(
                FlowVersionRow(
                    merchant_id="acme",
                    flow_id="hello",
                    version=version,
                    yaml=FLOW,
                    status="published",
                    created_by="x",
                )
            )
        with pytest.raises(IntegrityError):
            db.commit()


def test_lookups_of_another_merchant_are_not_found(engine: Engine) -> None:
    fv.save_version(engine, "acme", "hello", FLOW, created_by="a")
    with pytest.raises(NotFoundError):
        fv.get_version(engine, "globex", "hello", 1)
    with pytest.raises(NotFoundError):
        fv.list_versions(engine, "globex", "hello")
    assert [f.flow_id for f in fv.list_flows(engine, "globex")] == []


def test_diff_is_a_unified_diff_between_versions(engine: Engine) -> None:
    fv.save_version(engine, "acme", "hello", FLOW, created_by="a")
    fv.save_version(engine, "acme", "hello", FLOW.replace("text: hi", "text: hey"), created_by="a")
    diff = fv.diff_versions(engine, "acme", "hello", 1, 2)
    assert diff.startswith("--- hello.flow.yaml@v1\n+++ hello.flow.yaml@v2\n")
    assert "-  hi: {type: message, text: hi, next: human}\n" in diff
    assert "+  hi: {type: message, text: hey, next: human}\n" in diff
    assert fv.diff_versions(engine, "acme", "hello", 1, 1) == ""


def test_seeding_imports_each_merchants_flows_once(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "hello.flow.yaml").write_text(FLOW, encoding="utf-8")
    report = fv.seed_flow_versions(engine, folder, LANGUAGE)
    assert report == [
        "flow 'hello' of merchant 'acme': published version 1",
        "flow 'hello' of merchant 'globex': published version 1",
    ]
    assert fv.seed_flow_versions(engine, folder, LANGUAGE) == []
    version = fv.get_version(engine, "acme", "hello", 1)
    assert version.status == "published" and version.created_by == fv.SEED_AUTHOR


def test_seeding_leaves_out_missing_and_unparsable_flows(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    assert fv.seed_flow_versions(engine, folder, LANGUAGE)[0].endswith(f"not in {folder}")
    (folder / "hello.flow.yaml").write_text("id: hello\nnodes: 3\n", encoding="utf-8")
    assert fv.seed_flow_versions(engine, folder, LANGUAGE)[0].endswith(f"invalid in {folder}")
    assert fv.list_flows(engine, "acme") == []


def test_checks_are_the_validators_placed_problems(engine: Engine) -> None:
    checked = fv.check_flow_text(
        FLOW.replace("group: sales", "group: sale"),
        LANGUAGE,
        source="hello.flow.yaml",
        groups=["sales"],
        where="merchant 'acme'",
    )
    assert checked.flow is not None
    [error] = checked.errors
    assert (error.line, error.column, error.json_path) == (5, 34, "$.nodes.human.group")
    assert "Did you mean 'sales'?" in error.message
    broken = fv.check_flow_text("a: [", LANGUAGE, source="x.flow.yaml", groups=None, where="")
    assert broken.flow is None and broken.errors[0].message.startswith("YAML syntax")
    empty = fv.check_flow_text("", LANGUAGE, source="x.flow.yaml", groups=None, where="")
    assert [p.message for p in empty.errors] == ["the file is empty"]
