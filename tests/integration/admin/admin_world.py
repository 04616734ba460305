"""Two merchants with every kind of account, a real app and real SQLite: the admin test world.

``acme`` and ``globex`` each have an owner, an admin sub-account (a permission group with every
right), a viewer (every right at ``view``), a nobody (an empty permission group), an account
limited to one chosen site, and a supervisor and an agent from ``chatflow.yaml`` (role default
rights); and a webhook channel ``<id>-im`` on its web site (a loopback URL the SSRF guard
refuses: nothing is ever sent). Everything globex owns is named with :data:`GLOBEX_MARKER`, so
a response to acme that contains it has leaked another tenant's data.

Route authors declare how the route matrix calls their routes with :class:`Sample` (see
``route_samples_tenants.py``); the ``make_*`` helpers create a fresh object for each call, so
samples of destructive routes do not depend on test order.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings

PASSWORD = "Demo-pass1"
GLOBEX_MARKER = "Globex-Secret"
ROLES = ("owner", "admin", "viewer", "nobody", "chosen", "supervisor", "agent")

FLOW = """\
id: simple
name: Simple
start: hello
nodes:
  hello: {type: message, text: "hi {{ sys.channel_name }}", next: human}
  human: {type: transfer, group: support, on_no_agents: bye, next: bye}
  bye: {type: end, message: bye}
"""
"""A flow both merchants run; it transfers to ``support``, a group id both merchants have."""


def _merchant(mid: str, name: str) -> str:
    return f"""\
  - id: {mid}
    name: {name} merchant
    sites:
      - {{key: {mid}-web, name: {name} web, flow: simple, groups: [{mid}_sales, support]}}
      - {{key: {mid}-shop, name: {name} shop, flow: simple, groups: [support]}}
    channels:
      - {{key: {mid}-im, name: {name} IM, site: {mid}-web, secret_env: PW,
         webhook_url: "http://127.0.0.1:9/{mid}?token={name}"}}
    groups:
      - {{id: {mid}_sales, name: {name} sales}}
      - {{id: support, name: {name} support}}
    agents:
      - {{account: {mid}_owner, password_env: PW, nickname: {name} owner, staff_no: "1",
         role: admin, owner: true}}
      - {{account: {mid}_super, password_env: PW, nickname: {name} supervisor, staff_no: "2",
         role: supervisor, groups: {{{mid}_sales: 1}}}}
      - {{account: {mid}_agent, password_env: PW, nickname: {name} agent, staff_no: "3",
         role: agent, groups: {{{mid}_sales: 2, support: 1}}}}
