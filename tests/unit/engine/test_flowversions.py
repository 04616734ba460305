"""Flow versions in the records database: numbering, one published version, seeding, checks."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import pytest
from flow_world_kit import FLOW, flow_world
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from chatflow.engine import flowversions as fv
from chatflow.engine.errors import NotFoundError
from chatflow.engine.stores.recordsdb import (
    FlowVersionRow,
    SiteRow,
)
from chatflow.nodes import LANGUAGE


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = flow_world(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    yield eng
    eng.dispose()


@pytest.fixture
def both(records_url: str) -> Iterator[Engine]:
    """The same world on SQLite and on PostgreSQL: deletion's races play out differently."""
    eng = flow_world(records_url)
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


# -- deleting ------------------------------------------------------------------------------------

SECRET = FLOW.replace("text: hi", "text: token-4711")


def _rows(engine: Engine, merchant: str = "acme") -> list[tuple[int, str, str, str]]:
    """Every stored row of the merchant's ``hello``, tombstones included: (version, status, ...)."""
    with Session(engine) as db:
        rows = db.exec(
            select(FlowVersionRow)
            .where(FlowVersionRow.merchant_id == merchant, FlowVersionRow.flow_id == "hello")
            .order_by(col(FlowVersionRow.version))
        ).all()
        return [(r.version, r.status, r.yaml, r.note) for r in rows]


def _disable_site(engine: Engine, key: str) -> None:
    with Session(engine) as db:
        site = db.get(SiteRow, key)
        assert site is not None
        site.enabled = False
        db.add(site)
        db.commit()


def test_a_deleted_draft_is_gone_and_its_number_is_never_reused(both: Engine) -> None:
    fv.save_version(both, "acme", "hello", FLOW, created_by="a", publish=True)
    fv.save_version(both, "acme", "hello", SECRET, created_by="a", note="token-4711 inside")
    deleted = fv.delete_version(both, "acme", "hello", 2)
    assert (deleted.version, deleted.status) == (2, "draft")
    assert [v.version for v in fv.list_versions(both, "acme", "hello")] == [1]
    with pytest.raises(NotFoundError):
        fv.get_version(both, "acme", "hello", 2)
    assert not any("token-4711" in yaml + note for _, _, yaml, note in _rows(both))
    [flow] = fv.list_flows(both, "acme")
    assert (flow.versions, flow.latest_version, flow.published_version) == (1, 1, 1)
    # the next upload does not take number 2 again, however often the newest draft is deleted
    assert fv.save_version(both, "acme", "hello", FLOW, created_by="a").version == 3
    fv.delete_version(both, "acme", "hello", 3)
    assert [(v, s) for v, s, _, _ in _rows(both)] == [(1, "published"), (3, fv.DELETED)]
    assert fv.save_version(both, "acme", "hello", FLOW, created_by="a").version == 4


def test_only_drafts_are_deleted(engine: Engine) -> None:
    fv.save_version(engine, "acme", "hello", FLOW, created_by="a", publish=True)
    fv.save_version(engine, "acme", "hello", FLOW, created_by="a")
    with pytest.raises(fv.FlowVersionConflict) as published:
        fv.delete_version(engine, "acme", "hello", 1)
    assert published.value.code == "version_published"
    assert "Publish another version first" in published.value.message
    fv.publish_version(engine, "acme", "hello", 2)
    with pytest.raises(fv.FlowVersionConflict) as archived:
        fv.delete_version(engine, "acme", "hello", 1)
    assert archived.value.code == "version_archived" and "Only drafts" in archived.value.message
    assert [v.status for v in fv.list_versions(engine, "acme", "hello")] == [
        "archived",
        "published",
    ]
    for merchant, version in (("acme", 9), ("globex", 2)):
        with pytest.raises(NotFoundError):
            fv.delete_version(engine, merchant, "hello", version)


def test_a_deleted_version_is_not_published_diffed_or_rolled_back_to(engine: Engine) -> None:
    fv.save_version(engine, "acme", "hello", FLOW, created_by="a", publish=True)
    fv.save_version(engine, "acme", "hello", FLOW, created_by="a")
    fv.delete_version(engine, "acme", "hello", 2)
    with pytest.raises(NotFoundError):
        fv.publish_version(engine, "acme", "hello", 2)
    with pytest.raises(NotFoundError):
        fv.diff_versions(engine, "acme", "hello", 1, 2)
    assert fv.published_flow_yaml(engine, "acme", "hello") == (1, FLOW)


