"""Who may do what: features with ``view``/``edit`` rights, a site scope and an agent scope.

Seed 000: a sub-account's permission group gives per-feature rights; its scope is all sites or
chosen sites, and for agents self / chosen groups / all groups. Accounts from ``chatflow.yaml``
without a permission group get their role's defaults. The merchant's owner may do everything.
Every admin route depends on :func:`require`, so tenant isolation and rights are checked in one
place; queries then filter with :meth:`Actor.sees_site` and :meth:`Actor.sees_agent_groups`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from sqlmodel import Session

from chatflow.admin_api.auth import Principal
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.routes_auth import current_agent
from chatflow.engine.stores.recordsdb import AccountRow, PermissionGroupRow

Level = Literal["view", "edit"]

FEATURES: tuple[str, ...] = (
    "accounts",
    "permission_groups",
    "sites",
    "groups",
    "agents",
    "flows",
    "quick_replies",
    "sensitive_words",
    "blacklist",
    "tags",
    "records",
    "statistics",
    "exports",
    "settings",
    "channels",
)
"""Features a permission group grants rights on (``channels``: the webhook/IM channels and
their deliveries, docs/webhook-channel.md)."""

ROLE_DEFAULTS: dict[str, dict[str, Level]] = {
    "agent": {"quick_replies": "view", "records": "view", "tags": "view", "blacklist": "view"},
    "supervisor": {
        "quick_replies": "edit",
        "records": "edit",
        "tags": "edit",
        "blacklist": "edit",
        "statistics": "view",
        "exports": "view",
        "agents": "view",
        "groups": "view",
        "sensitive_words": "view",
        "flows": "view",
        "channels": "view",
    },
    "admin": dict.fromkeys(FEATURES, "edit"),
}
"""Rights of accounts that have no permission group, by role."""

ROLE_AGENT_SCOPE = {"agent": "self", "supervisor": "groups", "admin": "all"}


@dataclass(frozen=True)
class Actor:
    """The caller of an admin route with its resolved rights."""

    principal: Principal
    rights: dict[str, Level]
    site_scope: frozenset[str] | None
    """None: every site of the merchant."""
    agent_scope: str
    """``self``, ``groups`` or ``all``."""
    scope_groups: frozenset[str]
    owner: bool = False

    @property
    def merchant_id(self) -> str:
        return self.principal.merchant_id

    def can(self, feature: str, level: Level = "view") -> bool:
        right = self.rights.get(feature)
        return right == "edit" or (right == "view" and level == "view")

    def sees_site(self, site_key: str) -> bool:
        return self.site_scope is None or site_key in self.site_scope

    def sees_agent_groups(self) -> frozenset[str] | None:
        """Groups whose conversations the actor sees; None = all; empty = only its own."""
        if self.agent_scope == "all":
            return None
        return self.scope_groups if self.agent_scope == "groups" else frozenset()


def resolve_actor(db: Session, principal: Principal) -> Actor:
    account = db.get(AccountRow, principal.account_id)
    if account is None:
        raise ApiProblem(401, "unauthorized", "the account no longer exists")
    if account.owner:
        rights: dict[str, Level] = dict.fromkeys(FEATURES, "edit")
    elif account.permission_group_id is not None:
        group = db.get(PermissionGroupRow, account.permission_group_id)
        rights = {}
        for feature, right in (group.permissions if group else {}).items():
            if right in ("view", "edit"):
                rights[feature] = "edit" if right == "edit" else "view"
    else:
        rights = dict(ROLE_DEFAULTS.get(account.role, {}))
    if account.permission_group_id is None and not account.owner:
        agent_scope = ROLE_AGENT_SCOPE.get(account.role, "self")
        scope_groups = frozenset(account.groups) if agent_scope == "groups" else frozenset()
    else:
        agent_scope = "all" if account.owner else account.agent_scope
        scope_groups = frozenset(account.scope_groups)
    return Actor(
        principal=principal,
        rights=rights,
        site_scope=None
        if account.owner or account.site_scope is None
        else frozenset(account.site_scope),
        agent_scope=agent_scope,
        scope_groups=scope_groups,
        owner=account.owner,
    )


def require(feature: str, level: Level = "view") -> Callable[..., Actor]:
    """A route dependency: the actor, or 403 when it lacks ``level`` on ``feature``."""
    if feature not in FEATURES:
        raise ValueError(f"unknown feature {feature!r}; known: {', '.join(FEATURES)}")

    def dependency(
        request: Request, principal: Annotated[Principal, Depends(current_agent)]
    ) -> Actor:
        with Session(request.app.state.records) as db:
            actor = resolve_actor(db, principal)
        if not actor.can(feature, level):
            raise ApiProblem(403, "forbidden", f"this account may not {level} {feature}")
        return actor

    dependency.__name__ = f"require_{feature}_{level}"
    return dependency
