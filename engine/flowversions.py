"""Flow versions in the records database: drafts, the one published version, archived ones.

The admin API saves every uploaded flow as a new numbered version of (merchant, flow id);
publishing one archives the previously published one. The server starts new sessions on
:func:`published_flow_yaml`; running sessions keep the version they pinned at start (the
runtime copies its text into the session store), so neither publishing nor deleting here ever
breaks a conversation. Drafts and whole flows can be deleted; a number once used never names
another text, so the highest deleted number stays behind as a textless ``deleted`` row (a
tombstone) that only numbering reads. On first start :func:`seed_flow_versions` imports the
deployment's flow files for the merchants whose sites run them. The flow language is a
parameter: the engine never imports the node types.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import ColumnElement, Engine, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from chatflow.engine.catalog import Catalog, Loaded
from chatflow.engine.checks import GroupScope, check_flow
from chatflow.engine.errors import ChatflowError, DefinitionError, NotFoundError, Problem
from chatflow.engine.flow import FlowBase
from chatflow.engine.language import FlowLanguage
from chatflow.engine.stores.recordsdb import (
    ConversationRow,
    FlowVersionRow,
    GroupRow,
    SiteRow,
    utcnow,
)
from chatflow.engine.yamlsource import Document, loads

FlowStatus = Literal["draft", "published", "archived"]
SEED_AUTHOR = "chatflow.yaml"
"""``created_by`` of the versions imported from the deployment's flows folder."""
DELETED = "deleted"
"""Status of a tombstone: a deleted version's number, kept (without text) so it is not reused."""
_LIVE = col(FlowVersionRow.status) != DELETED
"""Leaves tombstones out: every read uses it but numbering."""


class FlowVersionConflict(ChatflowError):
    """The request lost a race or contradicts the versions' state (the API answers 409)."""

    def __init__(self, message: str, *, flow_id: str = "", code: str = "conflict") -> None:
        super().__init__(message, flow_id=flow_id)
        self.code = code
        """Names the refusal for the API's problem type (``version_published``, ...)."""


class FlowInUse(FlowVersionConflict):
    """A flow that enabled sites still run cannot be deleted."""

    def __init__(self, flow_id: str, sites: list[str]) -> None:
        super().__init__(
            f"flow {flow_id!r} is run by {len(sites)} site{'s' if len(sites) > 1 else ''}",
            flow_id=flow_id,
            code="flow_in_use",
        )
        self.sites = sites


@dataclass(frozen=True)
class FlowVersion:
    """One version of a merchant's flow."""

    merchant_id: str
    flow_id: str
    version: int
    status: FlowStatus
    created_by: str
    created_at: datetime
    note: str
    yaml: str


@dataclass(frozen=True)
class FlowSummary:
    """A merchant's flow: how many versions, which one is published, the newest."""

    flow_id: str
    versions: int
    latest_version: int
    published_version: int | None


@dataclass(frozen=True)
class CheckedFlow:
    """An uploaded flow text after the validator ran: the model when it parsed, every problem."""

    flow: FlowBase | None
    problems: list[Problem]
    document: Document | None = None
    """The parsed YAML with positions (for placing further problems)."""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]


_STATUSES: dict[str, FlowStatus] = {
    "draft": "draft",
    "published": "published",
    "archived": "archived",
}


def _version(row: FlowVersionRow) -> FlowVersion:
    return FlowVersion(
        merchant_id=row.merchant_id,
        flow_id=row.flow_id,
        version=row.version,
        status=_STATUSES.get(row.status, "draft"),
        created_by=row.created_by,
        created_at=row.created_at,
        note=row.note,
        yaml=row.yaml,
    )