def test_a_flow_an_enabled_site_runs_is_not_deleted(both: Engine) -> None:
    fv.save_version(both, "acme", "hello", FLOW, created_by="a", publish=True)
    fv.save_version(both, "acme", "hello", SECRET, created_by="a")
    fv.save_version(both, "globex", "hello", FLOW, created_by="g", publish=True)
    with pytest.raises(fv.FlowInUse) as in_use:
        fv.delete_flow(both, "acme", "hello")
    assert in_use.value.sites == ["acme-web"] and in_use.value.code == "flow_in_use"
    assert len(fv.list_versions(both, "acme", "hello")) == 2
    _disable_site(both, "acme-web")  # a disabled site never starts a session again
    assert fv.sites_running(both, "acme", "hello") == []
    assert fv.delete_flow(both, "acme", "hello") == 2
    assert fv.list_flows(both, "acme") == []
    assert fv.published_flow_yaml(both, "acme", "hello") is None
    with pytest.raises(NotFoundError):
        fv.list_versions(both, "acme", "hello")
    with pytest.raises(NotFoundError):
        fv.delete_flow(both, "acme", "hello")
    assert [(v, s, y) for v, s, y, _ in _rows(both)] == [(2, fv.DELETED, "")]
    assert fv.published_flow_yaml(both, "globex", "hello") == (1, FLOW)
    # uploaded again under the same id, it continues after the deleted numbers
    assert fv.save_version(both, "acme", "hello", FLOW, created_by="a").version == 3


def test_seeding_brings_a_deleted_flow_back_only_for_an_enabled_site(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "hello.flow.yaml").write_text(FLOW, encoding="utf-8")
    assert len(fv.seed_flow_versions(engine, folder, LANGUAGE)) == 2
    _disable_site(engine, "acme-web")
    fv.delete_flow(engine, "acme", "hello")
    assert fv.seed_flow_versions(engine, folder, LANGUAGE) == []  # a restart
    assert fv.list_flows(engine, "acme") == []
    with Session(engine) as db:  # a site added to chatflow.yaml that runs it again
        db.add(SiteRow(key="acme-new", merchant_id="acme", flow_id="hello"))
        db.commit()
    assert fv.seed_flow_versions(engine, folder, LANGUAGE) == [
        "flow 'hello' of merchant 'acme': published version 2"
    ]


def _race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same moment in threads; each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_deletes_of_one_draft_one_wins_the_other_is_not_found(both: Engine) -> None:
    fv.save_version(both, "acme", "hello", FLOW, created_by="a", publish=True)
    for _ in range(5):
        version = fv.save_version(both, "acme", "hello", FLOW, created_by="a").version
        delete = functools.partial(fv.delete_version, both, "acme", "hello", version)
        results = _race(delete, delete)
        assert sorted(type(r).__name__ for r in results) == ["FlowVersion", "NotFoundError"]
    assert [v.version for v in fv.list_versions(both, "acme", "hello")] == [1]


def test_a_delete_and_a_publish_of_one_draft_never_both_win(both: Engine) -> None:
    fv.save_version(both, "acme", "hello", FLOW, created_by="a", publish=True)
    for _ in range(6):
        version = fv.save_version(both, "acme", "hello", SECRET, created_by="a").version
        deleted, published = _race(
            functools.partial(fv.delete_version, both, "acme", "hello", version),
            functools.partial(fv.publish_version, both, "acme", "hello", version),
        )
        current = fv.published_flow_yaml(both, "acme", "hello")
        assert current is not None
        if isinstance(deleted, fv.FlowVersion):
            assert isinstance(published, NotFoundError)
            assert current[0] < version
        else:
            assert isinstance(deleted, fv.FlowVersionConflict), deleted
            assert deleted.code == "version_published"
            assert isinstance(published, fv.FlowVersion)
            assert current == (version, SECRET)
    statuses = [v.status for v in fv.list_versions(both, "acme", "hello")]
    assert statuses.count("published") == 1 and "draft" not in statuses


