"""Route-matrix samples of the workbench apps (seed 004 来电弹屏): the admin routes under
``settings`` and the workbench's ``GET /agents/me/apps``.

A merchant holds at most 10 apps and the matrix makes many on one world, so every fresh app
(and every sample body that creates one) first makes room by deleting the tenant's oldest.
"""

from __future__ import annotations

from typing import Any

from admin_world import Sample, Tenant

A = "/api/v1/admin/workbench-apps"
LIMIT = 10


def make_room(t: Tenant) -> None:
    """Delete the tenant's oldest apps until one more fits."""
    apps = t.call("GET", A)
    for app in apps[: max(0, len(apps) - LIMIT + 1)]:
        t.call("DELETE", f"{A}/{app['id']}")


def app_body(t: Tenant) -> dict[str, Any]:
    make_room(t)
    number = t.fresh("a").rsplit("_", 1)[1]  # the label and this fit the 20 characters
    url = f"https://crm.example/{t.label}?q=1#top"
    return {"name": f"{t.label} {number}", "url": url, "enabled": True}


def make_app(t: Tenant) -> int:
    return int(t.call("POST", A, json=app_body(t))["id"])


SAMPLES: dict[str, Sample] = {
    f"GET {A}": Sample(),
    f"POST {A}": Sample(body=app_body),
    f"PATCH {A}/{{app_id}}": Sample(
        path=lambda t: {"app_id": make_app(t)}, body=lambda t: {"enabled": False}
    ),
    f"DELETE {A}/{{app_id}}": Sample(path=lambda t: {"app_id": make_app(t)}),
    "GET /api/v1/agents/me/apps": Sample(),
}
