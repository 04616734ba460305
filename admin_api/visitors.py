"""Visitor profiles, tagging and blacklisting, shared by the visitor routes, the workbench's
visitor panel (``routes_session_visitor``) and the records batch actions.

A tag group that is not ``multi`` lets a visitor hold one of its tags: adding another replaces it
(batch tagging), and asking for two at once is refused (setting a visitor's tags).

Times (``at``) come from the caller: the app's clock (``recordquery.now``), so a demo or a test on
a frozen clock dates a ban or a new profile like the conversations beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from chatflow.admin_api.problems import ApiProblem
from chatflow.engine.retention import delete_conversations
from chatflow.engine.stores.channeltables import WebhookUserRow
from chatflow.engine.stores.contenttables import (
    BlacklistRow,
    TagGroupRow,
    TagRow,
    VisitorRow,
    VisitorTagRow,
)
from chatflow.engine.stores.recordsdb import ConversationRow


def known_visitors(db: Session, merchant_id: str, visitor_ids: Iterable[str]) -> set[str]:
    """Those of ``visitor_ids`` the merchant has a profile or a conversation of."""
    wanted = set(visitor_ids)
    found = set(
        db.exec(
            select(VisitorRow.visitor_id).where(
                col(VisitorRow.merchant_id) == merchant_id, col(VisitorRow.visitor_id).in_(wanted)
            )
        ).all()
    )
    if rest := wanted - found:
        statement = select(ConversationRow.visitor_id).where(
            col(ConversationRow.merchant_id) == merchant_id,
            col(ConversationRow.visitor_id).in_(rest),
        )
        found.update(db.exec(statement.distinct()).all())
    return found


def known_visitor(db: Session, merchant_id: str, visitor_id: str) -> bool:
    """The merchant has a profile or a conversation of this visitor."""
    return bool(known_visitors(db, merchant_id, [visitor_id]))


def require_visitor(db: Session, merchant_id: str, visitor_id: str) -> None:
    if not known_visitor(db, merchant_id, visitor_id):
        raise ApiProblem(404, "not_found", f"no visitor {visitor_id!r}")


def ensure_profile(db: Session, merchant_id: str, visitor_id: str, *, at: datetime) -> VisitorRow:
    """The visitor's profile, made empty (updated ``at``, the app's clock) if missing: a tagged
    or blacklisted visitor is listed."""
    profile = db.get(VisitorRow, (merchant_id, visitor_id))
    if profile is None:
        profile = _new_profile(merchant_id, visitor_id, at)
        db.add(profile)
    return profile


def _new_profile(merchant_id: str, visitor_id: str, at: datetime) -> VisitorRow:
    return VisitorRow(merchant_id=merchant_id, visitor_id=visitor_id, updated_at=at)


def update_profile(
    db: Session, profile: VisitorRow, fields: Mapping[str, str | None], *, at: datetime
) -> None:
    """Set the profile's fields, stripped, ``at`` (the app's clock); a blank one is cleared
    (None), and a field left out of ``fields`` is not touched."""
    for name, value in fields.items():
        setattr(profile, name, (value.strip() or None) if isinstance(value, str) else value)
    profile.updated_at = at
    db.add(profile)


def profile_names(db: Session, merchant_id: str, visitor_ids: Iterable[str]) -> dict[str, str]:
    """The names the merchant gave these visitors, in one query (no name: left out)."""
    statement = select(VisitorRow.visitor_id, VisitorRow.name).where(
        col(VisitorRow.merchant_id) == merchant_id,
        col(VisitorRow.visitor_id).in_(set(visitor_ids)),
    )
    return {visitor_id: name for visitor_id, name in db.exec(statement) if name is not None}


def held_tags(db: Session, merchant_id: str, visitor_id: str) -> list[tuple[TagRow, TagGroupRow]]:
    """The visitor's tags with their groups, by group then tag."""
    statement = (
        select(TagRow, TagGroupRow)
        .join(VisitorTagRow, col(VisitorTagRow.tag_id) == col(TagRow.id))
        .join(TagGroupRow, col(TagGroupRow.id) == col(TagRow.group_id))
        .where(
            col(VisitorTagRow.merchant_id) == merchant_id,
            col(VisitorTagRow.visitor_id) == visitor_id,
        )
        .order_by(col(TagGroupRow.id), col(TagRow.id))
    )
    return [(tag, group) for tag, group in db.exec(statement)]


def merchant_tags(db: Session, merchant_id: str, tag_ids: Iterable[int]) -> dict[int, TagRow]:
    """The merchant's tags by id; 404 naming any id that is not one of them."""
    wanted = sorted(set(tag_ids))
    rows = db.exec(
        select(TagRow).where(col(TagRow.merchant_id) == merchant_id, col(TagRow.id).in_(wanted))
    ).all()
    found = {row.id: row for row in rows if row.id is not None}
    missing = [tag_id for tag_id in wanted if tag_id not in found]
    if missing:
        raise ApiProblem(404, "not_found", f"no tag {', '.join(map(str, missing))}")
    return found


def _single_groups(db: Session, merchant_id: str, tags: Iterable[TagRow]) -> set[int]:
    group_ids = {tag.group_id for tag in tags}
    rows = db.exec(
        select(TagGroupRow.id).where(
            col(TagGroupRow.merchant_id) == merchant_id,
            col(TagGroupRow.id).in_(group_ids),
            col(TagGroupRow.multi).is_(False),
        )
    ).all()
    return {group_id for group_id in rows if group_id is not None}


def visitor_tag_ids(db: Session, merchant_id: str, visitor_id: str) -> list[int]:
    statement = select(VisitorTagRow.tag_id).where(
        col(VisitorTagRow.merchant_id) == merchant_id,
        col(VisitorTagRow.visitor_id) == visitor_id,
    )
    return sorted(db.exec(statement).all())


