"""The admin console's workbench apps section (seed 004 来电弹屏) in headless Chromium against
the demo deployment: an administrator adds an app, meets the URL rule under the URL field, sees
the app listed, disables it, is told the 10-app limit, deletes it after a confirmation; an agent
reads the enabled apps through the API and is not offered the section; a view-only account sees
the table without buttons. Everything is read back through the API. A screenshot lands in
test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from staff_kit import (
    WAIT,
    assert_hidden_from_bob,
    console_log_in,
    field_error,
    make_account,
    open_section,
    token_for,
    watch_problems,
)

APPS = "/api/v1/admin/workbench-apps"
HOSTILE = "<b>CRM</b>"
"""A name that is markup: shown as text, never as a bold CRM."""


def get(base: str, path: str, account: str = "demo_alice") -> Any:
    headers = {"Authorization": f"Bearer {token_for(base, account)}"}
    answer = httpx.get(f"{base}{path}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_an_admin_adds_disables_and_deletes_an_app(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    base = demo_server
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    problems = watch_problems(page)  # refused requests (422, 409) are expected
    console_log_in(page, base, "demo_alice")
    dialog = page.locator(".cs-dialog")
    apps = open_section(page, "apps")
    apps.locator(".cs-empty", has_text="No workbench apps yet").wait_for(timeout=WAIT)
    assert "0 of at most 10" in apps.inner_text()

    # Plain http to another host breaks the rule: the API's words under the URL field.
    apps.locator('[data-action="new"]').click()
    assert dialog.locator('[data-name="enabled"]').is_checked(), "a new app starts enabled"
    dialog.locator('[data-name="name"]').fill(HOSTILE)
    dialog.locator('[data-name="url"]').fill("http://crm.example.com/customers")
    dialog.locator("button[type=submit]").click()
    field_error(dialog, "url").filter(has_text="http:// is only for localhost").wait_for(
        timeout=WAIT
    )
    assert field_error(dialog, "name").inner_text() == ""
    assert get(base, APPS) == []

    # With https it is added, listed by name, URL, status and the app's (frozen) time.
    dialog.locator('[data-name="url"]').fill("https://crm.example.com/customers#list")
    dialog.locator("button[type=submit]").click()
    row = apps.locator("tbody tr", has_text=HOSTILE)
    row.wait_for(timeout=WAIT)
    [app] = get(base, APPS)
    assert (app["name"], app["url"], app["enabled"]) == (
        HOSTILE,
        "https://crm.example.com/customers#list",
        True,
    )
    assert row.get_attribute("data-app") == str(app["id"])
    assert row.locator("a").get_attribute("href") == app["url"]
    assert row.locator(".cs-badge-ok", has_text="Enabled").count() == 1
    assert "2026" in row.inner_text()  # the demo's frozen clock: 2026-11-23 10:00 in Shanghai
    assert apps.locator("b").count() == 0
    assert "1 of at most 10" in apps.inner_text()
    mine = get(base, "/api/v1/agents/me/apps", "demo_bob")
    assert mine == [{"id": app["id"], "name": HOSTILE, "url": app["url"]}]

    # Disable it: the table says so and the workbench no longer gets it.
    row.locator('[data-action="disable"]').click()
    row.locator(".cs-badge-off", has_text="Disabled").wait_for(timeout=WAIT)
    assert get(base, APPS)[0]["enabled"] is False
    assert get(base, "/api/v1/agents/me/apps", "demo_bob") == []
    assert row.locator('[data-action="enable"]').count() == 1

    # Nine more through the API; an eleventh in the console is refused in plain words.
    headers = {"Authorization": f"Bearer {token_for(base, 'demo_alice')}"}
    for n in range(9):
        body = {"name": f"App {n}", "url": f"https://apps.example.com/{n}"}
        assert httpx.post(f"{base}{APPS}", headers=headers, json=body).status_code == 201
    open_section(page, "sites")  # and back: the section reads the apps again
    open_section(page, "apps").locator("tbody tr", has_text="App 8").wait_for(timeout=WAIT)
    apps.locator('[data-action="new"]').click()
    dialog.locator('[data-name="name"]').fill("Tickets")
    dialog.locator('[data-name="url"]').fill("https://tickets.example.com/")
    dialog.locator("button[type=submit]").click()
    said = dialog.locator(".cs-form-error", has_text="at most 10 apps: delete one first")
    said.wait_for(timeout=WAIT)
    assert len(get(base, APPS)) == 10
    page.screenshot(path=str(artifacts / "console-apps.png"))
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached", timeout=WAIT)

    # Delete it, after a confirmation that names it.
    row = apps.locator(f'tbody tr[data-app="{app["id"]}"]')
    row.locator('[data-action="delete"]').click()
    assert HOSTILE in dialog.locator("h2").inner_text()
    dialog.locator('[data-action="confirm"]').click()
    row.wait_for(state="detached", timeout=WAIT)
    assert app["id"] not in [a["id"] for a in get(base, APPS)]
    assert "9 of at most 10" in apps.inner_text()

    assert problems == []
    page.close()


def test_an_agent_is_not_offered_the_apps_section(demo_server: str, browser: Any) -> None:
    assert_hidden_from_bob(browser, demo_server, {"apps": "/admin/workbench-apps"})


def test_a_view_only_account_sees_the_apps_without_buttons(demo_server: str, browser: Any) -> None:
    headers = {"Authorization": f"Bearer {token_for(demo_server, 'demo_alice')}"}
    body = {"name": "CRM", "url": "https://crm.example.com/"}
    assert httpx.post(f"{demo_server}{APPS}", headers=headers, json=body).status_code == 201
    make_account(demo_server, "viewer_01", "3001", {"settings": "view"})
    page = browser.new_page()
    console_log_in(page, demo_server, "viewer_01")
    apps = open_section(page, "apps")
    apps.locator("tbody tr", has_text="CRM").wait_for(timeout=WAIT)
    assert apps.locator("button").count() == 0
    page.close()
