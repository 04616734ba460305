"""One login per tab for the staff pages: an admin logged in to the console opens the workbench
and the flow editor from its header without logging in again; logging out of one logs the tab
out of all three; another tab has its own login; a page the account may not use says so and
leaves the tab's login to the others."""

from __future__ import annotations

from typing import Any

import pytest
from staff_kit import WAIT, console_log_in, watch_problems

pytestmark = pytest.mark.slow


def test_one_login_holds_across_the_staff_pages_of_a_tab(demo_server: str, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    problems = watch_problems(page)
    console_log_in(page, demo_server, "demo_alice")
    page.locator('.cs-nav-item[data-section="records"]').wait_for(timeout=WAIT)

    page.locator('.cs-links a[data-i18n="toWorkbench"]').click()
    page.wait_for_url("**/workbench?lang=en")  # the language chosen on the console stays
    page.wait_for_function(
        "() => document.querySelector('#wb-status').value === 'free'", timeout=WAIT
    )  # the workbench came up, its socket online as Alice, with no login form on the way
    assert page.locator("#wb-login").is_hidden()
    assert "Alice" in page.locator("#wb-me").inner_text()

    page.goto(f"{demo_server}/editor?lang=en")
    page.locator("#ed-app").wait_for(state="visible", timeout=WAIT)
    assert page.locator("#ed-login").is_hidden()

    other = context.new_page()  # a new tab keeps its own login
    other.goto(f"{demo_server}/console?lang=en")
    other.locator("#cs-login-button").wait_for(state="visible", timeout=WAIT)
    assert other.locator("#cs-app").is_hidden()
    other.close()

    page.goto(f"{demo_server}/workbench?lang=en")
    page.wait_for_function(
        "() => document.querySelector('#wb-status').value === 'free'", timeout=WAIT
    )
    page.locator("#wb-logout").click()
    page.locator("#wb-login-button").wait_for(state="visible", timeout=WAIT)
    page.goto(f"{demo_server}/console?lang=en")
    page.locator("#cs-login-button").wait_for(state="visible", timeout=WAIT)
    assert page.locator("#cs-app").is_hidden()
    assert problems == []
    context.close()


def test_a_page_the_account_may_not_use_leaves_the_login_to_the_others(
    demo_server: str, browser: Any
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{demo_server}/workbench?lang=en")
    page.locator("#wb-account").fill("demo_bob")
    page.locator("#wb-password").fill("Demo-pass1")
    page.locator("#wb-login-button").click()
    page.wait_for_function(
        "() => document.querySelector('#wb-status').value === 'free'", timeout=WAIT
    )

    page.goto(f"{demo_server}/editor?lang=en")  # Bob, an agent, may not see flows
    page.locator("#ed-login-error", has_text="may not see flows").wait_for(timeout=WAIT)
    assert page.locator("#ed-app").is_hidden()

    page.go_back()  # the workbench is still Bob's
    page.wait_for_function(
        "() => document.querySelector('#wb-status').value === 'free'", timeout=WAIT
    )
    assert page.locator("#wb-login").is_hidden()
    context.close()
