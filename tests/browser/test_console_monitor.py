"""The admin console's live monitor (seed 004 实时监控) in headless Chromium against the demo
deployment: demo_bob serves one visitor and is busy, a second visitor waits for after-sales, a
third talks to the bot. demo_alice sees the queue, the agents and the three conversations in
progress, watches the served one's lines arrive, transfers it to a group and ends the bot's.
What the page shows is checked against the API, read through httpx.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from staff_kit import (
    PASSWORD,
    WAIT,
    Visitor,
    agent_frame,
    agent_online,
    bearer,
    console_log_in,
    rename_group,
    token_for,
    until,
    watch_problems,
)

HOSTILE = '<img src=x onerror="window.__xss=1">售前'

pytestmark = pytest.mark.slow


def live(base: str, token: str) -> dict[str, str]:
    """The conversations in progress, session id -> status, as the records API has them."""
    params = httpx.QueryParams([("status", s) for s in ("queued", "with_agent", "bot")])
    answer = httpx.get(f"{base}/api/v1/records", params=params, headers=bearer(token))
    answer.raise_for_status()
    return {r["session_id"]: r["status"] for r in answer.json()["items"]}


def test_the_live_monitor_shows_now_and_acts_on_a_conversation(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    base = demo_server
    alice, bob = token_for(base, "demo_alice"), token_for(base, "demo_bob")
    rename_group(base, alice, "presales", HOSTILE)

    with agent_online(base, bob, free=True) as bob_ws:
        served = Visitor(base, "v-served")
        served.send(type="choice", value="售前咨询")
        agent_frame(bob_ws, lambda f: f.get("type") == "offer")
        for action, body in (("accept", None), ("messages", {"text": "您好，我是 Bob"})):
            done = httpx.post(
                f"{base}/api/v1/sessions/{served.session_id}/{action}",
                json=body,
                headers=bearer(bob),
            )
            assert done.status_code in (202, 204), (action, done.text)
        put = httpx.put(
            f"{base}/api/v1/agents/me/status", json={"status": "busy"}, headers=bearer(bob)
        )
        assert put.is_success, put.text
        waiting = Visitor(base, "v-waiting")
        waiting.send(type="choice", value="售后服务")
        with_bot = Visitor(base, "v-bot")
        expected = {
            served.session_id: "with_agent",
            waiting.session_id: "queued",
            with_bot.session_id: "bot",
        }
        until(lambda: live(base, alice) == expected, "three conversations in progress")

        context = browser.new_context(
            viewport={"width": 1440, "height": 1000}, timezone_id="Asia/Shanghai"
        )
        page = context.new_page()
        problems = watch_problems(page)
        console_log_in(page, base, "demo_alice")
        page.locator('.cs-nav-item[data-section="monitor"]').click(timeout=WAIT)
        section = page.locator(".cs-section-monitor")

        # the queue and the agents, as the queue board says
        board = httpx.get(f"{base}/api/v1/stats/queue", headers=bearer(alice)).json()
        aftersales_now = next(g for g in board["groups"] if g["group_id"] == "aftersales")
        queued_row = section.locator(".mon-queue-groups tbody tr", has_text="售后服务")
        queued_row.wait_for(timeout=WAIT)
        assert queued_row.locator("td.mon-waiting").inner_text() == str(aftersales_now["waiting"])
        assert section.locator(".mon-queue-groups tbody tr").count() == 1
        bob_now = section.locator(".mon-queue-agents tbody tr", has_text="demo_bob")
        assert bob_now.locator("td.mon-status").inner_text() == "Busy"
        assert bob_now.locator("td.mon-serving").inner_text() == "1"
        assert section.locator('.mon-counts [data-status="busy"]').inner_text() == "Busy 1"

        # the conversations in progress: the waiting first, then the served, then the bot's
        rows = section.locator(".mon-list tbody tr")
        rows.nth(2).wait_for(timeout=WAIT)
        order = rows.evaluate_all("(trs) => trs.map((tr) => tr.dataset.session)")
        assert order == [waiting.session_id, served.session_id, with_bot.session_id]
        served_row = rows.nth(1)
        assert "With an agent" in served_row.inner_text()
        assert "Bob" in served_row.inner_text()
        assert HOSTILE in served_row.inner_text(), "a group's name is text"
        assert page.evaluate("() => window.__xss") is None
        section.locator(".mon-filter").select_option("queued")
        section.locator(".mon-list tbody tr").nth(1).wait_for(state="detached", timeout=WAIT)
        assert section.locator(".mon-list tbody tr").count() == 1
        section.locator(".mon-filter").select_option("")
        rows.nth(2).wait_for(timeout=WAIT)

        # watch the served conversation: the visitor's next line arrives by itself
        rows.nth(1).click()
        watch = section.locator(".mon-watch")
        watch.locator(".cs-line", has_text="您好，我是 Bob").wait_for(timeout=WAIT)
        served.send(type="text", text="<b>我想问一下价格</b>")
        watch.locator(".cs-line-visitor", has_text="我想问一下价格").wait_for(timeout=WAIT)
        assert watch.locator(".cs-line-visitor b").count() == 0
        page.screenshot(path=str(artifacts / "console-monitor.png"), full_page=True)

        # transfer it to after-sales: it waits there now
        watch.locator(".mon-transfer").click()
        dialog = page.locator(".cs-dialog")
        dialog.locator('select[data-name="group"]').select_option("aftersales")
        dialog.locator("button[type=submit]").click()
        page.locator(".ui-toast", has_text="Transferred").wait_for(timeout=WAIT)
        until(
            lambda: live(base, alice).get(served.session_id) == "queued",
            "the transferred conversation queued",
        )
        agent_frame(bob_ws, lambda f: f.get("type") == "transferred")

        # end the bot's conversation as an admin
        section.locator(f'.mon-list tbody tr[data-session="{with_bot.session_id}"]').click()
        watch.locator(".mon-close").click()
        page.locator(".cs-dialog [data-action=confirm]").click()
        page.locator(".ui-toast", has_text="ended").wait_for(timeout=WAIT)
        watch.locator(".mon-watch-state", has_text="The conversation has ended").wait_for(
            timeout=WAIT
        )
        until(lambda: with_bot.session_id not in live(base, alice), "the bot's conversation ended")
        section.locator(".mon-refresh").click()
        section.locator(f'tr[data-session="{with_bot.session_id}"]').wait_for(
            state="detached", timeout=WAIT
        )

        # Refresh shows a new status at once
        put = httpx.put(
            f"{base}/api/v1/agents/me/status", json={"status": "rest"}, headers=bearer(bob)
        )
        assert put.is_success, put.text
        section.locator(".mon-refresh").click()
        bob_now.locator("td.mon-status", has_text="Break").wait_for(timeout=WAIT)

        # the watched conversation's record: where its visitor was
        watch.locator(".mon-open-record").click()
        record = page.locator(".cs-section-records")
        record.locator(".ui-fact-channel", has_text="演示网站").wait_for(timeout=WAIT)
        assert record.locator(".ui-fact-ip").inner_text() == "127.0.0.1"
        assert problems == []
        context.close()


def presales_agent(base: str, admin: str, account: str, nickname: str) -> str:
    """A new agent of presales only (demo_alice's doing through the API); its token."""
    group = httpx.post(
        f"{base}/api/v1/admin/permission-groups",
        json={"name": f"{account} rights", "permissions": {"records": "view"}},
        headers=bearer(admin),
    )
    assert group.status_code == 201, group.text
    body = {
        "account": account,
        "password": PASSWORD,
        "nickname": nickname,
        "staff_no": "3001",
        "role": "agent",
        "permission_group_id": group.json()["id"],
        "groups": {"presales": 1},
    }
    made = httpx.post(f"{base}/api/v1/admin/accounts", json=body, headers=bearer(admin))
    assert made.status_code == 201, made.text
    return str(token_for(base, account))


def test_a_waiting_visitor_offered_to_an_agent_reads_ringing_with_the_agents_name(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    """QA finding: a visitor whose offer rings for an agent (not accepted yet; the demo's frozen
    clock never lets it ring out) looked like any waiting one. The queue board names the agent,
    and the monitor shows "Ringing: Carol" (振铃中：Carol) for that row only: not for a visitor
    who waits for after-sales while demo_bob, its only agent online, is busy."""
    base = demo_server
    alice, bob = token_for(base, "demo_alice"), token_for(base, "demo_bob")
    carol = presales_agent(base, alice, "carol_presales", "Carol")
    with agent_online(base, bob) as _, agent_online(base, carol, free=True) as carol_ws:
        put = httpx.put(
            f"{base}/api/v1/agents/me/status", json={"status": "busy"}, headers=bearer(bob)
        )
        assert put.is_success, put.text
        ringing = Visitor(base, "v-ringing")
        ringing.send(type="choice", value="售前咨询")
        offer = agent_frame(carol_ws, lambda f: f.get("type") == "offer")
        assert offer["session_id"] == ringing.session_id
        plain = Visitor(base, "v-plain")
        plain.send(type="choice", value="售后服务")
        until(
            lambda: live(base, alice) == {ringing.session_id: "queued", plain.session_id: "queued"},
            "two visitors waiting",
        )
        board = httpx.get(f"{base}/api/v1/stats/queue", headers=bearer(alice)).json()
        assert board["ringing"] == [
            {"session_id": ringing.session_id, "group_id": "presales", "agent": "carol_presales"}
        ]

        for lang, said in (("en", "Ringing: Carol"), ("zh-CN", "振铃中：Carol")):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            problems = watch_problems(page)
            console_log_in(page, base, "demo_alice")
            page.locator(".cs-nav-item").first.wait_for(timeout=WAIT)
            page.goto(f"{base}/console?lang={lang}#monitor")
            section = page.locator(".cs-section-monitor")
            row = section.locator(f'.mon-list tr[data-session="{ringing.session_id}"]')
            row.locator(".mon-ringing", has_text=said).wait_for(timeout=WAIT)
            assert row.get_attribute("data-ringing") == "carol_presales"
            other = section.locator(f'.mon-list tr[data-session="{plain.session_id}"]')
            assert other.get_attribute("data-ringing") is None
            assert other.locator(".mon-ringing").count() == 0
            page.screenshot(path=str(artifacts / f"console-monitor-ringing-{lang}.png"))
            assert problems == []
            context.close()
