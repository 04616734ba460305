"""The app's clock is the one "now" of a deployment: the records' and statistics' default ranges
(the last 30 days) end at it, not at the machine's time. A demo or a test on a frozen clock then
lists the conversations it has just made."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from chatflow.engine.clock import FrozenClock


def test_default_ranges_end_at_the_apps_clock(client: TestClient, clock: FrozenClock) -> None:
    # the fixture's clock (2026-11-23) is not the machine's date; the conversation made on it
    # must be inside "the last 30 days" of it
    made = client.post("/api/v1/sites/demo-web/sessions", json={})
    assert made.status_code in (200, 201), made.text
    session_id = made.json()["session_id"]
    clock.advance(60)  # a range ending "now" leaves out what starts at that very instant
    token = client.post(
        "/api/v1/auth/login", json={"account": "demo_alice", "password": "Demo-pass1"}
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}

    records = client.get("/api/v1/records", headers=headers).json()
    assert session_id in [item["session_id"] for item in records["items"]]
    groups = client.get("/api/v1/stats/groups", headers=headers).json()
    assert groups["total"]["conversations"] >= 1


def test_what_the_first_start_imports_is_dated_by_the_apps_clock(
    client: TestClient, clock: FrozenClock
) -> None:
    # the demo's accounts come from chatflow.yaml and its flows from the flows folder, at start
    token = client.post(
        "/api/v1/auth/login", json={"account": "demo_alice", "password": "Demo-pass1"}
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    started = clock.now()
    accounts = client.get("/api/v1/admin/accounts", headers=headers).json()
    assert {a["account"] for a in accounts} >= {"demo_alice", "demo_bob"}
    for account in accounts:
        assert datetime.fromisoformat(account["created_at"]) == started, account
    [first] = client.get("/api/v1/admin/flows/reception/versions", headers=headers).json()
    assert datetime.fromisoformat(first["created_at"]) == started
