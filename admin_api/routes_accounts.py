"""Sub-accounts (商號子帳號) of a merchant: create, list, change, enable/disable, delete, passwords.

Seed 000 rules, each enforced here: a permission group must exist first; the owner account
(商號總帳號) is invisible to sub-accounts (404, as if it did not exist); only a disabled account
can be deleted; another account's password needs the acting admin's own password, one's own the
old one, and a wrong one counts as a failed login of the account it belongs to. Disabling and
every password change kill the account's tokens at once; changed groups reach the live queue at
once. Staff numbers (工号), which visitors see, are unique within the merchant (docs/admin-api.md).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated

from anyio import from_thread
from fastapi import APIRouter, Depends, Request
from sqlalchemy import delete
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from chatflow.admin_api.account_models import (
    AccountIn,
    AccountOut,
    AccountPatch,
    OwnPasswordChange,
    PasswordChange,
    account_out,
    check_credentials,
    member_groups,
    scope_groups_value,
    site_scope_value,
)
from chatflow.admin_api.agent_access import services_of
from chatflow.admin_api.auth import AuthService, Principal
from chatflow.admin_api.passwords import hash_password
from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.recordquery import now
from chatflow.admin_api.routes_auth import auth_service, current_agent
from chatflow.admin_api.services import PROCESS_TURN, Services
from chatflow.admin_api.tenants import AccountName, Db, invalid, not_found, permission_group
from chatflow.engine.directory import account_groups, agent_of
from chatflow.engine.stores.recordsdb import (
    AccountRow,
    AgentMarkRow,
    PermissionGroupRow,
    TokenRow,
    breaks_staff_no_index,
)

router = APIRouter(prefix="/api/v1/admin/accounts", tags=["accounts"])
me_router = APIRouter(prefix="/api/v1/agents/me", tags=["auth"])

Auth = Annotated[AuthService, Depends(auth_service)]
Viewer = Annotated[Actor, Depends(require("accounts"))]
Editor = Annotated[Actor, Depends(require("accounts", "edit"))]
OWNER_FIELDS = ("role", "permission_group_id", "site_scope", "sites", "agent_scope", "scope_groups")


def _get(db: Session, actor: Actor, account: str) -> AccountRow:
    """The merchant's account; the owner exists only for the owner itself."""
    row = db.exec(select(AccountRow).where(AccountRow.account == account)).first()
    if row is None or row.merchant_id != actor.merchant_id or (row.owner and not actor.owner):
        raise not_found("account", account)
    return row


def _logged_in(db: Session, principal: Principal) -> AccountRow:
    """The caller's own account row; 401 if it was deleted since the token was issued."""
    row = db.get(AccountRow, principal.account_id)
    if row is None:
        raise ApiProblem(401, "unauthorized", "the account no longer exists")
    return row


def _check_permission_group(db: Session, actor: Actor, group_id: int) -> None:
    if permission_group(db, actor.merchant_id, group_id) is not None:
        return
    groups = db.exec(
        select(PermissionGroupRow).where(PermissionGroupRow.merchant_id == actor.merchant_id)
    ).all()
    if not groups:
        raise ApiProblem(
            409,
            "permission_group_required",
            "create a permission group first: every sub-account takes its rights from one",
        )
    names = ", ".join(f"{g.id} ({g.name})" for g in sorted(groups, key=lambda g: g.id or 0))
    invalid(
        "permission_group_id", f"unknown permission group {group_id}; this merchant has: {names}"
    )


def _conflict(field: str, message: str) -> ApiProblem:
    """409 ``conflict`` placed on the body's ``field`` as a 422's errors are (the console's
    account form shows it under that field)."""
    errors = [{"path": f"body.{field}", "message": message}]
    return ApiProblem(409, "conflict", message, errors=errors)


def _taken(account: str) -> ApiProblem:
    """Account names are unique in the deployment; the answer does not say whose it is."""
    return _conflict("account", f"account name {account!r} is taken; choose another")


def _staff_no_taken(staff_no: str) -> ApiProblem:
    return _conflict(
        "staff_no",
        f"staff number {staff_no!r} is taken by another account of this merchant; choose another",
    )


def _check_staff_no(db: Session, merchant_id: str, staff_no: str) -> None:
    """Visitors tell agents apart by their staff number (工号): 409 when an account of the
    merchant has it (any account: the owner, a disabled one). Like a taken account name, the
    answer does not say whose it is. The database's unique index decides a race (``_commit``)."""
    query = select(AccountRow.id).where(
        AccountRow.merchant_id == merchant_id, AccountRow.staff_no == staff_no
    )
    if db.exec(query).first() is not None:
        raise _staff_no_taken(staff_no)


def _commit(db: Session, row: AccountRow) -> None:
    """Commit ``row``; a staff number taken by a write that passed the check meanwhile (two
    admins at once, two workers) answers the check's 409, never a 500. The database's index
    is absent while it still shares numbers (``recordsdb``): the check alone guards then."""
    staff_no = row.staff_no  # a rollback expires the row: it would read the old number
    try:
        db.commit()
    except IntegrityError as error:
        db.rollback()
        if breaks_staff_no_index(error):
            raise _staff_no_taken(staff_no) from None
        raise


