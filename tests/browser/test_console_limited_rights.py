"""A console account of a limited permission group in headless Chromium against the demo
deployment (QA finding: such an account's log-in fired a refused request per section it may
not use, and asked for the sites it may not list). Every answer the page gets is recorded: from
log-in through a visit of each section it is offered, none is a 403, and the side bar offers
exactly the sections its rights grant."""

from __future__ import annotations

from typing import Any

from staff_kit import WAIT, console_log_in, make_account, watch_problems


def visit_as(browser: Any, base: str, account: str) -> tuple[list[str], list[str], Any]:
    """Log `account` in and open each section its side bar offers; the sections offered, every
    refused answer ("403 GET /api/v1/..."), and the page (its context still open)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused: list[str] = []

    def on_response(response: Any) -> None:
        if response.status == 403:
            path = response.url.removeprefix(base)
            refused.append(f"{response.status} {response.request.method} {path}")

    page.on("response", on_response)
    problems = watch_problems(page)
    console_log_in(page, base, account)
    page.locator("#cs-main > .cs-section").wait_for(timeout=WAIT)
    page.wait_for_load_state("networkidle")
    nav = page.locator(".cs-nav-item")
    offered = nav.evaluate_all("(links) => links.map((a) => a.dataset.section)")
    for section in offered:
        page.locator(f'.cs-nav-item[data-section="{section}"]').click()
        view = page.locator(f".cs-section-{section}")
        view.locator(".cs-table").first.wait_for(timeout=WAIT)
        page.wait_for_load_state("networkidle")
    assert problems == []
    return offered, refused, page


def test_a_limited_account_asks_only_for_what_its_rights_allow(
    demo_server: str, browser: Any
) -> None:
    base = demo_server
    make_account(base, "limited_01", "3001", {"records": "view", "statistics": "view"})
    offered, refused, page = visit_as(browser, base, "limited_01")
    assert offered == ["records", "monitor", "stats"]
    assert refused == []
    assert page.locator('.cs-links a[data-i18n="toEditor"]').is_hidden()  # no flows right
    assert page.locator('.cs-links a[data-i18n="toWorkbench"]').is_visible()
    # the records' site filter: the sites of the groups, by key (it may not list sites)
    page.locator('.cs-nav-item[data-section="records"]').click()
    records = page.locator(".cs-section-records")
    records.locator(".cs-table").wait_for(timeout=WAIT)
    page.context.close()


def test_the_monitor_without_records_asks_for_no_conversation(
    demo_server: str, browser: Any
) -> None:
    base = demo_server
    make_account(base, "stats_only", "3002", {"statistics": "view"})
    offered, refused, page = visit_as(browser, base, "stats_only")
    assert offered == ["monitor", "stats"]
    assert refused == []
    page.locator('.cs-nav-item[data-section="monitor"]').click()
    monitor = page.locator(".cs-section-monitor")
    said = monitor.locator(".mon-conversations .cs-form-error")
    said.filter(has_text="may not read conversations").wait_for(timeout=WAIT)
    monitor.locator(".mon-queue-agents").wait_for(timeout=WAIT)
    page.context.close()


def test_a_site_keeper_without_flows_gets_no_refusal_and_types_the_flow(
    demo_server: str, browser: Any
) -> None:
    base = demo_server
    make_account(base, "site_keeper", "3003", {"sites": "edit", "accounts": "view"})
    offered, refused, page = visit_as(browser, base, "site_keeper")
    assert offered == ["sites", "accounts"]
    assert refused == []
    page.locator('.cs-nav-item[data-section="sites"]').click()
    sites = page.locator(".cs-section-sites")
    sites.locator("tbody tr", has_text="demo-web").locator('[data-action="edit"]').click()
    flow = page.locator('.cs-dialog [data-name="flow"]')
    assert flow.evaluate("(node) => node.tagName") == "INPUT"  # it may not list flows
    assert flow.input_value() == "reception"
    assert refused == []
    page.context.close()
