"""Flow files changed after the first start: saved as a draft and said, or published with
``--publish-flows``; an editor's newer version is never replaced by an older file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flow_world_kit import FLOW, flow_world
from sqlalchemy import Engine

from chatflow.engine import flowversions as fv
from chatflow.engine.flowfiles import FileNote, compare_flow_files
from chatflow.nodes import LANGUAGE

EDITED = FLOW.replace("text: hi", "text: hello there")
HINT = "publish it in the flow editor (/editor) or start with `chatflow serve --publish-flows`"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = flow_world(f"sqlite:///{tmp_path / 'records.sqlite3'}", ("acme",))
    yield eng
    eng.dispose()


@pytest.fixture
def flow_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the notes name the file relative to the working folder
    (tmp_path / "flows").mkdir()
    path = tmp_path / "flows" / "hello.flow.yaml"
    path.write_text(FLOW, encoding="utf-8")
    return path


def start(engine: Engine, folder: Path, *, publish: bool = False) -> list[FileNote]:
    """What a start does with the files: the first import, then the comparison."""
    fv.seed_flow_versions(engine, folder, LANGUAGE)
    return compare_flow_files(engine, folder, LANGUAGE, publish=publish)


def statuses(engine: Engine) -> list[tuple[int, str]]:
    return [(v.version, v.status) for v in fv.list_versions(engine, "acme", "hello")]


def test_an_unchanged_file_says_nothing(engine: Engine, flow_file: Path) -> None:
    assert start(engine, flow_file.parent) == []
    assert start(engine, flow_file.parent) == []
    assert statuses(engine) == [(1, "published")]


def test_a_changed_file_is_saved_once_as_a_draft_and_said_at_every_start(
    engine: Engine, flow_file: Path
) -> None:
    start(engine, flow_file.parent)
    flow_file.write_text(EDITED, encoding="utf-8")
    since = (
        "flows/hello.flow.yaml differs from the published version 1 of flow 'hello' of "
        "merchant 'acme'"
    )
    after = "not published, so new conversations still start on the published version"
    assert start(engine, flow_file.parent) == [
        FileNote(
            "warning",
            "flows.file_not_published",
            f"{since}: saved as draft version 2, {after}; {HINT}",
        )
    ]
    assert start(engine, flow_file.parent) == [
        FileNote(
            "warning",
            "flows.file_not_published",
            f"{since}: it is draft version 2, {after}; {HINT}",
        )
    ]
    assert statuses(engine) == [(1, "published"), (2, "draft")]
    assert fv.published_flow_yaml(engine, "acme", "hello") == (1, FLOW)
    version = fv.get_version(engine, "acme", "hello", 2)
    assert (version.yaml, version.created_by) == (EDITED, fv.SEED_AUTHOR)
    assert version.note == "changed in hello.flow.yaml"


def test_publish_flows_publishes_the_changed_file(engine: Engine, flow_file: Path) -> None:
    start(engine, flow_file.parent)
    flow_file.write_text(EDITED, encoding="utf-8")
    start(engine, flow_file.parent)  # saved as draft 2 first: publishing uses that version
    (note,) = start(engine, flow_file.parent, publish=True)
    assert note.level == "info" and note.text.endswith(
        ": published it as version 2 (--publish-flows)"
    )
    assert statuses(engine) == [(1, "archived"), (2, "published")]
    assert start(engine, flow_file.parent, publish=True) == []  # another worker, a restart


def test_publish_flows_names_the_editors_version_it_archives(
    engine: Engine, flow_file: Path
) -> None:
    start(engine, flow_file.parent)
    fv.save_version(engine, "acme", "hello", FLOW.replace("hi}", "hey}"), created_by="me_admin")
    fv.publish_version(engine, "acme", "hello", 2)
    flow_file.write_text(EDITED, encoding="utf-8")  # and the file changed too: the newest
    (note,) = start(engine, flow_file.parent, publish=True)
    assert note.level == "warning"
    assert note.text.endswith(
        "published it as version 3 (--publish-flows); version 2, saved by me_admin (in the flow "
        "editor or the API), is archived: roll back to it in the flow editor if it should stay"
    )
    assert fv.published_flow_yaml(engine, "acme", "hello") == (3, EDITED)


@pytest.mark.parametrize("publish", [False, True])
def test_an_older_file_leaves_the_editors_published_version_alone(
    engine: Engine, flow_file: Path, publish: bool
) -> None:
    start(engine, flow_file.parent)
    fv.save_version(engine, "acme", "hello", EDITED, created_by="me_admin", publish=True)
    (note,) = start(engine, flow_file.parent, publish=publish)
    assert note == FileNote(
        "info",
        "flows.file_older",
        "flows/hello.flow.yaml is version 1 of flow 'hello' of merchant 'acme'; the published "
        "version 2 was made after it (by me_admin) and is served. `chatflow export-config` "
        "writes the published versions to files",
    )
    assert statuses(engine) == [(1, "archived"), (2, "published")]


def test_a_file_with_errors_is_neither_imported_nor_saved(engine: Engine, flow_file: Path) -> None:
    broken = FLOW.replace("group: sales", "group: nobody")  # parses, fails the group check
    flow_file.write_text(broken, encoding="utf-8")
    assert fv.seed_flow_versions(engine, flow_file.parent, LANGUAGE) == [
        f"flow 'hello' of merchant 'acme': invalid in {flow_file.parent}"
    ]
    flow_file.write_text(FLOW, encoding="utf-8")
    start(engine, flow_file.parent)
    flow_file.write_text(broken, encoding="utf-8")
    assert start(engine, flow_file.parent) == []  # serve's check refuses it with the lines
    assert statuses(engine) == [(1, "published")]
