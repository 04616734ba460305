"""The admin console's sites and agent groups sections in headless Chromium against the demo
deployment: an administrator creates a group and a site that uses it, meets the API's refusals
at their fields, edits the site, reads its embed code, disables it for good and is told why the
group cannot be deleted; an agent does not see the sections. Everything is read back through the
admin API. A screenshot lands in test-artifacts/.
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

HOSTILE = '<img src=x onerror="window.__xss=1">hi'
ORIGIN = "https://shop.example.com"


def admin_get(base: str, token: str, path: str) -> httpx.Response:
    return httpx.get(f"{base}/api/v1/admin{path}", headers={"Authorization": f"Bearer {token}"})


def test_an_admin_sets_up_a_group_and_a_site_then_disables_the_site(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    base = demo_server
    token = token_for(base, "demo_alice")
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    problems = watch_problems(page)  # refused requests (a 409 here) are expected
    console_log_in(page, base, "demo_alice")
    dialog = page.locator(".cs-dialog")

    # A new agent group; its name is hostile markup, shown as text.
    groups = open_section(page, "groups")
    assert groups.locator("tr", has_text="presales").count() == 1
    groups.locator('[data-action="new"]').click()
    dialog.locator('[data-name="id"]').fill("vip")
    dialog.locator('[data-name="name"]').fill(HOSTILE)
    dialog.locator('[data-name="max_sessions"]').fill("8")
    dialog.locator('[data-name="routing"]').select_option("priority")
    dialog.locator('[data-name="ring_timeout"]').fill("20")
    dialog.locator('[data-name="auto_accept"]').check()
    dialog.locator("button[type=submit]").click()
    vip_row = groups.locator("tbody tr", has_text="vip")
    vip_row.wait_for(timeout=WAIT)
    assert "onerror" in vip_row.inner_text()
    stored = admin_get(base, token, "/groups/vip").json()
    assert stored["name"] == HOSTILE
    assert (stored["max_sessions"], stored["routing"], stored["ring_timeout"]) == (
        8,
        "priority",
        20,
    )
    assert (stored["auto_accept"], stored["rest_after_missed"]) == (True, False)

    # A new site running the reception flow, served by the new group, from one origin.
    sites = open_section(page, "sites")
    assert sites.locator("tbody tr", has_text="demo-web").count() == 1
    sites.locator('[data-action="new"]').click()
    dialog.locator('[data-name="key"]').fill("shop-web")
    dialog.locator('[data-name="name"]').fill("Shop")
    dialog.locator('[data-name="flow"]').select_option("reception")
    dialog.locator(".cs-check", has_text="(vip)").locator("input").check()
    dialog.locator('[data-name="allowed_origins"]').fill(ORIGIN)
    dialog.locator("button[type=submit]").click()
    shop = sites.locator("tbody tr", has_text="shop-web")
    shop.wait_for(timeout=WAIT)
    site = admin_get(base, token, "/sites/shop-web").json()
    assert (site["name"], site["flow"], site["groups"]) == ("Shop", "reception", ["vip"])
    assert site["allowed_origins"] == [ORIGIN] and site["enabled"] is True
    assert "reception (version" in shop.inner_text() and ORIGIN in shop.inner_text()

    # A key that is taken: the API's words, next to the key field; nothing is created.
    sites.locator('[data-action="new"]').click()
    dialog.locator('[data-name="key"]').fill("demo-web")
    dialog.locator('[data-name="name"]').fill("Demo again")  # a site needs a name
    dialog.locator('[data-name="flow"]').select_option("reception")
    dialog.locator("button[type=submit]").click()
    field_error(dialog, "key").filter(has_text="taken").wait_for(timeout=WAIT)
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached", timeout=WAIT)

    # Edit the name to hostile markup: stored as typed, shown as text.
    shop.locator('[data-action="edit"]').click()
    assert dialog.locator('[data-name="name"]').input_value() == "Shop"
    assert dialog.locator(".cs-check", has_text="(vip)").locator("input").is_checked()
    dialog.locator('[data-name="name"]').fill(HOSTILE)
    dialog.locator("button[type=submit]").click()
    sites.locator("tbody tr", has_text="onerror").wait_for(timeout=WAIT)
    assert admin_get(base, token, "/sites/shop-web").json()["name"] == HOSTILE
    assert page.locator(".cs-main img").count() == 0

    # The embed code and the chat link name the site; Copy puts the code on the clipboard.
    shop.locator('[data-action="embed"]').click()
    code = dialog.locator('[data-name="embed"]').input_value()
    assert code == f'<script src="{base}/static/widget.js" data-site="shop-web" async></script>'
    assert dialog.locator('[data-name="link"]').input_value() == f"{base}/chat/shop-web"
    dialog.locator('.cs-field:has([data-name="embed"]) [data-action="copy"]').click()
    dialog.locator(".cs-help", has_text="Copied").wait_for(timeout=WAIT)
    assert page.evaluate("navigator.clipboard.readText()") == code
    page.screenshot(path=str(artifacts / "console-sites.png"))
    page.keyboard.press("Escape")

    # The group an enabled site uses cannot be deleted: the refusal names the site.
    groups = open_section(page, "groups")
    vip_row = groups.locator("tbody tr", has_text="vip")
    assert "shop-web" in vip_row.inner_text()
    vip_row.locator('[data-action="delete"]').click()
    dialog.locator('[data-action="confirm"]').click()
    dialog.locator(".cs-form-error", has_text="Sites that use it: shop-web").wait_for(timeout=WAIT)
    assert "still in use" in dialog.inner_text()
    assert admin_get(base, token, "/groups/vip").status_code == 200
    dialog.locator('[data-action="cancel"]').click()
    dialog.wait_for(state="detached", timeout=WAIT)

    sites = open_section(page, "sites")
    shop = sites.locator("tbody tr", has_text="shop-web")

    # Disable it, after a warning that says it is for good: no edit for it any more.
    shop.locator('[data-action="disable"]').click()
    assert "never be enabled again" in dialog.inner_text()
    dialog.locator('[data-action="confirm"]').click()
    shop.locator(".cs-badge-off", has_text="Disabled").wait_for(timeout=WAIT)
    assert shop.locator('[data-action="edit"]').count() == 0
    assert shop.locator("button").count() == 0
    assert admin_get(base, token, "/sites/shop-web").json()["enabled"] is False

    # A disabled site no longer holds its groups: now vip can be deleted.
    groups = open_section(page, "groups")
    vip_row = groups.locator("tbody tr", has_text="vip")
    vip_row.locator('[data-action="delete"]').click()
    dialog.locator('[data-action="confirm"]').click()
    vip_row.wait_for(state="detached", timeout=WAIT)
    assert admin_get(base, token, "/groups/vip").status_code == 404

    assert page.evaluate("window.__xss") is None
    assert problems == []
    context.close()


def test_an_agent_does_not_see_sites_or_groups(demo_server: str, browser: Any) -> None:
    paths = {"sites": "/admin/sites", "groups": "/admin/groups"}
    assert_hidden_from_bob(browser, demo_server, paths)


def test_a_view_only_account_sees_sites_and_groups_without_buttons(
    demo_server: str, browser: Any
) -> None:
    make_account(demo_server, "viewer_01", "3001", {"sites": "view", "groups": "view"})
    context = browser.new_context()
    page = context.new_page()
    console_log_in(page, demo_server, "viewer_01")
    sites = open_section(page, "sites")
    sites.locator("code", has_text="demo-web").wait_for(timeout=WAIT)
    assert sites.locator('[data-action="new"]').count() == 0
    assert sites.locator('[data-action="edit"], [data-action="disable"]').count() == 0
    assert sites.locator('[data-action="embed"]').count() >= 1  # reading the code is viewing
    groups = open_section(page, "groups")
    groups.locator("code", has_text="presales").wait_for(timeout=WAIT)
    assert groups.locator('[data-action="new"], [data-action="edit"]').count() == 0
    assert groups.locator('[data-action="delete"]').count() == 0
    context.close()
