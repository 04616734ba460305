"""Request and response bodies of the account routes, and the checks they share.

Kept apart from the routes so both stay short; the seed's policy texts live in
:mod:`~chatflow.admin_api.passwords`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field
from sqlmodel import Session

from chatflow.admin_api.passwords import account_problem, password_problems
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.tenants import (
    ACCOUNT_NAME_PATTERN,
    ID_PATTERN,
    MAX_INT,
    ApiModel,
    group_ids,
    invalid,
    site_keys,
    unknown,
)
from chatflow.engine.stores.recordsdb import AccountRow, PermissionGroupRow

Role = Literal["agent", "supervisor", "admin"]
SiteScope = Literal["all", "chosen"]
AgentScope = Literal["self", "groups", "all"]
Ref = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
Priority = Annotated[int, Field(ge=1, le=5)]
Password = Annotated[str, Field(min_length=1, max_length=128)]


class AccountIn(ApiModel):
    """A new sub-account."""

    account: str = Field(
        min_length=1, max_length=64, json_schema_extra={"pattern": ACCOUNT_NAME_PATTERN}
    )
    """Login name: 6-20 half-width letters, digits or ``_``; unique in the deployment."""
    password: Password
    """8-20 characters without spaces, with an upper-case letter, a lower-case letter, a digit
    and a symbol."""
    nickname: str = Field(min_length=1, max_length=50)
    """Name shown to visitors."""
    staff_no: str = Field(min_length=1, max_length=20)
    """Staff number shown to visitors (工号); no other account of the merchant may have it."""
    role: Role = "agent"
    """agent, supervisor or admin (what the workbench offers; rights come from the group)."""
    groups: dict[Ref, Priority] = Field(default_factory=dict, max_length=50)
    """Agent groups the account serves, each with its priority there (1 highest .. 5)."""
    permission_group_id: int = Field(ge=1, le=MAX_INT)
    """The permission group its rights come from (create one first)."""
    site_scope: SiteScope = "all"
    """``all`` sites of the merchant, or the ``chosen`` ``sites`` (only once sites exist)."""
    sites: list[Ref] = Field(default_factory=list, max_length=200)
    """The sites of ``site_scope: chosen``."""
    agent_scope: AgentScope = "self"
    """Whose conversations and agents it sees: ``self``, ``groups`` (``scope_groups``), ``all``."""
    scope_groups: list[Ref] = Field(default_factory=list, max_length=50)
    """The groups of ``agent_scope: groups``."""


class AccountPatch(ApiModel):
    """Fields to change; absent fields keep their value. ``groups``, ``sites`` and
    ``scope_groups`` replace the whole list."""

    nickname: str | None = Field(default=None, min_length=1, max_length=50)
    """Name shown to visitors."""
    staff_no: str | None = Field(default=None, min_length=1, max_length=20)
    """Staff number shown to visitors; a new one must be one no other account of the merchant
    has."""
    role: Role | None = None
    """agent, supervisor or admin."""
    groups: dict[Ref, Priority] | None = Field(default=None, max_length=50)
    """Agent groups with the account's priority in each (1-5); replaces the memberships."""
    permission_group_id: int | None = Field(default=None, ge=1, le=MAX_INT)
    """Another permission group of the merchant."""
    site_scope: SiteScope | None = None
    """``all`` or ``chosen`` (then ``sites`` names them)."""
    sites: list[Ref] | None = Field(default=None, max_length=200)
    """The chosen sites."""
    agent_scope: AgentScope | None = None
    """``self``, ``groups`` (then ``scope_groups`` names them) or ``all``."""
    scope_groups: list[Ref] | None = Field(default=None, max_length=50)
    """The groups of ``agent_scope: groups``."""


class PasswordChange(ApiModel):
    """A new password, proven by the acting account's own password.

    Seed 000: changing another account's password needs the logged-in admin's password
    (``admin_password``); changing one's own needs the old one (``old_password``).
    """

    new_password: Password
    """The new password (same policy as on creation)."""
    old_password: Password | None = None
    """The current password, when changing one's own."""
    admin_password: Password | None = None
    """The acting account's own password, when changing another account's."""


class OwnPasswordChange(ApiModel):
    """A new password for the logged-in account."""

    old_password: Password
    """The current password."""
    new_password: Password
    """The new password."""


class AccountOut(ApiModel):
    """A sub-account (never its password hash)."""

    id: int
    account: str
    nickname: str
    staff_no: str
    role: str
    groups: dict[str, int]
    permission_group_id: int | None
    permission_group: str | None
    """The permission group's name; None: the role's default rights (config accounts)."""
    site_scope: SiteScope
    sites: list[str]
    agent_scope: str
    scope_groups: list[str]
    enabled: bool
    owner: bool
    """True only for the merchant's owner (which only the owner itself sees)."""
    created_at: datetime


def account_out(db: Session, row: AccountRow) -> AccountOut:
    assert row.id is not None
    group = db.get(PermissionGroupRow, row.permission_group_id) if row.permission_group_id else None
    return AccountOut(
        id=row.id,
        account=row.account,
        nickname=row.nickname,
        staff_no=row.staff_no,
        role=row.role,
        groups=dict(row.groups),
        permission_group_id=row.permission_group_id,
        permission_group=group.name if group else None,
        site_scope="all" if row.site_scope is None else "chosen",
        sites=list(row.site_scope or []),
        agent_scope=row.agent_scope,
        scope_groups=list(row.scope_groups),
        enabled=row.enabled,
        owner=row.owner,
        created_at=row.created_at,
    )


def check_credentials(account: str | None, password: str, field: str = "password") -> None:
    """422 with every problem of the account name and the password at once (seed wording)."""
    errors = []
    if account is not None and (problem := account_problem(account)):
        errors.append({"path": "body.account", "message": problem})
    if broken := password_problems(password):
        message = "password must " + ", ".join(broken)
        errors.append({"path": f"body.{field}", "message": message})
    if errors:
        detail = "; ".join(e["message"] for e in errors)
        raise ApiProblem(422, "invalid_input", detail, errors=errors)


def site_scope_value(
    db: Session, merchant_id: str, visible: frozenset[str] | None, scope: str, sites: list[str]
) -> list[str] | None:
    """The stored site scope (None = all), after the seed's rule: chosen sites need sites."""
    if scope == "all":
        return None
    known = site_keys(db, merchant_id)
    if visible is not None:
        known = [k for k in known if k in visible]
    if not known:
        invalid("site_scope", "the merchant has no sites yet, so only site_scope 'all' is possible")
    if not sites:
        invalid("sites", "site_scope 'chosen' needs at least one site in 'sites'")
    unknown("site", "sites", sites, known)
    return list(dict.fromkeys(sites))


def scope_groups_value(db: Session, merchant_id: str, scope: str, groups: list[str]) -> list[str]:
    """The stored groups of ``agent_scope: groups`` (empty for the other scopes)."""
    if scope != "groups":
        return []
    if not groups:
        invalid("scope_groups", "agent_scope 'groups' needs at least one group in 'scope_groups'")
    unknown("group", "scope_groups", groups, group_ids(db, merchant_id))
    return list(dict.fromkeys(groups))


def member_groups(db: Session, merchant_id: str, groups: dict[str, int]) -> dict[str, int]:
    unknown("group", "groups", list(groups), group_ids(db, merchant_id))
    return dict(groups)