def _published(merchant_id: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The filter of the merchant's published versions (at most one per flow)."""
    return col(FlowVersionRow.merchant_id) == merchant_id, col(FlowVersionRow.status) == "published"


def published_flow_yaml(engine: Engine, merchant_id: str, flow_id: str) -> tuple[int, str] | None:
    """``(version, yaml)`` of the merchant's published version of a flow, or None."""
    with Session(engine) as db:
        row = db.exec(
            select(FlowVersionRow).where(
                *_published(merchant_id), FlowVersionRow.flow_id == flow_id
            )
        ).first()
        return (row.version, row.yaml) if row is not None else None


def published_versions(db: Session, merchant_id: str) -> dict[str, int]:
    """Flow id -> the number of the merchant's published version of it (texts not read)."""
    rows = db.exec(
        select(FlowVersionRow.flow_id, FlowVersionRow.version).where(*_published(merchant_id))
    ).all()
    return dict(rows)


def published_rows(db: Session, merchant_id: str) -> list[FlowVersionRow]:
    """The merchant's published versions with their texts, by flow id."""
    statement = (
        select(FlowVersionRow).where(*_published(merchant_id)).order_by(col(FlowVersionRow.flow_id))
    )
    return list(db.exec(statement).all())


def check_flow_text(
    text: str, language: FlowLanguage, *, source: str, groups: Collection[str] | None, where: str
) -> CheckedFlow:
    """Run the same checks as ``chatflow validate`` on one flow's text.

    ``groups`` are the skill groups transfers may use (None skips that check); ``where`` names
    them in messages. Problems are placed in ``source`` (a file name the text stands for).
    """
    try:
        doc = loads(text, source)
    except DefinitionError as exc:
        return CheckedFlow(None, list(exc.problems))
    if doc.data is None:
        return CheckedFlow(None, [Problem("the file is empty", source, 1, 1)])
    try:
        model = language.parse(doc)
    except DefinitionError as exc:
        return CheckedFlow(None, list(exc.problems), doc)
    scopes = [GroupScope(frozenset(groups), where)] if groups is not None else []
    problems = check_flow(doc, model, language, group_scopes=scopes, text=text)
    problems.sort(key=lambda p: (p.line, p.column, p.message))
    return CheckedFlow(model, problems, doc)


def merchant_group_ids(engine: Engine, merchant_id: str) -> list[str]:
    """The ids of the merchant's skill groups (what its flows may transfer to)."""
    with Session(engine) as db:
        rows = db.exec(select(GroupRow.id).where(GroupRow.merchant_id == merchant_id)).all()
        return sorted(rows)


def list_flows(engine: Engine, merchant_id: str) -> list[FlowSummary]:
    """Every flow of the merchant that has at least one version, by id."""
    with Session(engine) as db:
        rows = db.exec(
            select(FlowVersionRow.flow_id, FlowVersionRow.version, FlowVersionRow.status)
            .where(FlowVersionRow.merchant_id == merchant_id, _LIVE)
            .order_by(col(FlowVersionRow.flow_id), col(FlowVersionRow.version))
        ).all()
    by_flow: dict[str, list[tuple[int, str]]] = {}
    for flow_id, version, status in rows:
        by_flow.setdefault(flow_id, []).append((version, status))
    return [
        FlowSummary(
            flow_id=flow_id,
            versions=len(versions),
            latest_version=versions[-1][0],
            published_version=next((v for v, s in versions if s == "published"), None),
        )
        for flow_id, versions in by_flow.items()
    ]


def list_versions(engine: Engine, merchant_id: str, flow_id: str) -> list[FlowVersion]:
    """The flow's versions, oldest first; :class:`NotFoundError` when it has none."""
    with Session(engine) as db:
        rows = db.exec(
            select(FlowVersionRow)
            .where(
                FlowVersionRow.merchant_id == merchant_id,
                FlowVersionRow.flow_id == flow_id,
                _LIVE,
            )
            .order_by(col(FlowVersionRow.version))
        ).all()
        if not rows:
            raise NotFoundError(f"no flow {flow_id!r}", flow_id=flow_id)
        return [_version(row) for row in rows]


def get_version(engine: Engine, merchant_id: str, flow_id: str, version: int) -> FlowVersion:
    """One version; :class:`NotFoundError` when the merchant has no such version."""
    with Session(engine) as db:
        return _version(_row(db, merchant_id, flow_id, version))


def _row(db: Session, merchant_id: str, flow_id: str, version: int) -> FlowVersionRow:
    row = db.exec(
        select(FlowVersionRow).where(
            FlowVersionRow.merchant_id == merchant_id,
            FlowVersionRow.flow_id == flow_id,
            FlowVersionRow.version == version,
            _LIVE,
        )
    ).first()
    if row is None:
        raise NotFoundError(f"flow {flow_id!r} has no version {version}", flow_id=flow_id)
    return row


def save_version(
    engine: Engine,
    merchant_id: str,
    flow_id: str,
    text: str,
    *,
    created_by: str,
    note: str = "",
    publish: bool = False,
    now: datetime | None = None,
) -> FlowVersion:
    """Store ``text`` as the flow's next version: a draft, or published (archiving the old one).

    The next number follows the highest ever used, deleted ones included. The caller validates
    first (:func:`check_flow_text`); this only numbers and stores.
    """
    with Session(engine) as db:
        latest = db.exec(
            select(func.max(FlowVersionRow.version)).where(
                FlowVersionRow.merchant_id == merchant_id, FlowVersionRow.flow_id == flow_id
            )
        ).one()
        if publish:
            _archive_published(db, merchant_id, flow_id)
        row = FlowVersionRow(
            merchant_id=merchant_id,
            flow_id=flow_id,
            version=(latest or 0) + 1,
            yaml=text,
            status="published" if publish else "draft",
            created_by=created_by,
            created_at=now or utcnow(),
            note=note,
        )
        db.add(row)
        _commit(db, flow_id)
        db.refresh(row)
        return _version(row)


def publish_version(engine: Engine, merchant_id: str, flow_id: str, version: int) -> FlowVersion:
    """Make ``version`` the published one; the previously published version is archived.

    Publishing the version that is already published changes nothing. The caller re-validates
    the text first (groups may have changed since it was saved). A version deleted meanwhile is
    :class:`NotFoundError`: the status changes only if the row is still a draft or archived.
    """
    with Session(engine) as db:
        row = _row(db, merchant_id, flow_id, version)
        if row.status == "published":
            return _version(row)
        _archive_published(db, merchant_id, flow_id)
        done = db.exec(
            update(FlowVersionRow)
            .where(
                col(FlowVersionRow.id) == row.id,
                col(FlowVersionRow.status).in_(("draft", "archived")),
            )
            .values(status="published")
        )
        if done.rowcount != 1:
            db.rollback()
            row = _row(db, merchant_id, flow_id, version)  # NotFoundError when it was deleted
            if row.status == "published":  # a concurrent publish of the same version won
                return _version(row)
            raise FlowVersionConflict(
                f"version {version} changed while it was being published; reload and retry",
                flow_id=flow_id,
            )
        _commit(db, flow_id)
        db.refresh(row)
        return _version(row)


def _archive_published(db: Session, merchant_id: str, flow_id: str) -> None:
    # one conditional statement, not read-then-write: a row a concurrent delete made a
    # tombstone no longer matches, so it is never brought back as "archived"
    db.exec(
        update(FlowVersionRow)
        .where(
            col(FlowVersionRow.merchant_id) == merchant_id,
            col(FlowVersionRow.flow_id) == flow_id,
            col(FlowVersionRow.status) == "published",
        )
        .values(status="archived")
    )


def delete_version(engine: Engine, merchant_id: str, flow_id: str, version: int) -> FlowVersion:
    """Delete a draft; returns what it was. Published and archived versions are refused.

    Only drafts never ran: an archived version was published once and is the flow's history
    (rollback, diff, what past conversations ran), so it goes only with the whole flow. Two
    deletes of one draft, or a delete and a publish, cannot both win: the row changes only if
    it is still a draft, and the loser is told what it became.
    """
    with Session(engine) as db:
        row = _row(db, merchant_id, flow_id, version)
        if row.status != "draft":
            raise _not_a_draft(row)
        found = _version(row)
        done = db.exec(
            update(FlowVersionRow)
            .where(col(FlowVersionRow.id) == row.id, col(FlowVersionRow.status) == "draft")
            .values(status=DELETED, yaml="", note="")
        )
        if done.rowcount != 1:
            db.rollback()
            raise _not_a_draft(_row(db, merchant_id, flow_id, version))  # or NotFoundError
        _keep_one_tombstone(db, merchant_id, flow_id)
        _commit(db, flow_id)
        return found


def _not_a_draft(row: FlowVersionRow) -> FlowVersionConflict:
    if row.status == "draft":  # it changed and changed back while we looked
        return FlowVersionConflict(
            f"version {row.version} changed while it was being deleted; reload and retry",
            flow_id=row.flow_id,
        )
    if row.status == "published":
        return FlowVersionConflict(
            f"version {row.version} is the published version: new sessions start on it. "
            "Publish another version first, or delete the whole flow",
            flow_id=row.flow_id,
            code="version_published",
        )
    return FlowVersionConflict(
        f"version {row.version} is {row.status}: it was published once, and published versions "
        "stay as the flow's history (rollback, diff, what past conversations ran). Only drafts "
        "can be deleted; delete the whole flow to remove its history",
        flow_id=row.flow_id,
        code=f"version_{row.status}",
    )


def delete_flow(engine: Engine, merchant_id: str, flow_id: str) -> int:
    """Delete every version of a flow no enabled site runs; returns how many there were.

    :class:`FlowInUse` names the sites (a disabled site starts no session again, so it does not
    hold a flow). Running sessions are not looked at here: they run on their own copy.
    """
    with Session(engine) as db:
        # Write first, then check the sites in the same transaction. The published row is
        # locked first, as a publish locks it, so the two wait for each other, never deadlock;
        # a site saved at the same moment holds that row too (lock_published).
        deleted = 0
        for which in (col(FlowVersionRow.status) == "published", _LIVE):
            deleted += db.exec(
                update(FlowVersionRow)
                .where(
                    col(FlowVersionRow.merchant_id) == merchant_id,
                    col(FlowVersionRow.flow_id) == flow_id,
                    which,
                )
                .values(status=DELETED, yaml="", note="")
            ).rowcount
        if deleted == 0:
            db.rollback()
            raise NotFoundError(f"no flow {flow_id!r}", flow_id=flow_id)
        sites = _sites_running(db, merchant_id, flow_id)
        if sites:
            db.rollback()
            raise FlowInUse(flow_id, sites)
        _keep_one_tombstone(db, merchant_id, flow_id)
        _commit(db, flow_id)
        return deleted


def _keep_one_tombstone(db: Session, merchant_id: str, flow_id: str) -> None:
    """Drop the tombstones below the flow's highest number: only the highest keeps numbering."""
    top = db.exec(
        select(func.max(FlowVersionRow.version)).where(
            FlowVersionRow.merchant_id == merchant_id, FlowVersionRow.flow_id == flow_id
        )
    ).one()
    db.exec(
        delete(FlowVersionRow).where(
            col(FlowVersionRow.merchant_id) == merchant_id,
            col(FlowVersionRow.flow_id) == flow_id,
            col(FlowVersionRow.status) == DELETED,
            col(FlowVersionRow.version) < (top or 0),
        )
    )


def lock_published(db: Session, merchant_id: str, flow_id: str) -> int | None:
    """The flow's published version number, held until ``db`` commits; None when it has none.

    For a write that names the flow (a site pointed at it): write first, call this in the same
    transaction, and commit only when it found one. A whole-flow delete then either committed
    before (None) or waits and sees the write (:class:`FlowInUse`): on SQLite the write lock
    serialises the two, on PostgreSQL this lock on the published row, which a delete and a
    publish change first.
    """
    published = select(FlowVersionRow.version).where(
        *_published(merchant_id), FlowVersionRow.flow_id == flow_id
    )
    for _ in range(3):
        version = db.exec(published.with_for_update(read=True)).first()
        if version is not None or db.exec(published).first() is None:
            return version
        # PostgreSQL re-checks only the rows it read before waiting: a publish that committed
        # meanwhile made another row the published one, which the next round locks
    raise FlowVersionConflict(
        f"the published version of flow {flow_id!r} kept changing; retry", flow_id=flow_id
    )


def sites_running(engine: Engine, merchant_id: str, flow_id: str) -> list[str]:
    """Keys of the merchant's enabled sites that run the flow, sorted."""
    with Session(engine) as db:
        return _sites_running(db, merchant_id, flow_id)


def _sites_running(db: Session, merchant_id: str, flow_id: str) -> list[str]:
    rows = db.exec(
        select(SiteRow.key).where(
            SiteRow.merchant_id == merchant_id,
            SiteRow.flow_id == flow_id,
            col(SiteRow.enabled).is_(True),
        )
    ).all()
    return sorted(rows)


def unended_conversations(engine: Engine, merchant_id: str, flow_id: str) -> list[tuple[str, str]]:
    """``(session id, site key)`` of the flow's conversations the records show as not ended.

    Newest first. Records trail the session store, so the caller confirms with the runtime.
    """
    with Session(engine) as db:
        rows = db.exec(
            select(ConversationRow.session_id, ConversationRow.site_key)
            .where(
                ConversationRow.merchant_id == merchant_id,
                ConversationRow.flow_id == flow_id,
                ConversationRow.status != "ended",
            )
            .order_by(col(ConversationRow.started_at).desc())
        ).all()
        return [(sid, site) for sid, site in rows]


def _commit(db: Session, flow_id: str) -> None:
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise FlowVersionConflict(
            "another change to this flow was saved at the same time; reload and retry",
            flow_id=flow_id,
        ) from None


def diff_versions(engine: Engine, merchant_id: str, flow_id: str, old: int, new: int) -> str:
    """A unified diff from version ``old`` to version ``new`` (empty when the texts are equal)."""
    a = get_version(engine, merchant_id, flow_id, old)
    b = get_version(engine, merchant_id, flow_id, new)
    lines = difflib.unified_diff(
        a.yaml.splitlines(keepends=True),
        b.yaml.splitlines(keepends=True),
        fromfile=f"{flow_id}.flow.yaml@v{old}",
        tofile=f"{flow_id}.flow.yaml@v{new}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def seed_flow_versions(
    engine: Engine, folder: Path, language: FlowLanguage, *, now: datetime | None = None
) -> list[str]:
    """Import the flows of ``folder`` that the merchants' sites run and have no version yet.

    Each becomes the merchant's published version 1. A flow the merchant deleted comes back
    only when an enabled site runs it again (a site added to ``chatflow.yaml``), numbered after
    the deleted versions; a disabled site never brings it back. A flow file that is missing, or
    has an error by the checks an upload passes (``chatflow validate``'s, against the
    merchant's groups), is left out; the returned lines say what happened. Files changed after
    their import: :mod:`~chatflow.engine.flowfiles`.
    """
    with Session(engine) as db:
        sites = db.exec(select(SiteRow.merchant_id, SiteRow.flow_id, SiteRow.enabled)).all()
        versions = db.exec(
            select(FlowVersionRow.merchant_id, FlowVersionRow.flow_id, FlowVersionRow.status)
        ).all()
    have = {(m, f) for m, f, status in versions if status != DELETED}
    deleted = {(m, f) for m, f, status in versions if status == DELETED} - have
    wanted = {(m, f) for m, f, enabled in sites if enabled or (m, f) not in deleted}
    todo = sorted(wanted - have)
    if not todo:
        return []
    index = Catalog(language).flows_in(folder)
    report: list[str] = []
    for merchant_id, flow_id in todo:
        loaded = index.get(flow_id)
        text = importable_text(engine, merchant_id, loaded, language) if loaded else None
        if loaded is None or text is None:
            why = "not in" if loaded is None else "invalid in"
            report.append(f"flow {flow_id!r} of merchant {merchant_id!r}: {why} {folder}")
            continue
        saved = save_version(
            engine,
            merchant_id,
            flow_id,
            text,
            created_by=SEED_AUTHOR,
            note=f"imported from {loaded.path.name}",
            publish=True,
            now=now,
        )
        report.append(
            f"flow {flow_id!r} of merchant {merchant_id!r}: published version {saved.version}"
        )
    return report


def importable_text(
    engine: Engine, merchant_id: str, loaded: Loaded[FlowBase], language: FlowLanguage
) -> str | None:
    """The file's text, or None when an upload of it by the merchant would be refused (the
    checks of :func:`check_flow_text`, run on the file as the catalog already parsed it)."""
    if loaded.document is None or loaded.model is None:
        return None
    groups = frozenset(merchant_group_ids(engine, merchant_id))
    scopes = [GroupScope(groups, f"merchant {merchant_id!r}")]
    problems = check_flow(loaded.document, loaded.model, language, group_scopes=scopes)
    if any(problem.severity == "error" for problem in problems):
        return None
    return loaded.path.read_text(encoding="utf-8-sig")


def sites_by_flow(engine: Engine, merchant_id: str) -> dict[str, list[str]]:
    """Flow id -> keys of the merchant's sites that run it, sorted."""
    with Session(engine) as db:
        rows = db.exec(
            select(SiteRow.flow_id, SiteRow.key)
            .where(SiteRow.merchant_id == merchant_id)
            .order_by(col(SiteRow.key))
        ).all()
    by_flow: dict[str, list[str]] = {}
    for flow_id, key in rows:
        by_flow.setdefault(flow_id, []).append(key)
    return by_flow
