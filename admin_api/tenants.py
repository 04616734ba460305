"""Shared pieces of the tenant admin routes (accounts, permission groups, sites, groups, flows).

Every lookup here takes the actor's merchant id: a row of another merchant is reported exactly
like a row that does not exist (404), so ids never reveal what other tenants have.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated, Any, NoReturn

from fastapi import Depends, Path, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine
from sqlmodel import Session, select

from chatflow.admin_api.problems import ApiProblem
from chatflow.engine.checks import choices, did_you_mean
from chatflow.engine.stores.recordsdb import GroupRow, PermissionGroupRow, SiteRow

ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_-]*$"
"""Site keys and group ids, as in ``chatflow.yaml``."""
ACCOUNT_NAME_PATTERN = r"^[A-Za-z0-9_]{6,20}$"
FLOW_ID_PATTERN = r"^[a-z0-9_-]+$"
MAX_INT = 2_147_483_647
"""Upper bound of numeric ids in paths (larger ones cannot exist and would overflow SQLite)."""

SiteKey = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="The site's key.")]
GroupId = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="The group's id.")]
AccountName = Annotated[
    str, Path(pattern=ACCOUNT_NAME_PATTERN, description="The account's login name.")
]
FlowId = Annotated[str, Path(pattern=FLOW_ID_PATTERN, max_length=64, description="Flow id.")]
NumericId = Annotated[int, Path(ge=1, le=MAX_INT)]


class ApiModel(BaseModel):
    """Base of request and response bodies: unknown fields are errors, docstrings document."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


def records(request: Request) -> Engine:
    """The records database of the running app."""
    engine: Engine = request.app.state.records
    return engine


def db_session(engine: Annotated[Engine, Depends(records)]) -> Iterator[Session]:
    """One database session per request."""
    with Session(engine) as db:
        yield db


Db = Annotated[Session, Depends(db_session)]


def not_found(what: str, ident: object) -> ApiProblem:
    return ApiProblem(404, "not_found", f"no {what} {ident!r}")


def invalid(field: str, message: str, **extra: Any) -> NoReturn:
    """Answer 422 with one placed error, in the shape of FastAPI's own validation errors."""
    raise ApiProblem(
        422,
        "invalid_input",
        message,
        errors=[{"path": f"body.{field}", "message": message}],
        **extra,
    )


def unknown(what: str, field: str, values: Iterable[str], known: Iterable[str]) -> None:
    """422 listing the valid choices when any of ``values`` is not in ``known``."""
    valid = sorted(set(known))
    missing = [v for v in values if v not in valid]
    if missing:
        first = missing[0]
        invalid(
            field,
            f"unknown {what} {', '.join(repr(m) for m in missing)}; this merchant has: "
            f"{choices(valid)}.{did_you_mean(first, valid)}",
        )


def site_keys(db: Session, merchant_id: str) -> list[str]:
    return sorted(db.exec(select(SiteRow.key).where(SiteRow.merchant_id == merchant_id)).all())


def group_ids(db: Session, merchant_id: str) -> list[str]:
    return sorted(db.exec(select(GroupRow.id).where(GroupRow.merchant_id == merchant_id)).all())


def permission_group(db: Session, merchant_id: str, group_id: int) -> PermissionGroupRow | None:
    row = db.get(PermissionGroupRow, group_id)
    return row if row is not None and row.merchant_id == merchant_id else None
