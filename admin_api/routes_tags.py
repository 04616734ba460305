"""Tag groups, tags and tagging visitors (seed 001 标签管理, 批量打标签).

A tag group has a name and ``multi`` (可否多选): whether a visitor may hold several of its tags.
Tagging one visitor sets its tags; batch tagging adds tags to many visitors (in a single-choice
group the new tag replaces the old one) and reports per visitor (404 when it knows none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select

from chatflow.admin_api import visitors
from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.recordquery import DbId, now
from chatflow.admin_api.tenants import NumericId
from chatflow.engine.stores.contenttables import TagGroupRow, TagRow, VisitorTagRow

router = APIRouter(prefix="/api/v1", tags=["tags"])

Reader = Annotated[Actor, Depends(require("tags", "view"))]
Editor = Annotated[Actor, Depends(require("tags", "edit"))]
Name = Annotated[str, Field(min_length=1, max_length=32)]


class TagOut(BaseModel):
    id: int
    name: str


class TagGroupOut(BaseModel):
    id: int
    name: str
    multi: bool
    tags: list[TagOut]


class TagGroupIn(BaseModel):
    name: Name
    multi: bool = True
    tags: list[Name] = Field(default_factory=list, max_length=100)


class TagGroupPatch(BaseModel):
    name: Name | None = None
    multi: bool | None = None


class TagIn(BaseModel):
    name: Name


class VisitorTagsIn(BaseModel):
    tag_ids: list[DbId] = Field(max_length=100)


class BatchTagIn(BaseModel):
    visitor_ids: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        min_length=1, max_length=200
    )
    tag_ids: list[DbId] = Field(min_length=1, max_length=50)


class VisitorFailure(BaseModel):
    visitor_id: str
    code: str
    detail: str


class BatchTagOut(BaseModel):
    succeeded: list[str]
    failed: list[VisitorFailure]
    success_count: int
    failure_count: int


def _group(db: Session, actor: Actor, group_id: int) -> TagGroupRow:
    row = db.get(TagGroupRow, group_id)
    if row is None or row.merchant_id != actor.merchant_id:
        raise ApiProblem(404, "not_found", f"no tag group {group_id}")
    return row


def _tag(db: Session, actor: Actor, tag_id: int) -> TagRow:
    row = db.get(TagRow, tag_id)
    if row is None or row.merchant_id != actor.merchant_id:
        raise ApiProblem(404, "not_found", f"no tag {tag_id}")
    return row


def _groups_out(db: Session, groups: Sequence[TagGroupRow]) -> list[TagGroupOut]:
    """The groups with their tags, read in one query."""
    tags: dict[int, list[TagOut]] = {}
    for tag in db.exec(
        select(TagRow)
        .where(col(TagRow.group_id).in_([group.id for group in groups]))
        .order_by(col(TagRow.id))
    ):
        tags.setdefault(tag.group_id, []).append(TagOut(id=tag.id or 0, name=tag.name))
    return [
        TagGroupOut(
            id=group.id or 0, name=group.name, multi=group.multi, tags=tags.get(group.id or 0, [])
        )
        for group in groups
    ]


def _group_out(db: Session, group: TagGroupRow) -> TagGroupOut:
    [out] = _groups_out(db, [group])
    return out


def _commit(db: Session, what: str) -> None:
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise ApiProblem(409, "conflict", f"{what} already exists") from None


def merchant_tag_groups(db: Session, merchant_id: str) -> list[TagGroupOut]:
    """The merchant's tag groups with their tags, oldest group first."""
    groups = db.exec(
        select(TagGroupRow)
        .where(col(TagGroupRow.merchant_id) == merchant_id)
        .order_by(col(TagGroupRow.id))
    ).all()
    return _groups_out(db, groups)


@router.get("/tag-groups", response_model=list[TagGroupOut])
def list_tag_groups(request: Request, actor: Reader) -> list[TagGroupOut]:
    with Session(request.app.state.records) as db:
        return merchant_tag_groups(db, actor.merchant_id)


@router.post("/tag-groups", response_model=TagGroupOut, status_code=201)
def create_tag_group(request: Request, actor: Editor, body: TagGroupIn) -> TagGroupOut:
    if len(set(body.tags)) != len(body.tags):
        raise ApiProblem(422, "invalid_input", "a tag name appears twice")
    with Session(request.app.state.records) as db:
        group = TagGroupRow(merchant_id=actor.merchant_id, name=body.name.strip(), multi=body.multi)
        db.add(group)
        _commit(db, f"a tag group named {body.name!r}")
        db.add_all(
            TagRow(merchant_id=actor.merchant_id, group_id=group.id or 0, name=name.strip())
            for name in body.tags
        )
        db.commit()
        db.refresh(group)
        return _group_out(db, group)


