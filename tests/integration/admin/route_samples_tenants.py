"""Route-matrix samples of the tenant routes: accounts, permission groups, sites, groups, flows.

One entry per ``"METHOD /path"``; see :class:`admin_world.Sample` for the fields. Destructive
routes name fresh objects (``t.make_*``) so every call finds what it needs.
"""

from __future__ import annotations

import io
from typing import Any

from admin_world import FLOW, PASSWORD, Sample, Tenant
from PIL import Image

A = "/api/v1/admin"


def _account_body(t: Tenant) -> dict[str, Any]:
    return {
        "account": t.fresh("n"),
        "password": PASSWORD,
        "nickname": f"{t.label} new",
        "staff_no": t.fresh("n"),  # unique in the merchant, as the account name is
        "role": "agent",
        "permission_group_id": t.permission_groups["view"],
        "groups": {t.group: 1},
        "site_scope": "chosen",
        "sites": [t.site],
        "agent_scope": "groups",
        "scope_groups": [t.group],
    }


def _account_refs(own: Tenant, other: Tenant) -> list[dict[str, Any]]:
    """Each reference of an account body, pointing at the other tenant's object."""
    base = _account_body(own)
    return [
        {**base, "permission_group_id": other.permission_groups["view"]},
        {**base, "groups": {other.group: 1}},
        {**base, "sites": [other.site]},
        {**base, "scope_groups": [other.group]},
    ]


def _account_patch(t: Tenant) -> dict[str, Any]:
    body = _account_body(t)
    for field in ("account", "password"):
        del body[field]
    return body


def _patch_refs(own: Tenant, other: Tenant) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in body.items() if k not in ("account", "password")}
        for body in _account_refs(own, other)
    ]


def _site_body(t: Tenant) -> dict[str, Any]:
    return {
        "key": t.fresh("site").replace("_", "-"),
        "name": f"{t.label} new site",
        "flow": t.flow,
        "groups": [t.group],
        "allowed_origins": ["https://www.example.com"],
    }


def _captcha_jpeg() -> bytes:
    """A captcha background: a JPEG of 300 x 150 (drawn, no binary in the repository)."""
    out = io.BytesIO()
    Image.new("RGB", (300, 150), "teal").save(out, "JPEG")
    return out.getvalue()


def _site_with_image(t: Tenant) -> str:
    key = t.make_site()
    url = f"{A}/sites/{key}/captcha-image"
    headers = {**t.headers("owner"), "content-type": "image/jpeg"}
    assert t.client.put(url, headers=headers, content=_captcha_jpeg()).status_code == 200
    return key


def _flow_version(t: Tenant) -> dict[str, Any]:
    return {"flow_id": t.make_flow(), "version": 2}


