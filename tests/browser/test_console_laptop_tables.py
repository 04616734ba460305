"""The admin console's tables at laptop widths and how they name sites, in headless Chromium
against the demo deployment with a second site from chatflow.yaml that has no name (QA
findings): at 1024 and 1280 px every row's buttons of accounts, sites, agent groups and
permission groups are on screen inside their table's card, or reachable by scrolling that
table (never the page); the sites table shows a nameless site's key, greyed; the account
form's site scope lists sites by name, a key only where a name is missing or shared."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_kit import in_thread
from staff_kit import WAIT, bearer, console_log_in, make_account, open_section, token_for

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.clock import FrozenClock

ROOT = Path(__file__).resolve().parents[2]

NAMELESS = """
      - key: demo-shop
        flow: reception
        groups: [presales]
"""


@pytest.fixture
def two_site_server(tmp_path: Path) -> Iterator[str]:
    """The demo deployment (as conftest's demo_server) with a site demo-shop that has no name."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    config = (ROOT / "examples/demo/chatflow.yaml").read_text(encoding="utf-8")
    anchor = "        groups: [presales, aftersales, complaints]\n"
    assert config.count(anchor) == 1, "the demo's site changed: adjust this fixture"
    config = config.replace(anchor, anchor + NAMELESS.lstrip("\n")).replace(
        "../../flows", "./flows"
    )
    (tmp_path / "chatflow.yaml").write_text(config, "utf-8")
    settings = ServeSettings(config=tmp_path / "chatflow.yaml", data=tmp_path / "data")
    app = create_app(settings, clock=FrozenClock("2026-11-23T10:00:00+08:00"))
    with in_thread(app, log_level="warning") as served:
        yield served.url


# Where a button is against the viewport and against its table's card (the .cs-table-wrap).
WHERE = """(button) => {
  const box = button.getBoundingClientRect();
  const wrap = button.closest('.cs-table-wrap');
  const card = wrap.getBoundingClientRect();
  return {left: box.left, right: box.right, top: box.top, bottom: box.bottom,
          cardLeft: card.left, cardRight: card.right, width: innerWidth, height: innerHeight,
          scrolled: wrap.scrollLeft};
}"""


def assert_buttons_reachable(page: Any, section: str) -> int:
    """Every row button of `section`, once scrolled to (the page may scroll down), lies whole
    inside the viewport and inside its table's card, its table not scrolled sideways (it fits);
    the page never scrolls sideways. How many buttons there were."""
    view = open_section(page, section)
    buttons = view.locator(".cs-table .cs-row-actions button")
    for i in range(buttons.count()):
        button = buttons.nth(i)
        button.scroll_into_view_if_needed()
        at = button.evaluate(WHERE)
        label = f"{section}: {button.inner_text()!r} of row {i} at {at}"
        assert at["left"] >= 0 and at["right"] <= at["width"], label
        assert at["top"] >= 0 and at["bottom"] <= at["height"], label
        assert at["cardLeft"] <= at["left"] and at["right"] <= at["cardRight"] + 0.5, label
        # at these widths the demo's tables fit their card: no button waits behind a scroll
        assert at["scrolled"] == 0, label
    wide = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
    assert wide <= 0, f"{section}: the page scrolls sideways by {wide}px"
    return int(buttons.count())


def test_row_buttons_stay_reachable_at_laptop_widths(
    two_site_server: str, browser: Any, artifacts: Path
) -> None:
    base = two_site_server
    make_account(
        base, "carol_wide", "3001", {"records": "view"}, "一个名字很长的权限组用来撑宽表格"
    )
    for width in (1024, 1280):
        context = browser.new_context(viewport={"width": width, "height": 768})
        page = context.new_page()
        console_log_in(page, base, "demo_alice")
        counts = {
            section: assert_buttons_reachable(page, section)
            for section in ("accounts", "sites", "groups", "permissions")
        }
        # alice: 2 buttons, bob and carol: 3 each; two sites with 4; 3 groups and 1 rights group
        assert counts == {"accounts": 8, "sites": 8, "groups": 6, "permissions": 2}, counts
        open_section(page, "accounts")
        page.screenshot(path=str(artifacts / f"console-accounts-{width}.png"))
        context.close()


def test_sites_are_named_by_name_and_a_nameless_one_by_its_key(
    two_site_server: str, browser: Any
) -> None:
    base = two_site_server
    alice = token_for(base, "demo_alice")
    make_account(base, "carol_site", "3001", {"records": "view"})
    shop = httpx.get(f"{base}/api/v1/admin/sites/demo-shop", headers=bearer(alice)).json()
    assert shop["name"] is None  # the API says so: the console shows the key in its place

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console_log_in(page, base, "demo_alice")
    sites = open_section(page, "sites")
    nameless = sites.locator("tbody tr", has_text="demo-shop").locator("td.cs-site-name")
    assert nameless.inner_text() == "demo-shop"
    assert nameless.locator(".cs-site-unnamed").count() == 1  # greyed: not a name
    named = sites.locator("tbody tr", has_text="demo-web").locator("td.cs-site-name")
    assert named.inner_text() == "演示网站"

    def site_choices() -> dict[str, str]:
        accounts = open_section(page, "accounts")
        accounts.locator("tbody tr", has_text="carol_site").locator('[data-action="edit"]').click()
        dialog = page.locator(".cs-dialog")
        dialog.locator('[data-name="site_scope"]').select_option("chosen")
        checks = dialog.locator('[data-name="sites"] label')
        checks.first.wait_for(timeout=WAIT)
        found = checks.evaluate_all(
            "(labels) => labels.map((l) => [l.querySelector('input').value, l.textContent])"
        )
        dialog.locator(".cs-dialog-close").click()
        return dict(found)

    assert site_choices() == {"demo-web": "演示网站", "demo-shop": "demo-shop"}

    # a second site of the same name: both show their key after it; the table names them so
    made = httpx.post(
        f"{base}/api/v1/admin/sites",
        json={"key": "demo-web2", "name": "演示网站", "flow": "reception"},
        headers=bearer(alice),
    )
    assert made.status_code == 201, made.text
    page.reload()
    assert site_choices() == {
        "demo-web": "演示网站 (demo-web)",
        "demo-web2": "演示网站 (demo-web2)",
        "demo-shop": "demo-shop",
    }
    patched = httpx.patch(
        f"{base}/api/v1/admin/accounts/carol_site",
        json={"site_scope": "chosen", "sites": ["demo-web", "demo-shop"]},
        headers=bearer(alice),
    )
    assert patched.status_code == 200, patched.text
    page.reload()  # the section shown: its link would not draw it again
    accounts = open_section(page, "accounts")
    carol = accounts.locator("tbody tr", has_text="carol_site")
    carol.filter(has_text="演示网站 (demo-web)").wait_for(timeout=WAIT)
    assert "demo-shop" in carol.inner_text()
    context.close()