@router.patch("/tag-groups/{group_id}", response_model=TagGroupOut)
def update_tag_group(
    request: Request, actor: Editor, group_id: NumericId, body: TagGroupPatch
) -> TagGroupOut:
    """Rename, or switch single/multiple choice (refused while a visitor holds several)."""
    with Session(request.app.state.records) as db:
        group = _group(db, actor, group_id)
        if body.multi is False and group.multi:
            crowded = db.exec(
                select(VisitorTagRow.visitor_id)
                .join(TagRow, col(TagRow.id) == col(VisitorTagRow.tag_id))
                .where(col(TagRow.group_id) == group_id)
                .group_by(col(VisitorTagRow.visitor_id))
                .having(func.count() > 1)
                .limit(1)
            ).first()
            if crowded is not None:
                raise ApiProblem(
                    409, "conflict", "some visitors hold several tags of this group; untag first"
                )
        if body.name is not None:
            group.name = body.name.strip()
        if body.multi is not None:
            group.multi = body.multi
        db.add(group)
        _commit(db, f"a tag group named {body.name!r}")
        db.refresh(group)
        return _group_out(db, group)


def _untag(db: Session, tag_ids: list[int]) -> None:
    db.exec(delete(VisitorTagRow).where(col(VisitorTagRow.tag_id).in_(tag_ids)))


@router.delete("/tag-groups/{group_id}", status_code=204)
def delete_tag_group(request: Request, actor: Editor, group_id: NumericId) -> None:
    """Delete the group, its tags, and those tags on every visitor."""
    with Session(request.app.state.records) as db:
        group = _group(db, actor, group_id)
        tag_ids = [
            t for t in db.exec(select(TagRow.id).where(col(TagRow.group_id) == group_id)).all()
        ]
        _untag(db, [t for t in tag_ids if t is not None])
        db.exec(delete(TagRow).where(col(TagRow.group_id) == group_id))
        db.delete(group)
        db.commit()


@router.post("/tag-groups/{group_id}/tags", response_model=TagOut, status_code=201)
def create_tag(request: Request, actor: Editor, group_id: NumericId, body: TagIn) -> TagOut:
    with Session(request.app.state.records) as db:
        group = _group(db, actor, group_id)
        tag = TagRow(merchant_id=actor.merchant_id, group_id=group.id or 0, name=body.name.strip())
        db.add(tag)
        _commit(db, f"a tag named {body.name!r} in this group")
        db.refresh(tag)
        return TagOut(id=tag.id or 0, name=tag.name)


@router.patch("/tags/{tag_id}", response_model=TagOut)
def rename_tag(request: Request, actor: Editor, tag_id: NumericId, body: TagIn) -> TagOut:
    with Session(request.app.state.records) as db:
        tag = _tag(db, actor, tag_id)
        tag.name = body.name.strip()
        db.add(tag)
        _commit(db, f"a tag named {body.name!r} in this group")
        db.refresh(tag)
        return TagOut(id=tag.id or 0, name=tag.name)


@router.delete("/tags/{tag_id}", status_code=204)
def delete_tag(request: Request, actor: Editor, tag_id: NumericId) -> None:
    with Session(request.app.state.records) as db:
        tag = _tag(db, actor, tag_id)
        _untag(db, [tag_id])
        db.delete(tag)
        db.commit()


@router.put("/visitors/{visitor_id}/tags", response_model=list[int])
def set_visitor_tags(
    request: Request, actor: Editor, visitor_id: str, body: VisitorTagsIn
) -> list[int]:
    """Replace the visitor's tags (one per single-choice group); answers the tag ids held."""
    with Session(request.app.state.records) as db:
        visitors.require_visitor(db, actor.merchant_id, visitor_id)
        tags = visitors.merchant_tags(db, actor.merchant_id, body.tag_ids)
        visitors.set_tags(db, actor.merchant_id, visitor_id, tags, at=now(request))
        db.commit()
        return visitors.visitor_tag_ids(db, actor.merchant_id, visitor_id)


@router.post("/visitors/tags", response_model=BatchTagOut)
def batch_tag_visitors(request: Request, actor: Editor, body: BatchTagIn) -> BatchTagOut:
    """Add tags to many visitors at once (seed 001 批量打标签); reports per visitor."""
    ids = list(dict.fromkeys(body.visitor_ids))
    with Session(request.app.state.records) as db:
        tags = visitors.merchant_tags(db, actor.merchant_id, body.tag_ids)
        known = visitors.known_visitors(db, actor.merchant_id, ids)
        succeeded = [visitor_id for visitor_id in ids if visitor_id in known]
        if not succeeded:
            raise ApiProblem(404, "not_found", "none of these visitors exists")
        visitors.add_tags(db, actor.merchant_id, succeeded, tags, at=now(request))
        db.commit()
    failed = [
        VisitorFailure(visitor_id=visitor_id, code="not_found", detail="no such visitor")
        for visitor_id in ids
        if visitor_id not in known
    ]
    return BatchTagOut(
        succeeded=succeeded,
        failed=failed,
        success_count=len(succeeded),
        failure_count=len(failed),
    )
