"""Two workbenches of one agent open at once, in headless Chromium against the demo: a pin or a
mute made in one shows in the other without a reload, and the apps an admin adds, renames,
moves to another address or disables come and go in both (docs/workbench.md, "Pin and mute"
and "Apps beside the conversation").

The browser and the demo server are conftest.py's; a visitor talks over the REST channel, and
the app is a small page on a loopback server of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from server_kit import html_site
from staff_kit import WAIT, Visitor, bearer, token_for, watch_problems, workbench_log_in

pytestmark = pytest.mark.slow

APPS = "/api/v1/admin/workbench-apps"


@pytest.fixture
def app_site() -> Iterator[str]:
    """A page to frame, on loopback (http is allowed there), at any path."""
    page = "<!doctype html><title>app</title><p id='path'>{}</p>".format
    with html_site(page) as base:
        yield base


def test_marks_and_apps_change_in_both_workbenches_at_once(
    demo_server: str, browser: Any, app_site: str
) -> None:
    base = demo_server
    pages = []
    problems: list[list[str]] = []
    for _ in range(2):
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        problems.append(watch_problems(page))
        workbench_log_in(page, base, "demo_bob")
        pages.append(page)
    first, second = pages

    visitor = Visitor(base, "v-two-pages-0001")
    visitor.send(type="choice", value="售前咨询")
    first.locator(".wb-phase-ringing .wb-accept").click(timeout=WAIT)
    for page in pages:
        page.locator(".wb-phase-active").wait_for(timeout=WAIT)
    item = {page: page.locator(".wb-item", has_text="0001") for page in pages}

    # pinned in the first: the second shows it, button included, without a reload
    first.locator("#wb-actions .wb-pinned").click()
    item[second].and_(second.locator(".is-pinned")).wait_for(timeout=WAIT)
    expect(second.locator("#wb-actions .wb-pinned")).to_have_attribute("aria-pressed", "true")
    # muted in the second: the first shows it
    second.locator("#wb-actions .wb-muted").click()
    item[first].and_(first.locator(".is-pinned.is-muted")).wait_for(timeout=WAIT)
    # unpinned in the first: gone from the second, the mute stays
    first.locator("#wb-actions .wb-pinned").click()
    expect(item[second]).not_to_have_class(re.compile(r"\bis-pinned\b"), timeout=WAIT)
    expect(item[second]).to_have_class(re.compile(r"\bis-muted\b"))

    # an app the admin adds becomes a tab of both, without a reload
    admin = bearer(token_for(base, "demo_alice"))
    made = httpx.post(f"{base}{APPS}", json={"name": "CRM", "url": f"{app_site}/v1"}, headers=admin)
    assert made.status_code == 201, made.text
    app = made.json()["id"]
    tabs = {page: page.locator(f"#wb-tab-app-{app}") for page in pages}
    for page in pages:
        expect(tabs[page]).to_have_text("CRM", timeout=WAIT)
    # the second opens it; renamed, its page stays; moved, its page is loaded anew
    tabs[second].click()
    frame = second.frame_locator(f"#wb-app-{app} iframe")
    expect(frame.locator("#path")).to_have_text("/v1", timeout=WAIT)
    renamed = httpx.patch(f"{base}{APPS}/{app}", json={"name": "客户"}, headers=admin)
    assert renamed.status_code == 200, renamed.text
    for page in pages:
        expect(tabs[page]).to_have_text("客户", timeout=WAIT)
    expect(frame.locator("#path")).to_have_text("/v1")
    moved = httpx.patch(f"{base}{APPS}/{app}", json={"url": f"{app_site}/v2"}, headers=admin)
    assert moved.status_code == 200, moved.text
    expect(frame.locator("#path")).to_have_text("/v2", timeout=WAIT)
    assert first.locator(f"#wb-app-{app} iframe").count() == 0, "never opened there"

    # disabled: the tab leaves both, and the second shows the visitor's tab instead
    off = httpx.patch(f"{base}{APPS}/{app}", json={"enabled": False}, headers=admin)
    assert off.status_code == 200, off.text
    for page in pages:
        tabs[page].wait_for(state="detached", timeout=WAIT)
        page.locator(f"#wb-app-{app}").wait_for(state="detached", timeout=WAIT)
    expect(second.locator("#wb-tab-visitor")).to_have_attribute("aria-selected", "true")
    expect(second.locator("#wb-visitor")).to_be_visible()
    assert problems == [[], []]