def test_a_flow_deleted_while_a_version_is_published_is_gone_whole(both: Engine) -> None:
    _disable_site(both, "acme-web")
    for _ in range(6):
        fv.save_version(both, "acme", "hello", FLOW, created_by="a", publish=True)
        draft = fv.save_version(both, "acme", "hello", SECRET, created_by="a").version
        deleted, published = _race(
            functools.partial(fv.delete_flow, both, "acme", "hello"),
            functools.partial(fv.publish_version, both, "acme", "hello", draft),
        )
        assert deleted == 2, deleted  # never a deadlock, never a version left behind
        assert isinstance(published, (fv.FlowVersion, NotFoundError)), published
        assert fv.list_flows(both, "acme") == []
        assert [s for _, s, _, _ in _rows(both)] == [fv.DELETED]


# -- a site naming the flow holds its published version (lock_published) -------------------------


def _pause_first_commit(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """The next flow-version write waits after its statements, before its commit, until ``go``;
    ``reached`` tells when it got there."""
    reached, go = threading.Event(), threading.Event()
    real = fv._commit

    def commit(db: Session, flow_id: str) -> None:
        if not reached.is_set():
            reached.set()
            assert go.wait(10)
        real(db, flow_id)

    monkeypatch.setattr(fv, "_commit", commit)
    return reached, go


def _save_site_holding_the_flow(engine: Engine, key: str) -> int | None:
    """What the sites routes do: write the site, then hold its flow; commit only if it has one."""
    with Session(engine) as db:
        db.add(SiteRow(key=key, merchant_id="acme", flow_id="hello"))
        db.flush()
        version = fv.lock_published(db, "acme", "hello")
        if version is None:
            db.rollback()
        else:
            db.commit()
        return version


def test_a_flow_delete_waits_for_a_site_holding_the_flow_and_is_refused(both: Engine) -> None:
    _disable_site(both, "acme-web")
    fv.save_version(both, "acme", "hello", FLOW, created_by="a", publish=True)
    with Session(both) as db, ThreadPoolExecutor(max_workers=1) as pool:
        db.add(SiteRow(key="acme-new", merchant_id="acme", flow_id="hello"))
        db.flush()
        assert fv.lock_published(db, "acme", "hello") == 1
        delete = pool.submit(fv.delete_flow, both, "acme", "hello")
        done, _ = wait([delete], timeout=0.3)
        assert not done  # it cannot commit before the site does, nor without seeing it
        db.commit()
        with pytest.raises(fv.FlowInUse) as in_use:
            delete.result(timeout=10)
    assert in_use.value.sites == ["acme-new"]
    assert fv.published_flow_yaml(both, "acme", "hello") == (1, FLOW)


def test_a_site_holding_the_flow_while_it_is_deleted_waits_and_finds_none(
    both: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _disable_site(both, "acme-web")
    fv.save_version(both, "acme", "hello", FLOW, created_by="a", publish=True)
    reached, go = _pause_first_commit(monkeypatch)
    with ThreadPoolExecutor(max_workers=2) as pool:
        delete = pool.submit(fv.delete_flow, both, "acme", "hello")
        try:
            assert reached.wait(10)  # written and the sites checked, not committed
            site = pool.submit(_save_site_holding_the_flow, both, "acme-new")
            done, _ = wait([site], timeout=0.3)
            assert not done  # it waits for the delete's commit
        finally:
            go.set()
        assert delete.result(timeout=10) == 1
        assert site.result(timeout=10) is None
    assert fv.sites_running(both, "acme", "hello") == []


def test_a_site_holding_the_flow_while_a_version_is_published_gets_the_new_one(
    both: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fv.save_version(both, "acme", "hello", FLOW, created_by="a", publish=True)
    fv.save_version(both, "acme", "hello", SECRET, created_by="a")
    reached, go = _pause_first_commit(monkeypatch)
    with ThreadPoolExecutor(max_workers=2) as pool:
        publish = pool.submit(fv.publish_version, both, "acme", "hello", 2)
        try:
            assert reached.wait(10)  # version 1 archived and 2 published, not committed
            site = pool.submit(_save_site_holding_the_flow, both, "acme-new")
            wait([site], timeout=0.3)
        finally:
            go.set()
        assert publish.result(timeout=10).status == "published"
        # PostgreSQL finds version 1 archived once the publish commits: it looks again
        assert site.result(timeout=10) == 2