SAMPLES: dict[str, Sample] = {
    # accounts
    f"GET {A}/accounts": Sample(),
    f"POST {A}/accounts": Sample(
        body=_account_body,
        foreign_bodies=_account_refs,
        scope_fields=("permission_group_id", "sites", "scope_groups"),
    ),
    f"GET {A}/accounts/{{account}}": Sample(path=lambda t: {"account": t.accounts["agent"]}),
    f"PATCH {A}/accounts/{{account}}": Sample(
        path=lambda t: {"account": t.make_account()},
        body=_account_patch,
        foreign_bodies=_patch_refs,
        scope_fields=("sites", "scope_groups"),
    ),
    f"POST {A}/accounts/{{account}}/enable": Sample(
        path=lambda t: {"account": t.make_account(enabled=False)}
    ),
    f"POST {A}/accounts/{{account}}/disable": Sample(path=lambda t: {"account": t.make_account()}),
    f"DELETE {A}/accounts/{{account}}": Sample(
        path=lambda t: {"account": t.make_account(enabled=False)}
    ),
    f"PUT {A}/accounts/{{account}}/password": Sample(
        path=lambda t: {"account": t.make_account()},
        body=lambda t: {"new_password": "Other-pass2", "admin_password": PASSWORD},
        scope_fields=("admin_password",),
    ),
    # The caller's own password: a wrong old password proves the route is reached without
    # killing the shared admin token.
    "PUT /api/v1/agents/me/password": Sample(
        body=lambda t: {"old_password": "Wrong-pass9", "new_password": "Other-pass2"},
        ok=(403,),
    ),
    # permission groups
    f"GET {A}/permission-groups": Sample(),
    f"POST {A}/permission-groups": Sample(
        body=lambda t: {"name": t.fresh("pg"), "permissions": {"records": "view"}}
    ),
    f"GET {A}/permission-groups/{{group_id}}": Sample(
        path=lambda t: {"group_id": t.permission_groups["view"]}
    ),
    f"PATCH {A}/permission-groups/{{group_id}}": Sample(
        path=lambda t: {"group_id": t.make_permission_group()},
        body=lambda t: {"name": t.fresh("pg"), "permissions": {"sites": "view"}},
    ),
    f"DELETE {A}/permission-groups/{{group_id}}": Sample(
        path=lambda t: {"group_id": t.make_permission_group()}
    ),
    # sites
    f"GET {A}/sites": Sample(),
    f"POST {A}/sites": Sample(
        body=_site_body,
        foreign_bodies=lambda own, other: [{**_site_body(own), "groups": [other.group]}],
        scope_fields=("key", "flow"),
    ),
    f"GET {A}/sites/{{key}}": Sample(path=lambda t: {"key": t.site}),
    f"PATCH {A}/sites/{{key}}": Sample(
        path=lambda t: {"key": t.make_site()},
        body=lambda t: {"name": f"{t.label} renamed", "groups": [t.group], "flow": t.flow},
        foreign_bodies=lambda own, other: [{"groups": [other.group]}],
    ),
    f"POST {A}/sites/{{key}}/disable": Sample(path=lambda t: {"key": t.make_site()}),
    f"POST {A}/sites/{{key}}/enable": Sample(path=lambda t: {"key": t.site}),
    f"PUT {A}/sites/{{key}}/captcha-image": Sample(
        path=lambda t: {"key": t.make_site()}, content=lambda t: ("image/jpeg", _captcha_jpeg())
    ),
    f"GET {A}/sites/{{key}}/captcha-image": Sample(path=lambda t: {"key": _site_with_image(t)}),
    f"DELETE {A}/sites/{{key}}/captcha-image": Sample(path=lambda t: {"key": t.make_site()}),
    # agent groups
    f"GET {A}/groups": Sample(),
    f"POST {A}/groups": Sample(
        body=lambda t: {"id": t.fresh("grp"), "name": f"{t.label} g", "max_sessions": 3},
        scope_fields=("id",),
    ),
    f"GET {A}/groups/{{group_id}}": Sample(path=lambda t: {"group_id": t.group}),
    f"PATCH {A}/groups/{{group_id}}": Sample(
        path=lambda t: {"group_id": t.make_group()},
        body=lambda t: {"max_sessions": 3, "routing": "priority"},
    ),
    f"DELETE {A}/groups/{{group_id}}": Sample(path=lambda t: {"group_id": t.make_group()}),
    # flows
    f"GET {A}/flows": Sample(),
    f"GET {A}/flows/{{flow_id}}/versions": Sample(path=lambda t: {"flow_id": t.make_flow()}),
    f"POST {A}/flows/{{flow_id}}/versions": Sample(
        path=lambda t: {"flow_id": "simple"},
        content=lambda t: ("text/yaml", FLOW.encode()),
        foreign_path=False,
    ),
    f"POST {A}/flows/{{flow_id}}/check": Sample(
        path=lambda t: {"flow_id": "simple"},
        content=lambda t: ("text/yaml", FLOW.encode()),
        foreign_path=False,
    ),
    f"POST {A}/flows/{{flow_id}}/try": Sample(
        path=lambda t: {"flow_id": "simple"},
        body=lambda t: {"yaml": FLOW, "steps": [{"user": "hi"}], "groups_online": []},
        foreign_path=False,
    ),
    f"GET {A}/flow-schema": Sample(),
    f"GET {A}/flows/{{flow_id}}/versions/{{version}}": Sample(path=_flow_version),
    f"POST {A}/flows/{{flow_id}}/versions/{{version}}/publish": Sample(path=_flow_version),
    f"DELETE {A}/flows/{{flow_id}}/versions/{{version}}": Sample(path=_flow_version),
    f"DELETE {A}/flows/{{flow_id}}": Sample(path=lambda t: {"flow_id": t.make_flow()}),
    f"GET {A}/flows/{{flow_id}}/diff": Sample(
        path=lambda t: {"flow_id": t.make_flow()}, query=lambda t: {"from": 1, "to": 2}
    ),
    f"POST {A}/flows/{{flow_id}}/rollback": Sample(
        path=lambda t: {"flow_id": t.make_flow()},
        body=lambda t: {"version": 1, "note": f"{t.label} back"},
        scope_fields=("version",),
    ),
}
