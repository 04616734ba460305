"""The deployment's flow files against the flows' versions, at every start after the first.

The first start imports each flow file a site runs as the merchant's published version 1
(:func:`~chatflow.engine.flowversions.seed_flow_versions`); from then on the records database
is where the served flow lives, and the flow editor publishes there. A file edited later is
therefore not served on its own: :func:`compare_flow_files` saves it as a draft version (once:
a file equal to one of the flow's versions is that version) and says so, naming the file, the
versions and how to publish it. With ``publish=True`` (``chatflow serve --publish-flows``) the
newest change wins: a file changed since the published version is published (a published
version someone made in the editor is named as it is archived), while a file that is an older
version than the published one (the editor published after it) is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine
from sqlmodel import Session, select

from chatflow.engine.catalog import Catalog
from chatflow.engine.errors import NotFoundError
from chatflow.engine.flowversions import (
    SEED_AUTHOR,
    FlowVersion,
    importable_text,
    list_versions,
    publish_version,
    save_version,
)
from chatflow.engine.language import FlowLanguage
from chatflow.engine.stores.recordsdb import SiteRow

PUBLISH_HINT = (
    "publish it in the flow editor (/editor) or start with `chatflow serve --publish-flows`"
)


@dataclass(frozen=True)
class FileNote:
    """What a start did with one (merchant, flow file): a line for the log."""

    level: Literal["info", "warning"]
    event: str
    text: str


def compare_flow_files(
    engine: Engine,
    folder: Path,
    language: FlowLanguage,
    *,
    publish: bool = False,
    now: datetime | None = None,
) -> list[FileNote]:
    """Compare each flow file a merchant's site runs with that merchant's versions of the flow.

    A file equal to the published version is left alone, as is a flow without versions (the
    seeding's) and a file that does not pass the checks (``chatflow validate`` says why). A file
    changed since becomes a draft version (or is published, with ``publish``); a file that is an
    older version than the published one stays unpublished. Each case gets a note.
    """
    with Session(engine) as db:
        running = sorted(set(db.exec(select(SiteRow.merchant_id, SiteRow.flow_id)).all()))
    versions = {pair: _versions(engine, *pair) for pair in running}
    todo = [pair for pair in running if versions[pair]]
    if not todo:
        return []
    index = Catalog(language).flows_in(folder)
    notes: list[FileNote] = []
    for merchant_id, flow_id in todo:
        loaded = index.get(flow_id)
        text = importable_text(engine, merchant_id, loaded, language) if loaded else None
        if loaded is None or text is None:
            continue  # missing or with errors: `chatflow validate` and serve's check say so
        known = versions[(merchant_id, flow_id)]
        published = next((v for v in known if v.status == "published"), None)
        if published is not None and published.yaml == text:
            continue
        same = next((v for v in reversed(known) if v.yaml == text), None)
        about = _About(loaded.display, flow_id, merchant_id, published)
        if same is not None and published is not None and same.version < published.version:
            notes.append(about.older(same.version))  # the newest change is the published one
        elif publish:
            if same is not None:
                publish_version(engine, merchant_id, flow_id, same.version)
                number = same.version
            else:
                number = _save(engine, about, loaded.path.name, text, True, now)
            notes.append(about.published_as(number))
        elif same is None:
            number = _save(engine, about, loaded.path.name, text, False, now)
            notes.append(about.not_published(f"saved as draft version {number}"))
        else:
            notes.append(about.not_published(f"it is {same.status} version {same.version}"))
    return notes


def _versions(engine: Engine, merchant_id: str, flow_id: str) -> list[FlowVersion]:
    """The flow's versions, oldest first; none when the merchant has none (the seeding's)."""
    try:
        return list_versions(engine, merchant_id, flow_id)
    except NotFoundError:
        return []


def _save(
    engine: Engine, about: _About, name: str, text: str, publish: bool, now: datetime | None
) -> int:
    saved = save_version(
        engine,
        about.merchant_id,
        about.flow_id,
        text,
        created_by=SEED_AUTHOR,
        note=f"changed in {name}",
        publish=publish,
        now=now,
    )
    return saved.version


@dataclass(frozen=True)
class _About:
    """One file and the flow version it is compared with, for the notes' words."""

    file: str
    flow_id: str
    merchant_id: str
    published: FlowVersion | None

    @property
    def flow(self) -> str:
        return f"flow {self.flow_id!r} of merchant {self.merchant_id!r}"

    def since(self) -> str:
        if self.published is None:
            return f"{self.file} differs from every version of {self.flow} (none is published)"
        number = self.published.version
        return f"{self.file} differs from the published version {number} of {self.flow}"

    def not_published(self, what: str) -> FileNote:
        text = (
            f"{self.since()}: {what}, not published, so new conversations still start on the "
            f"published version; {PUBLISH_HINT}"
        )
        return FileNote("warning", "flows.file_not_published", text)

    def published_as(self, number: int) -> FileNote:
        text = f"{self.since()}: published it as version {number} (--publish-flows)"
        old = self.published
        if old is None or old.created_by == SEED_AUTHOR:
            return FileNote("info", "flows.file_published", text)
        text += (
            f"; version {old.version}, saved by {old.created_by} (in the flow editor or the API), "
            "is archived: roll back to it in the flow editor if it should stay"
        )
        return FileNote("warning", "flows.file_published", text)

    def older(self, number: int) -> FileNote:
        assert self.published is not None
        text = (
            f"{self.file} is version {number} of {self.flow}; the published version "
            f"{self.published.version} was made after it ({_by(self.published)}) and is served. "
            "`chatflow export-config` writes the published versions to files"
        )
        return FileNote("info", "flows.file_older", text)


def _by(version: FlowVersion) -> str:
    if version.created_by == SEED_AUTHOR:
        return "from the flow file"
    return f"by {version.created_by}"
