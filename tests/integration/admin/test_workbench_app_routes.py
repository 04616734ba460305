"""Workbench apps (seed 004 来电弹屏) against the contract: the admin routes, the 10-app limit,
the URL rules, rights, and the workbench's ``GET /agents/me/apps`` (docs/admin-api.md)."""

from __future__ import annotations

from typing import Any

import pytest
from admin_world import GLOBEX_MARKER, Tenant, World

from chatflow.engine.clock import FrozenClock

A = "/api/v1/admin/workbench-apps"
ME = "/api/v1/agents/me/apps"


def refused(t: Tenant, method: str, url: str, body: Any = None, role: str = "owner") -> Any:
    response = t.client.request(method, url, headers=t.headers(role), json=body)
    assert response.status_code >= 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response


def url_error(t: Tenant, url: str) -> str:
    """The message the API gives under ``url`` for an app at ``url``."""
    response = refused(t, "POST", A, {"name": t.fresh("x")[-20:], "url": url})
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["path"] == "body.url"
    return str(error["message"])


def test_an_app_is_created_listed_changed_and_deleted(world: World) -> None:
    t = world.acme
    clock = FrozenClock("2026-11-23T10:00:00+08:00")
    world.client.app.state.clock = clock  # type: ignore[attr-defined]
    made = t.call(
        "POST", A, role="admin", json={"name": "  工单系统 ", "url": "https://t.example/"}
    )
    assert made["name"] == "工单系统" and made["enabled"] is True
    assert made["created_at"] == made["updated_at"] == "2026-11-23T02:00:00Z"
    clock.advance(60)
    second = t.call(
        "POST", A, json={"name": "CRM", "url": "https://crm.example/#x", "enabled": False}
    )
    assert second["url"] == "https://crm.example/#x", "the fragment is kept"
    assert [a["name"] for a in t.call("GET", A)] == ["工单系统", "CRM"], "oldest first"

    clock.advance(60)
    changed = t.call("PATCH", f"{A}/{made['id']}", json={"url": "https://t.example/v2"})
    assert (changed["name"], changed["url"]) == ("工单系统", "https://t.example/v2")
    assert changed["created_at"] == "2026-11-23T02:00:00Z"
    assert changed["updated_at"] == "2026-11-23T02:02:00Z", "the app's clock, not the machine's"
    enabled = t.call("PATCH", f"{A}/{second['id']}", json={"enabled": True, "name": "CRM 2"})
    assert (enabled["name"], enabled["enabled"]) == ("CRM 2", True)

    assert t.call("DELETE", f"{A}/{made['id']}") is None
    assert [a["id"] for a in t.call("GET", A)] == [second["id"]]
    assert refused(t, "DELETE", f"{A}/{made['id']}").status_code == 404
    assert refused(t, "PATCH", f"{A}/{made['id']}", {"enabled": False}).status_code == 404


def test_a_merchant_has_at_most_ten_apps(world: World) -> None:
    t = world.acme
    for n in range(10):
        t.call("POST", A, json={"name": f"app {n}", "url": f"https://a.example/{n}"})
    eleventh = refused(t, "POST", A, {"name": "app 10", "url": "https://a.example/10"})
    assert eleventh.status_code == 409
    problem = eleventh.json()
    assert problem["type"] == "urn:chatflow:too_many" and problem["limit"] == 10
    assert "at most 10" in problem["detail"]
    assert len(t.call("GET", A)) == 10
    other = world.globex.call("POST", A, json={"name": "app 0", "url": "https://a.example/"})
    assert other["name"] == "app 0", "the limit and the names are per merchant"
    first = t.call("GET", A)[0]
    t.call("DELETE", f"{A}/{first['id']}")
    t.call("POST", A, json={"name": "app 10", "url": "https://a.example/10"})


def test_names_are_unique_per_merchant_and_checked(world: World) -> None:
    t = world.acme
    crm = t.call("POST", A, json={"name": "CRM", "url": "https://crm.example/"})
    taken = refused(t, "POST", A, {"name": " CRM ", "url": "https://other.example/"})
    assert taken.status_code == 409 and taken.json()["type"] == "urn:chatflow:conflict"
    assert "CRM" in taken.json()["detail"]
    assert t.call("POST", A, json={"name": "crm", "url": "https://crm.example/"})["name"] == "crm"
    tickets = t.call("POST", A, json={"name": "Tickets", "url": "https://t.example/"})
    renamed = refused(t, "PATCH", f"{A}/{tickets['id']}", {"name": "CRM"})
    assert renamed.status_code == 409
    assert t.call("PATCH", f"{A}/{crm['id']}", json={"name": "CRM"})["name"] == "CRM"
    for name in ("", "   ", "x" * 21, "a\nb"):
        response = refused(t, "POST", A, {"name": name, "url": "https://a.example/"})
        assert response.status_code == 422, name
        assert response.json()["errors"][0]["path"] == "body.name"
    assert t.call("POST", A, json={"name": "é" * 20, "url": "https://a.example/"})


