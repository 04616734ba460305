"""Permission groups (商號權限分組): per-feature ``view`` / ``edit`` rights for sub-accounts.

Seed 000: a merchant needs at least one permission group before it can create a sub-account;
rights are saved explicitly ("設定或修改權限後，請按下保存") and at least ``view`` is advised.
A group that accounts still use cannot be deleted.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import Field, ValidationError, ValidatorFunctionWrapHandler, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from chatflow.admin_api.permissions import FEATURES, Actor, require
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.tenants import ApiModel, Db, NumericId, not_found, permission_group
from chatflow.engine.checks import did_you_mean
from chatflow.engine.stores.recordsdb import AccountRow, PermissionGroupRow

router = APIRouter(prefix="/api/v1/admin/permission-groups", tags=["permission groups"])

Right = Literal["view", "edit"]


def _known_features(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """``permissions`` checked whole: every unknown feature (at its own path, with the closest
    known one) and every bad level are reported together, not the first kind found only."""
    problems: list[InitErrorDetails] = []
    if isinstance(value, dict):
        for feature in value:
            if isinstance(feature, str) and feature not in FEATURES:
                hint = did_you_mean(feature, FEATURES)  # " Did you mean 'x'?" or nothing
                message = f"unknown feature {feature!r}. Available features: {', '.join(FEATURES)}"
                message += f".{hint}" if hint else ""
                error = PydanticCustomError("value_error", "Value error, {why}", {"why": message})
                problems.append(InitErrorDetails(type=error, loc=(feature,), input=feature))
    try:
        checked = handler(value)
    except ValidationError as exc:
        for e in exc.errors():  # a bad level, or not an object at all: pydantic's own errors
            again = InitErrorDetails(type=e["type"], loc=e["loc"], input=e["input"])
            if "ctx" in e:
                again["ctx"] = e["ctx"]
            problems.append(again)
    if problems:
        raise ValidationError.from_exception_data("permissions", problems)
    return checked


class PermissionGroupIn(ApiModel):
    """A new permission group."""

    name: str = Field(min_length=1, max_length=64)
    """Name, unique in the merchant."""
    permissions: dict[str, Right] = Field(default_factory=dict)
    """Feature -> ``view`` or ``edit``; a feature not listed is not accessible. Features:
    accounts, permission_groups, sites, groups, agents, flows, quick_replies, sensitive_words,
    blacklist, tags, records, statistics, exports, settings, channels."""

    _features = field_validator("permissions", mode="wrap")(_known_features)


class PermissionGroupPatch(ApiModel):
    """Fields to change; ``permissions`` replaces the whole set of rights."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    """New name."""
    permissions: dict[str, Right] | None = None
    """The new rights (all of them: features left out lose access)."""

    _features = field_validator("permissions", mode="wrap")(_known_features)


class PermissionGroupOut(ApiModel):
    """A permission group with the accounts that use it."""

    id: int
    name: str
    permissions: dict[str, str]
    accounts: list[str]
    """Accounts whose rights come from this group."""


def _accounts_by_group(
    db: Session, merchant_id: str, group_id: int | None = None
) -> dict[int, list[str]]:
    """Permission group id -> the accounts whose rights come from it (one query)."""
    statement = select(AccountRow.permission_group_id, AccountRow.account).where(
        AccountRow.merchant_id == merchant_id,
        col(AccountRow.permission_group_id).is_not(None),
        col(AccountRow.owner).is_(False),  # the owner's rights never come from a group
    )
    if group_id is not None:
        statement = statement.where(AccountRow.permission_group_id == group_id)
    by_group: dict[int, list[str]] = {}
    for permission_group_id, account in db.exec(statement.order_by(col(AccountRow.account))):
        if permission_group_id is not None:
            by_group.setdefault(permission_group_id, []).append(account)
    return by_group


def _out(row: PermissionGroupRow, accounts: dict[int, list[str]]) -> PermissionGroupOut:
    assert row.id is not None
    return PermissionGroupOut(
        id=row.id,
        name=row.name,
        permissions=dict(row.permissions),
        accounts=accounts.get(row.id, []),
    )


def _one_out(db: Session, row: PermissionGroupRow) -> PermissionGroupOut:
    return _out(row, _accounts_by_group(db, row.merchant_id, row.id))


def _get(db: Session, actor: Actor, group_id: int) -> PermissionGroupRow:
    row = permission_group(db, actor.merchant_id, group_id)
    if row is None:
        raise not_found("permission group", group_id)
    return row


def _save(db: Session, row: PermissionGroupRow) -> None:
    db.add(row)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise ApiProblem(
            409, "conflict", f"a permission group named {row.name!r} already exists"
        ) from None
    db.refresh(row)


@router.get("", response_model=list[PermissionGroupOut])
def list_permission_groups(
    actor: Annotated[Actor, Depends(require("permission_groups"))], db: Db
) -> list[PermissionGroupOut]:
    """The merchant's permission groups."""
    rows = db.exec(
        select(PermissionGroupRow).where(PermissionGroupRow.merchant_id == actor.merchant_id)
    ).all()
    accounts = _accounts_by_group(db, actor.merchant_id)
    return [_out(row, accounts) for row in sorted(rows, key=lambda r: r.name)]


@router.post("", response_model=PermissionGroupOut, status_code=201)
def create_permission_group(
    body: PermissionGroupIn,
    actor: Annotated[Actor, Depends(require("permission_groups", "edit"))],
    db: Db,
) -> PermissionGroupOut:
    """Create a permission group."""
    row = PermissionGroupRow(
        merchant_id=actor.merchant_id, name=body.name, permissions=dict(body.permissions)
    )
    _save(db, row)
    return _one_out(db, row)


@router.get("/{group_id}", response_model=PermissionGroupOut)
def get_permission_group(
    group_id: NumericId, actor: Annotated[Actor, Depends(require("permission_groups"))], db: Db
) -> PermissionGroupOut:
    """One permission group."""
    return _one_out(db, _get(db, actor, group_id))


@router.patch("/{group_id}", response_model=PermissionGroupOut)
def update_permission_group(
    group_id: NumericId,
    body: PermissionGroupPatch,
    actor: Annotated[Actor, Depends(require("permission_groups", "edit"))],
    db: Db,
) -> PermissionGroupOut:
    """Rename a group or replace its rights; accounts using it get the new rights at once."""
    row = _get(db, actor, group_id)
    if body.name is not None:
        row.name = body.name
    if body.permissions is not None:
        row.permissions = dict(body.permissions)
    _save(db, row)
    return _one_out(db, row)


@router.delete("/{group_id}", status_code=204)
def delete_permission_group(
    group_id: NumericId,
    actor: Annotated[Actor, Depends(require("permission_groups", "edit"))],
    db: Db,
) -> None:
    """Delete a group no account uses (409 lists the accounts otherwise)."""
    row = _get(db, actor, group_id)
    accounts = _accounts_by_group(db, actor.merchant_id, group_id).get(group_id, [])
    if accounts:
        raise ApiProblem(
            409,
            "permission_group_in_use",
            f"permission group {row.name!r} is used by {', '.join(accounts)}; give them another "
            "group first",
            accounts=accounts,
        )
    db.delete(row)
    db.commit()