def _not_self(actor: Actor, row: AccountRow, what: str) -> None:
    if row.id == actor.principal.account_id:
        raise ApiProblem(409, "conflict", f"you cannot {what} the account you are logged in with")


def _set_enabled(db: Session, row: AccountRow, enabled: bool) -> None:
    if row.enabled != enabled:
        row.enabled = enabled
        db.add(row)
        db.commit()
        db.refresh(row)


def _change_password(
    db: Session,
    auth: AuthService,
    row: AccountRow,
    new_password: str,
    prover: AccountRow,
    proof: str,
) -> None:
    """Apply the policy, check the proof (``prover``'s password, throttled like a login), store,
    kill every token."""
    check_credentials(None, new_password, "new_password")
    if not auth.confirm(prover.account, prover.password_hash, proof):
        raise ApiProblem(403, "wrong_password", "the password given as proof is incorrect")
    row.password_hash = hash_password(new_password)
    db.add(row)
    db.commit()
    assert row.id is not None
    auth.revoke_all(row.id)


def live_queue_update(
    db: Session,
    row: SQLModel,
    update: Callable[[], object],
    turn: AbstractContextManager[object] = PROCESS_TURN,
) -> bool:
    """Run ``update`` (which tells the queue of ``row``) with ``row`` as last committed; False
    when the row was deleted meanwhile (``update`` did not run).

    Admin changes reach the queue one at a time, each re-reading its row inside its turn, so
    whichever reaches the queue last carries the last committed state: two PATCHes of one
    account (or group) racing cannot leave the queue with the older one. A row deleted meanwhile
    is left to the deletion. ``turn`` is this process's lock, or scaled out the deployment's
    (``Services.queue_turn``, a Redis lock), so changes answered by two workers take turns too.
    """
    with turn:
        db.commit()  # ends the read transaction: the read sees every committed change
        key = sa_inspect(row).identity
        if db.get(type(row), key, populate_existing=True) is None:  # reloads ``row``
            return False
        update()
        return True


def to_live_queue(services: Services, db: Session, row: AccountRow) -> bool:
    """Give the queue the account as last committed, in the admin changes' turn;
    False when the row was deleted meanwhile.

    An online agent then gets offers from a group it joined and none from one it left without
    logging in again. Called from a worker thread (a route's, or an agent's login); the queue
    lives on the event loop.
    """
    queue = services.queue
    return live_queue_update(
        db,
        row,
        lambda: from_thread.run(
            queue.update_agent, row.merchant_id, agent_of(row), account_groups(db, row)
        ),
        services.queue_turn,
    )


@router.get("", response_model=list[AccountOut])
def list_accounts(actor: Viewer, db: Db) -> list[AccountOut]:
    """The merchant's accounts; sub-accounts never see the owner account."""
    query = select(AccountRow).where(AccountRow.merchant_id == actor.merchant_id)
    if not actor.owner:
        query = query.where(col(AccountRow.owner).is_(False))
    rows = db.exec(query.order_by(col(AccountRow.account))).all()
    return [account_out(db, row) for row in rows]


@router.post("", response_model=AccountOut, status_code=201)
def create_account(body: AccountIn, actor: Editor, db: Db, request: Request) -> AccountOut:
    """Create a sub-account; the merchant needs a permission group first. Its account name is
    new in the deployment and its staff number in the merchant (409 otherwise)."""
    check_credentials(body.account, body.password)
    if db.exec(select(AccountRow.id).where(AccountRow.account == body.account)).first():
        raise _taken(body.account)
    _check_staff_no(db, actor.merchant_id, body.staff_no)
    _check_permission_group(db, actor, body.permission_group_id)
    groups = member_groups(db, actor.merchant_id, body.groups)
    sites = site_scope_value(db, actor.merchant_id, actor.site_scope, body.site_scope, body.sites)
    scope_groups = scope_groups_value(db, actor.merchant_id, body.agent_scope, body.scope_groups)
    row = AccountRow(  # hashed last: a refused request costs no argon2 work
        merchant_id=actor.merchant_id,
        account=body.account,
        password_hash=hash_password(body.password),
        nickname=body.nickname,
        staff_no=body.staff_no,
        role=body.role,
        groups=groups,
        permission_group_id=body.permission_group_id,
        site_scope=sites,
        agent_scope=body.agent_scope,
        scope_groups=scope_groups,
        created_at=now(request),
    )
    db.add(row)
    try:
        _commit(db, row)
    except IntegrityError:  # the account name, taken meanwhile
        raise _taken(body.account) from None
    db.refresh(row)
    return account_out(db, row)


@router.get("/{account}", response_model=AccountOut)
def get_account(account: AccountName, actor: Viewer, db: Db) -> AccountOut:
    """One account."""
    return account_out(db, _get(db, actor, account))


