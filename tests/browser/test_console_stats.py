"""The admin console's Statistics section in headless Chromium against the demo deployment:
demo_bob serves a visitor (through the visitor REST API and the agent API), two more visitors
wait while he is busy; demo_alice reads the figures per agent and per group, narrows them by
date and group, and exports Excel. Every figure on the page is checked against the API, read
through httpx. (The live queue board is the monitor's: test_console_monitor.py.)
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from staff_kit import (
    WAIT,
    agent_frame,
    agent_online,
    bearer,
    console_log_in,
    rename_group,
    token_for,
    until,
)

HOSTILE = '<img src=x onerror="window.__xss=1">售前'
DASH = "—"
FIGURES = {
    "conversations": lambda f: str(f["conversations"]),
    "served": lambda f: str(f["served"]),
    "reception": lambda f: one_decimal(f["reception_minutes"]),
    "first-response": lambda f: one_decimal(f["first_response_seconds"]),
    "ratings": lambda f: str(f["ratings"]["count"]),
    "rating-average": lambda f: one_decimal(f["ratings"]["average"]),
    "wait-average": lambda f: one_decimal(f["queue_wait_seconds"]),
    "wait-max": lambda f: one_decimal(f["queue_wait_max_seconds"]),
    "abandoned": lambda f: str(f["abandoned"]),
}
"""Column class (stats-<name>) -> how the console writes the API's figure."""
DAY = {"start": "2026-11-23T00:00:00+08:00", "end": "2026-11-24T00:00:00+08:00"}
"""The demo clock's day in Shanghai, as the console asks for 2026-11-23 to 2026-11-23 there.
(The API's default range ends at the system's now, not the demo's frozen clock.)"""
ZONE = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.slow


def one_decimal(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f}"


def visitor_asks_for(base: str, option: str) -> str:
    """A visitor on demo-web picks a menu option (over REST); its session id."""
    created = httpx.post(f"{base}/api/v1/sites/demo-web/sessions", json={})
    assert created.status_code == 201, created.text
    session_id, token = created.json()["session_id"], created.json()["visitor_token"]
    chose = httpx.post(
        f"{base}/api/v1/sessions/{session_id}/messages",
        json={"type": "choice", "value": option},
        headers=bearer(token),
    )
    assert chose.status_code == 202, chose.text
    return str(session_id)


def stats(base: str, token: str, path: str, **params: Any) -> Any:
    answer = httpx.get(f"{base}/api/v1/stats/{path}", params=params, headers=bearer(token))
    answer.raise_for_status()
    return answer.json()


def row_cells(row: Any) -> dict[str, str]:
    return {name: row.locator(f"td.stats-{name}").inner_text() for name in FIGURES}