"""


CONFIG = (
    "flows: ./flows\nmerchants:\n" + _merchant("acme", "Acme") + _merchant("globex", GLOBEX_MARKER)
)


@dataclass
class Tenant:
    """One merchant of the world: its ids, its accounts' tokens, helpers to make fresh objects."""

    id: str
    client: TestClient
    label: str
    """Put in the names of what the tenant owns (globex's is :data:`GLOBEX_MARKER`)."""
    tokens: dict[str, str] = field(default_factory=dict)
    """role -> bearer token."""
    accounts: dict[str, str] = field(default_factory=dict)
    """role -> account name."""
    permission_groups: dict[str, int] = field(default_factory=dict)
    """``full``, ``view``, ``empty`` -> permission group id."""
    _counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def site(self) -> str:
        return f"{self.id}-web"

    @property
    def other_site(self) -> str:
        return f"{self.id}-shop"

    @property
    def group(self) -> str:
        return f"{self.id}_sales"

    flow = "simple"

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def fresh(self, prefix: str) -> str:
        """A name never used before in this world (``acme_x7``)."""
        return f"{self.id}_{prefix}{next(self._counter)}"

    def call(self, method: str, url: str, role: str = "owner", **kwargs: Any) -> Any:
        response = self.client.request(method, url, headers=self.headers(role), **kwargs)
        assert response.status_code < 300, (method, url, response.status_code, response.text)
        return response.json() if response.content else None

    # -- fresh objects, made by the owner ------------------------------------------------------

    def make_account(self, *, permission: str = "full", enabled: bool = True, **extra: Any) -> str:
        name = self.fresh("u")
        body = {
            "account": name,
            "password": PASSWORD,
            "nickname": f"{self.label} {name}",
            "staff_no": name,  # unique in the merchant, as staff numbers must be
            "permission_group_id": self.permission_groups[permission],
            **extra,
        }
        self.call("POST", "/api/v1/admin/accounts", json=body)
        if not enabled:
            self.call("POST", f"/api/v1/admin/accounts/{name}/disable")
        return name

    def make_group(self) -> str:
        group = self.fresh("g")
        self.call("POST", "/api/v1/admin/groups", json={"id": group, "name": f"{self.label} group"})
        return group

    def make_site(self) -> str:
        key = self.fresh("s").replace("_", "-")
        body = {"key": key, "name": f"{self.label} site", "flow": self.flow, "groups": ["support"]}
        self.call("POST", "/api/v1/admin/sites", json=body)
        return key

    def make_flow(self) -> str:
        """A new flow of this tenant: version 1 published, version 2 a draft."""
        flow_id = self.fresh("f")
        text = FLOW.replace("id: simple", f"id: {flow_id}")
        url = f"/api/v1/admin/flows/{flow_id}/versions"
        self.call("POST", url, params={"publish": "true"}, json={"yaml": text, "note": "first"})
        changed = text.replace("message: bye", "message: goodbye")
        self.call("POST", url, json={"yaml": changed, "note": f"{self.label} second"})
        return flow_id

    def make_permission_group(self) -> int:
        body = {"name": f"{self.label} {self.fresh('p')}", "permissions": {"records": "view"}}
        created: dict[str, Any] = self.call("POST", "/api/v1/admin/permission-groups", json=body)
        return int(created["id"])

    def login(self, account: str, password: str = PASSWORD) -> str:
        response = self.client.post(
            "/api/v1/auth/login", json={"account": account, "password": password}
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token


@dataclass
class World:
    client: TestClient
    acme: Tenant
    globex: Tenant
    folder: Path

    def tenants(self) -> tuple[Tenant, Tenant]:
        return (self.acme, self.globex)


def _populate(tenant: Tenant) -> None:
    tenant.accounts.update(
        owner=f"{tenant.id}_owner", supervisor=f"{tenant.id}_super", agent=f"{tenant.id}_agent"
    )
    tenant.tokens["owner"] = tenant.login(tenant.accounts["owner"])
    rights = {
        "full": {f: "edit" for f in _features()},
        "view": {f: "view" for f in _features()},
        "empty": {},
    }
    for name, permissions in rights.items():
        body = {"name": f"{tenant.label} {name}", "permissions": permissions}
        created = tenant.call("POST", "/api/v1/admin/permission-groups", json=body)
        tenant.permission_groups[name] = int(created["id"])
    made = {
        "admin": {"permission": "full", "role": "admin", "agent_scope": "all"},
        "viewer": {"permission": "view", "role": "supervisor"},
        "nobody": {"permission": "empty"},
        "chosen": {"permission": "full", "site_scope": "chosen", "sites": [tenant.site]},
    }
    for role, options in made.items():
        tenant.accounts[role] = tenant.make_account(**options)
    for role in ROLES:
        if role != "owner":
            tenant.tokens[role] = tenant.login(tenant.accounts[role])


def _features() -> tuple[str, ...]:
    from chatflow.admin_api.permissions import FEATURES

    return FEATURES


def write_deployment(folder: Path) -> Path:
    """``chatflow.yaml`` and ``flows/simple.flow.yaml`` under ``folder``; the config's path."""
    (folder / "flows").mkdir(parents=True, exist_ok=True)
    (folder / "flows" / "simple.flow.yaml").write_text(FLOW, encoding="utf-8")
    config = folder / "chatflow.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


def settings_for(folder: Path) -> ServeSettings:
    return ServeSettings(
        config=write_deployment(folder), data=folder / "data", env={"PW": PASSWORD}
    )


@contextmanager
def open_world(folder: Path) -> Iterator[World]:
    """Start the app on a fresh deployment under ``folder`` and create the accounts."""
    with TestClient(create_app(settings_for(folder))) as client:
        acme = Tenant("acme", client, "Acme")
        globex = Tenant("globex", client, GLOBEX_MARKER)
        for tenant in (acme, globex):
            _populate(tenant)
        yield World(client, acme, globex, folder)


PathFn = Callable[[Tenant], dict[str, Any]]
BodyFn = Callable[[Tenant], Any]


def _no_params(_: Tenant) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Sample:
    """How the route matrix calls one route, declared by the route's author.

    Every callable gets the tenant whose objects it should name; the matrix calls them with the
    caller's own tenant and with the other tenant (to prove foreign ids are refused).
    """

    path: PathFn = _no_params
    """Path parameters naming objects of the tenant (use ``t.make_*`` for destructive routes)."""
    body: BodyFn | None = None
    """A valid JSON body for the tenant; None when the route takes none."""
    query: PathFn = _no_params
    """Query parameters."""
    content: Callable[[Tenant], tuple[str, bytes]] | None = None
    """A raw body as ``(media type, bytes)``, for routes that take something other than JSON."""
    foreign_bodies: Callable[[Tenant, Tenant], list[Any]] | None = None
    """``(own, other) -> bodies``, each naming one of ``other``'s objects, for routes whose body
    refers to ids; each call must be refused (403/404/422) without leaking anything."""
    foreign_path: bool = True
    """False when the path names something in the caller's own namespace that the call may
    create (flow ids are per merchant: ``POST /flows/simple/versions`` is about the caller's
    ``simple``), so another tenant's value is not a foreign id."""
    scope_fields: tuple[str, ...] = ()
    """Body fields that carry a scope or reference: missing or empty, the answer must be 4xx."""
    ok: tuple[int, ...] = (200, 201, 204)
    """Statuses the tenant's admin gets for the sample call."""
    exempt: str = ""
    """Why the matrix does not apply to this route (say where it is tested instead)."""