@pytest.mark.parametrize(
    "url",
    [
        "https://crm.example/customer?id=1#notes",
        "http://127.0.0.1:8123/x",
        "http://localhost:3000/",
        "HTTPS://CRM.EXAMPLE/",
        "https://工单.example/列表",
    ],
)
def test_https_urls_and_http_on_this_machine_are_accepted(world: World, url: str) -> None:
    t = world.acme
    assert t.call("POST", A, json={"name": t.fresh("u")[-20:], "url": url})["url"] == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://example.com/", "http:// is only for localhost"),
        ("http://127.0.0.1.example.com/", "http:// is only for localhost"),
        # the workbench may frame http pages of localhost and 127.0.0.1 only (its CSP)
        ("http://127.8.0.1/", "http:// is only for localhost"),
        ("http://[::1]:8080/app", "http:// is only for localhost"),
        ("javascript:alert(1)", "must start with https://"),
        ("data:text/html,<b>hi</b>", "must start with https://"),
        ("ftp://files.example/", "must start with https://"),
        ("//crm.example/", "must start with https://"),
        ("crm.example", "must start with https://"),
        ("https://user:secret@crm.example/", "user name or password"),
        ("https://user@crm.example/", "user name or password"),
        ("https://crm.example/a b", "spaces or control characters"),
        ("https://crm.example/\tx", "spaces or control characters"),
        ("https://crm.example/\x00", "spaces or control characters"),
        ("https:///path", "valid host"),
        ("https://crm.example:99999/", "not valid"),
        ("https://" + "a" * 2041 + ".example", "at most 2048 characters"),
    ],
)
def test_other_urls_are_refused_with_the_rule(world: World, url: str, says: str) -> None:
    assert says in url_error(world.acme, url)
    assert world.acme.call("GET", A) == []


def test_the_url_is_checked_on_a_change_too(world: World) -> None:
    t = world.acme
    app = t.call("POST", A, json={"name": "CRM", "url": "https://crm.example/"})
    response = refused(t, "PATCH", f"{A}/{app['id']}", {"url": "http://crm.example/"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "body.url"
    assert t.call("GET", A)[0]["url"] == "https://crm.example/"


def test_agents_read_the_enabled_apps_but_may_not_manage_them(world: World) -> None:
    t = world.acme
    crm = t.call("POST", A, json={"name": "CRM", "url": "https://crm.example/"})
    t.call("POST", A, json={"name": "Off", "url": "https://off.example/", "enabled": False})
    tickets = t.call("POST", A, json={"name": "Tickets", "url": "https://t.example/#list"})
    world.globex.call("POST", A, json={"name": GLOBEX_MARKER, "url": "https://g.example/"})
    for role in ("agent", "supervisor", "nobody"):
        assert refused(t, "GET", A, role=role).status_code == 403
        body = {"name": "Mine", "url": "https://mine.example/"}
        assert refused(t, "POST", A, body, role=role).status_code == 403
        assert refused(t, "DELETE", f"{A}/{crm['id']}", role=role).status_code == 403
        mine = t.client.get(ME, headers=t.headers(role))
        assert mine.status_code == 200, (role, mine.text)
        assert mine.json() == [
            {"id": crm["id"], "name": "CRM", "url": "https://crm.example/"},
            {"id": tickets["id"], "name": "Tickets", "url": "https://t.example/#list"},
        ]
    assert (
        refused(t, "POST", A, {"name": "Mine", "url": "https://m.example/"}, "viewer").status_code
        == 403
    )
    assert [a["name"] for a in t.call("GET", A, role="viewer")] == ["CRM", "Off", "Tickets"]
    assert t.client.get(ME).status_code == 401


def test_another_merchants_apps_are_404_and_never_listed(world: World) -> None:
    acme, globex = world.acme, world.globex
    theirs = globex.call("POST", A, json={"name": GLOBEX_MARKER, "url": "https://g.example/"})
    url = f"{A}/{theirs['id']}"
    for role in ("owner", "admin"):
        for method, body in (("PATCH", {"enabled": False}), ("DELETE", None)):
            response = refused(acme, method, url, body, role)
            assert response.status_code == 404 and GLOBEX_MARKER not in response.text
    for role in ("owner", "agent"):
        assert GLOBEX_MARKER not in acme.client.get(ME, headers=acme.headers(role)).text
    assert GLOBEX_MARKER not in acme.client.get(A, headers=acme.headers()).text
    assert globex.call("GET", A)[0]["enabled"] is True, "untouched"
