"""Workbench apps on the records kit's app: what the database must hold (case-sensitive unique
names per merchant, at most 10 even when additions race, the app's clock), so the same tests run
on PostgreSQL too (``test_routes_postgres.py`` picks them up). The URL rules, the rights and
tenants are tested over HTTP in ``tests/integration/admin/test_workbench_app_routes.py``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from records_kit import NOW, Kit, kit_fixture  # noqa: F401  (the fixture "kit")

from chatflow.admin_api.routes_workbench_apps import check_url, is_loopback

A = "/api/v1/admin/workbench-apps"


def add(kit: Kit, name: str, account: str = "admin01") -> Any:
    body = {"name": name, "url": f"https://apps.example/{len(name)}"}
    return kit.client.post(A, headers=kit.as_(account), json=body)


def test_names_are_unique_per_merchant_and_case_sensitive(kit: Kit) -> None:
    made = add(kit, "CRM")
    assert made.status_code == 201, made.text
    assert made.json()["created_at"] == made.json()["updated_at"] == "2026-11-23T10:00:00Z"
    assert add(kit, "crm").status_code == 201
    taken = add(kit, "CRM")
    assert taken.status_code == 409 and taken.json()["type"] == "urn:chatflow:conflict"
    assert add(kit, "CRM", account="carol01").status_code == 201, "another merchant's own CRM"
    mine = kit.client.get("/api/v1/agents/me/apps", headers=kit.as_("alice01")).json()
    assert [app["name"] for app in mine] == ["CRM", "crm"]


def test_additions_racing_at_nine_leave_exactly_ten(kit: Kit) -> None:
    for n in range(9):
        assert add(kit, f"app {n}").status_code == 201
    kit.as_("admin01")  # logged in before the race
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda n: add(kit, f"racer {n}"), range(6)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201, 409, 409, 409, 409, 409], [a.text for a in answers]
    refused = [a.json() for a in answers if a.status_code == 409]
    assert {(p["type"], p["limit"]) for p in refused} == {("urn:chatflow:too_many", 10)}
    assert len(kit.client.get(A, headers=kit.as_("admin01")).json()) == 10


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.255.0.9", False),  # the workbench's CSP frames 127.0.0.1 and localhost only
        ("::1", False),
        ("128.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
        ("localhost.example.com", False),
        ("10.0.0.1", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_url_is_trimmed_and_otherwise_kept_as_given() -> None:
    assert check_url("  https://CRM.example/a?b=1#c  ") == "https://CRM.example/a?b=1#c"
    with pytest.raises(ValueError, match="user name or password"):
        check_url("https://crm.example\\@evil.example/")
    with pytest.raises(ValueError, match="valid host"):
        check_url("https://crm%2eexample/")
    with pytest.raises(ValueError, match="spaces"):
        check_url("https://crm.example/a\u3000b")