@router.patch("/{account}", response_model=AccountOut)
def update_account(
    account: AccountName, body: AccountPatch, actor: Editor, db: Db, request: Request
) -> AccountOut:
    """Change profile, groups, rights and scopes; rights apply to the account's next request,
    groups and profile to the live queue at once (an online agent stays online). A new staff
    number must be one no other account of the merchant has (409)."""
    row = _get(db, actor, account)
    fields = body.model_dump(exclude_unset=True, exclude_none=True)
    if row.owner and any(f in fields for f in OWNER_FIELDS):
        raise ApiProblem(
            409, "conflict", "the owner account always has every right; only its profile changes"
        )
    if body.nickname is not None:
        row.nickname = body.nickname
    if body.staff_no is not None and body.staff_no != row.staff_no:
        _check_staff_no(db, row.merchant_id, body.staff_no)  # an old shared one stays
        row.staff_no = body.staff_no
    if body.role is not None:
        row.role = body.role
    if body.groups is not None:
        row.groups = member_groups(db, actor.merchant_id, body.groups)
    if body.permission_group_id is not None:
        _check_permission_group(db, actor, body.permission_group_id)
        row.permission_group_id = body.permission_group_id
    if body.site_scope is not None or body.sites is not None:
        scope = body.site_scope or ("all" if row.site_scope is None else "chosen")
        sites = body.sites if body.sites is not None else list(row.site_scope or [])
        row.site_scope = site_scope_value(db, actor.merchant_id, actor.site_scope, scope, sites)
    if body.agent_scope is not None or body.scope_groups is not None:
        agent_scope = body.agent_scope or row.agent_scope
        groups = body.scope_groups if body.scope_groups is not None else list(row.scope_groups)
        row.scope_groups = scope_groups_value(db, actor.merchant_id, agent_scope, groups)
        row.agent_scope = agent_scope
    db.add(row)
    _commit(db, row)
    db.refresh(row)
    to_live_queue(services_of(request), db, row)
    return account_out(db, row)


@router.post("/{account}/enable", response_model=AccountOut)
def enable_account(account: AccountName, actor: Editor, db: Db) -> AccountOut:
    """Enable a disabled account (its old tokens stay dead; it logs in again)."""
    row = _get(db, actor, account)
    _set_enabled(db, row, True)
    return account_out(db, row)


@router.post("/{account}/disable", response_model=AccountOut)
def disable_account(account: AccountName, actor: Editor, db: Db, auth: Auth) -> AccountOut:
    """Disable an account: it cannot log in and every token of it dies at once."""
    row = _get(db, actor, account)
    _not_self(actor, row, "disable")
    _set_enabled(db, row, False)
    assert row.id is not None
    auth.revoke_all(row.id)
    return account_out(db, row)


@router.delete("/{account}", status_code=204)
def delete_account(account: AccountName, actor: Editor, db: Db, auth: Auth) -> None:
    """Delete a disabled account (an enabled one answers 409: disable it first)."""
    row = _get(db, actor, account)
    _not_self(actor, row, "delete")
    if row.enabled:
        raise ApiProblem(
            409,
            "account_enabled",
            f"account {account!r} is enabled; disable it first: only a disabled account can be "
            "deleted",
        )
    assert row.id is not None
    auth.revoke_all(row.id)
    for token in db.exec(select(TokenRow).where(TokenRow.account_id == row.id)).all():
        db.delete(token)
    db.exec(delete(AgentMarkRow).where(col(AgentMarkRow.account_id) == row.id))
    db.flush()  # the tokens refer to the account: they go first (no relationship orders them)
    db.delete(row)
    db.commit()


@router.put("/{account}/password", status_code=204)
def change_password(
    account: AccountName, body: PasswordChange, actor: Editor, db: Db, auth: Auth
) -> None:
    """Set an account's password; every token of the account dies (it logs in again).

    For another account send ``admin_password`` (your own password); for your own account send
    ``old_password``. Wrong ones count against your account's login tries (429 past the limit).
    """
    row = _get(db, actor, account)
    if row.id == actor.principal.account_id:
        if body.old_password is None:
            invalid("old_password", "changing your own password needs old_password")
        _change_password(db, auth, row, body.new_password, row, body.old_password)
        return
    if body.admin_password is None:
        invalid(
            "admin_password",
            "changing another account's password needs admin_password: your own password",
        )
    me = _logged_in(db, actor.principal)
    _change_password(db, auth, row, body.new_password, me, body.admin_password)


@me_router.put("/password", status_code=204)
def change_own_password(
    body: OwnPasswordChange,
    principal: Annotated[Principal, Depends(current_agent)],
    db: Db,
    auth: Auth,
) -> None:
    """Any account changes its own password with the old one; its tokens die, it logs in again.

    A wrong old password counts against the account's login tries (429 past the limit).
    """
    row = _logged_in(db, principal)
    _change_password(db, auth, row, body.new_password, row, body.old_password)