def test_statistics_tables_and_export_match_the_api(
    demo_server: str, browser: Any, artifacts: Path, tmp_path: Path
) -> None:
    base = demo_server
    alice, bob = token_for(base, "demo_alice"), token_for(base, "demo_bob")
    rename_group(base, alice, "presales", HOSTILE)

    with agent_online(base, bob, free=True) as bob_ws:
        # demo_bob takes a presales visitor, answers and ends the service
        served = visitor_asks_for(base, "售前咨询")
        agent_frame(bob_ws, lambda f: f.get("type") == "offer" and f.get("session_id") == served)
        for action, body in (("accept", None), ("messages", {"text": "您好"}), ("end", None)):
            done = httpx.post(
                f"{base}/api/v1/sessions/{served}/{action}", json=body, headers=bearer(bob)
            )
            assert done.status_code in (202, 204), (action, done.text)

        def bob_served() -> Any:
            answer = stats(base, alice, "agents", **DAY)
            mine = [a for a in answer["agents"] if a["account"] == "demo_bob"]
            return answer if mine and mine[0]["reception_minutes"] is not None else None

        until(bob_served, "demo_bob's finished service in the statistics")

        # busy, so the next visitors wait: one for presales, one for after-sales
        put = httpx.put(
            f"{base}/api/v1/agents/me/status", json={"status": "busy"}, headers=bearer(bob)
        )
        assert put.is_success, put.text
        visitor_asks_for(base, "售前咨询")
        visitor_asks_for(base, "售后服务")
        until(
            lambda: (
                (b := stats(base, alice, "queue"))
                and sum(g["waiting"] for g in b["groups"]) == 2
                and b
            ),
            "two visitors in the queue",
        )
        by_agent = until(
            lambda: (a := stats(base, alice, "agents", **DAY))["total"]["conversations"] == 3 and a,
            "three conversations recorded",
        )
        by_group = stats(base, alice, "groups", **DAY)
        bob_figures = next(a for a in by_agent["agents"] if a["account"] == "demo_bob")
        assert bob_figures["conversations"] == 1 and bob_figures["served"] == 1
        assert bob_figures["ratings"]["average"] is None  # nobody rated: "—" on the page
        aftersales = next(g for g in by_group["groups"] if g["group_id"] == "aftersales")
        assert aftersales["reception_minutes"] is None and aftersales["served"] == 0

        context = browser.new_context(
            viewport={"width": 1440, "height": 1000},
            timezone_id="Asia/Shanghai",
            accept_downloads=True,
        )
        page = context.new_page()
        console_log_in(page, base, "demo_alice")
        page.locator('.cs-nav-item[data-section="stats"]').click(timeout=WAIT)
        section = page.locator(".cs-section-stats")
        start = section.locator('input[data-name="start"]')
        end = section.locator('input[data-name="end"]')

        # the default range is the API's last 30 days, as dates in the browser's zone
        default = stats(base, alice, "agents")
        days = [
            datetime.fromisoformat(default[k]).astimezone(ZONE).date().isoformat()
            for k in ("start", "end")
        ]
        page.wait_for_function(
            "() => document.querySelector('.cs-section-stats input[data-name=end]').value !== ''",
            timeout=WAIT,
        )
        assert [start.input_value(), end.input_value()] == days
        end.fill("2026-11-23")  # the end first: the start follows it by 30 days till set
        start.fill("2026-11-23")

        # by agent: demo_bob's row and the total say what the API says, a null is "—"
        agents_panel = section.locator(".stats-by-agent")
        bob_row = agents_panel.locator("tbody tr", has_text="demo_bob")
        bob_row.wait_for(timeout=WAIT)
        assert "Bob (demo_bob)" in bob_row.locator("td.stats-who").inner_text()
        assert row_cells(bob_row) == {k: show(bob_figures) for k, show in FIGURES.items()}
        assert bob_row.locator("td.stats-rating-average").inner_text() == DASH
        total_row = agents_panel.locator("tbody tr.cs-total")
        assert total_row.locator("td.stats-who").inner_text() == "Total"
        assert row_cells(total_row) == {k: show(by_agent["total"]) for k, show in FIGURES.items()}

        # by group: the hostile group name is text; a group nobody served shows "—"
        groups_panel = section.locator(".stats-by-group")
        presales = groups_panel.locator("tbody tr", has_text="(presales)")
        assert presales.locator("td.stats-who").inner_text() == f"{HOSTILE} (presales)"
        for entry in by_group["groups"]:
            row = groups_panel.locator("tbody tr", has_text=f"({entry['group_id']})")
            assert row_cells(row) == {k: show(entry) for k, show in FIGURES.items()}
        after_row = groups_panel.locator("tbody tr", has_text="(aftersales)")
        assert after_row.locator("td.stats-reception").inner_text() == DASH
        assert after_row.locator("td.stats-first-response").inner_text() == DASH

        assert page.locator("img").count() == 0
        assert page.evaluate("() => window.__xss") is None
        page.screenshot(path=str(artifacts / "console-stats.png"), full_page=True)

        # Excel of the by-agent table, headed in the console's language: openpyxl reads the
        # API's numbers (a null stays empty)
        with page.expect_download() as started:
            agents_panel.locator(".stats-export-xlsx").click()
        saved = tmp_path / started.value.suggested_filename
        started.value.save_as(saved)
        assert saved.suffix == ".xlsx"
        book = load_workbook(saved, read_only=True)
        rows = [list(r) for r in book["By agent"].iter_rows(values_only=True)]
        book.close()  # a read-only workbook keeps its file open till closed
        header = rows[0]
        exported = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
        for key, figures in (("demo_bob", bob_figures), ("Total", by_agent["total"])):
            line = exported[key]
            assert line["Conversations"] == figures["conversations"]
            assert line["Served"] == figures["served"]
            assert line["Avg. reception (min)"] == figures["reception_minutes"]
            assert line["Avg. first response (s)"] == figures["first_response_seconds"]
            assert line["Ratings"] == figures["ratings"]["count"]
            assert line["Avg. rating"] == figures["ratings"]["average"]
            assert line["Longest queue wait (s)"] == figures["queue_wait_max_seconds"]
            assert line["Abandoned"] == figures["abandoned"]

        # a group filter narrows both tables, as the API does
        section.locator('select[data-name="group"]').select_option("aftersales")
        narrowed = stats(base, alice, "agents", group="aftersales", **DAY)
        total_row.locator(
            "td.stats-conversations", has_text=str(narrowed["total"]["conversations"])
        ).wait_for(timeout=WAIT)
        assert bob_row.count() == 0
        assert narrowed["total"]["conversations"] == 1
        section.locator('select[data-name="group"]').select_option("")

        # a later day counts nothing; "Last 30 days" brings the API's default back
        start.fill("2026-11-25")  # after the end: refused
        section.locator(".stats-error", has_text="start must not be after end").wait_for(
            timeout=WAIT
        )
        end.fill("2026-11-25")
        agents_panel.locator(".cs-empty").wait_for(timeout=WAIT)
        later = stats(
            base,
            alice,
            "agents",
            start="2026-11-25T00:00:00+08:00",
            end="2026-11-26T00:00:00+08:00",
        )
        assert later["total"]["conversations"] == 0
        assert total_row.locator("td.stats-conversations").inner_text() == "0"
        section.locator(".stats-last30").click()
        page.wait_for_function(
            f"() => document.querySelector('.cs-section-stats input[data-name=end]').value"
            f" === '{days[1]}'",
            timeout=WAIT,
        )
        assert start.input_value() == days[0]
        context.close()