def add_tags(
    db: Session,
    merchant_id: str,
    visitor_ids: Iterable[str],
    tags: dict[int, TagRow],
    *,
    at: datetime,
) -> None:
    """Give each visitor ``tags``; in a single-choice group the new tag replaces the old one.
    A visitor known only by its conversations gets a profile, updated ``at``.

    One read of the profiles and one of the tags held, whatever the number of visitors.
    """
    ids = list(dict.fromkeys(visitor_ids))
    have = set(
        db.exec(
            select(VisitorRow.visitor_id).where(
                col(VisitorRow.merchant_id) == merchant_id, col(VisitorRow.visitor_id).in_(ids)
            )
        ).all()
    )
    db.add_all(_new_profile(merchant_id, v, at) for v in ids if v not in have)
    single = _single_groups(db, merchant_id, tags.values())
    chosen: dict[int, int] = {}
    for tag_id, tag in tags.items():
        if tag.group_id in single:
            chosen[tag.group_id] = tag_id  # several in one single-choice group: the last wins
    wanted = {tag_id for tag_id, tag in tags.items() if tag.group_id not in single}
    wanted |= set(chosen.values())
    keep = {visitor_id: set(wanted) for visitor_id in ids}
    held = db.exec(
        select(VisitorTagRow, TagRow.group_id)
        .join(TagRow, col(TagRow.id) == col(VisitorTagRow.tag_id))
        .where(
            col(VisitorTagRow.merchant_id) == merchant_id,
            col(VisitorTagRow.visitor_id).in_(ids),
        )
    ).all()
    for link, group_id in held:
        if link.tag_id in keep[link.visitor_id]:
            keep[link.visitor_id].discard(link.tag_id)
        elif group_id in chosen:
            db.delete(link)
    for visitor_id, tag_ids in keep.items():
        for tag_id in sorted(tag_ids):
            db.add(VisitorTagRow(merchant_id=merchant_id, visitor_id=visitor_id, tag_id=tag_id))


def set_tags(
    db: Session,
    merchant_id: str,
    visitor_id: str,
    tags: dict[int, TagRow],
    *,
    at: datetime,
) -> None:
    """Replace the visitor's tags; 422 when two come from one single-choice group. A missing
    profile is made as :func:`ensure_profile` makes it (``at``)."""
    ensure_profile(db, merchant_id, visitor_id, at=at)
    single = _single_groups(db, merchant_id, tags.values())
    seen: set[int] = set()
    for tag in tags.values():
        if tag.group_id in single:
            if tag.group_id in seen:
                raise ApiProblem(
                    422, "single_choice", "a visitor holds at most one tag of a single-choice group"
                )
            seen.add(tag.group_id)
    for link in db.exec(
        select(VisitorTagRow).where(
            col(VisitorTagRow.merchant_id) == merchant_id,
            col(VisitorTagRow.visitor_id) == visitor_id,
        )
    ).all():
        db.delete(link)
    db.flush()
    for tag_id in sorted(tags):
        db.add(VisitorTagRow(merchant_id=merchant_id, visitor_id=visitor_id, tag_id=tag_id))


def blacklist(
    db: Session, merchant_id: str, visitor_id: str, *, reason: str, by: str, at: datetime
) -> None:
    """Blacklist the visitor ``at`` (again: the reason, author and time are updated)."""
    ensure_profile(db, merchant_id, visitor_id, at=at)
    row = db.get(BlacklistRow, (merchant_id, visitor_id))
    if row is None:
        row = BlacklistRow(merchant_id=merchant_id, visitor_id=visitor_id)
    row.reason, row.added_by, row.added_at = reason, by, at
    db.add(row)


@dataclass(frozen=True)
class Erased:
    """What :func:`erase` deleted of one visitor."""

    conversations: list[str]
    """Session ids of the deleted conversations (the caller forgets their sessions)."""
    images: list[str]
    """Ids of the deleted images (the caller discards their bytes after the commit)."""
    profile: bool
    tags: int
    blacklisted: bool


def conversations_of(db: Session, merchant_id: str, visitor_id: str) -> dict[str, str]:
    """The visitor's conversations with the merchant: session id -> record status."""
    rows = db.exec(
        select(ConversationRow.session_id, ConversationRow.status).where(
            col(ConversationRow.merchant_id) == merchant_id,
            col(ConversationRow.visitor_id) == visitor_id,
        )
    ).all()
    return dict(rows)


def erase(db: Session, merchant_id: str, visitor_id: str, session_ids: list[str]) -> Erased:
    """Delete everything the merchant keeps of the visitor, in ``db``'s transaction (the caller
    commits): the conversations ``session_ids`` (records, transcripts, images, webhook
    deliveries, the IM user's link to them), the profile, the tags held and the blacklist
    entry. The caller has checked that none of the conversations is live."""
    images = delete_conversations(db, session_ids, merchant_id)
    if session_ids:
        db.exec(delete(WebhookUserRow).where(col(WebhookUserRow.session_id).in_(session_ids)))
    mine = (merchant_id, visitor_id)
    tags = db.exec(
        delete(VisitorTagRow).where(
            col(VisitorTagRow.merchant_id) == merchant_id,
            col(VisitorTagRow.visitor_id) == visitor_id,
        )
    )
    banned = db.get(BlacklistRow, mine)
    if banned is not None:
        db.delete(banned)
    profile = db.get(VisitorRow, mine)
    if profile is not None:
        db.delete(profile)
    return Erased(
        conversations=session_ids,
        images=images,
        profile=profile is not None,
        tags=int(tags.rowcount or 0),
        blacklisted=banned is not None,
    )
