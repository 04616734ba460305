"""The console's service records tell the channel apart, in headless Chromium: the demo with a
webhook/IM channel named in chatflow.yaml; a web visitor and an IM user (a signed provider
message) each start a conversation; demo_alice sees each one's channel in the list and the
record, and the channel filter narrows the list as the API's ``channel`` does (a reload keeps
it). The browser is conftest.py's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from im_channel_kit import START, im_app, im_deployment, post_inbound
from server_kit import in_thread
from staff_kit import WAIT, Visitor, bearer, console_log_in, token_for, until

from chatflow.engine.clock import FrozenClock

pytestmark = pytest.mark.slow

NAME = "微信公众号"
ROWS = ".cs-section-records tbody tr"
CHANNEL = '.cs-records-filters select[name="channel"]'
VISIT_SITE = ".ui-facts dt:text-is('Site')"
IM_CHANNEL = {
    "key": "wechat-bridge",
    "name": NAME,
    "site": "demo-web",
    "webhook_url": "http://127.0.0.1:9/hook",
}
"""Its deliveries go nowhere (the SSRF guard holds loopback): only its records matter here."""


@pytest.fixture
def im_server(tmp_path: Path) -> Iterator[str]:
    """The demo with the webhook channel ``wechat-bridge`` on its site, frozen at Monday 10:00
    in Shanghai (within the demo's business hours)."""
    app = im_app(im_deployment(tmp_path, IM_CHANNEL, allow_loopback=False), FrozenClock(START))
    with in_thread(app, log_level="warning") as served:
        yield served.url


def im_message(base: str, user: str, text: str) -> str:
    """A message of IM user ``user`` through the channel, signed as its provider signs; the
    session it went to."""
    message = {"message_id": f"{user}-1", "user_id": user, "user_name": user, "type": "text"}
    posted = post_inbound(base, "wechat-bridge", {**message, "text": text})
    assert posted.status_code == 200, posted.text
    return str(posted.json()["session_id"])


def shown(page: Any) -> list[str]:
    rows = page.locator(ROWS)
    return [rows.nth(i).get_attribute("data-session") for i in range(rows.count())]


def test_the_records_page_shows_and_filters_the_channel(
    im_server: str, browser: Any, artifacts: Path
) -> None:
    base = im_server
    alice = token_for(base, "demo_alice")
    web = Visitor(base, "v-wendy", "Wendy").session_id
    im = im_message(base, "ivan", "你好")

    def listed(**params: Any) -> set[str]:
        found = httpx.get(f"{base}/api/v1/records", params=params, headers=bearer(alice))
        found.raise_for_status()
        return {item["session_id"] for item in found.json()["items"]}

    until(lambda: listed() == {web, im}, "both records")
    assert listed(channel="web") == {web} and listed(channel="webhook:wechat-bridge") == {im}

    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    console_log_in(page, base, "demo_alice")
    page.locator('.cs-nav-item[data-section="records"]').click()
    page.locator(ROWS).nth(1).wait_for(timeout=WAIT)
    assert set(shown(page)) == {web, im}
    assert "Web" in page.locator(f'{ROWS}[data-session="{web}"]').inner_text()
    assert NAME in page.locator(f'{ROWS}[data-session="{im}"]').inner_text()
    options = page.locator(f"{CHANNEL} option").all_inner_texts()
    assert options == ["Any", "Web", "Every IM channel", NAME]

    # one IM channel: the list narrows, the address keeps it
    page.locator(CHANNEL).select_option(label=NAME)
    page.locator(".cs-records-filters button[type=submit]").click()
    page.wait_for_function(f"() => document.querySelectorAll('{ROWS}').length === 1")
    assert shown(page) == [im]
    page.reload()
    page.locator(ROWS).first.wait_for(timeout=WAIT)
    assert shown(page) == [im] and page.locator(CHANNEL).input_value() == "webhook:wechat-bridge"
    page.screenshot(path=str(artifacts / "console-records-channel.png"), full_page=True)

    # the web channel
    page.locator(CHANNEL).select_option(value="web")
    page.locator(".cs-records-filters button[type=submit]").click()
    page.locator(f'{ROWS}[data-session="{web}"]').wait_for(timeout=WAIT)
    assert shown(page) == [web]

    # the IM conversation's record names its channel
    page.goto(f"{base}/console?lang=en#records/{im}")
    details = page.locator(".cs-details")
    details.wait_for(timeout=WAIT)
    assert f"Channel{NAME}" in details.inner_text().replace("\n", "").replace("\t", "")
    # where the visitor was: the IM channel by its name; a web visitor's site, labelled so
    visit = page.locator(".ui-facts")
    visit.locator("dt").first.wait_for(timeout=WAIT)
    assert (visit.locator("dt").inner_text(), visit.locator("dd").inner_text()) == ("Channel", NAME)
    page.goto(f"{base}/console?lang=en#records/{web}")
    page.locator(f"{VISIT_SITE}:has(+ dd:text-is('演示网站'))").wait_for(timeout=WAIT)
    assert page.locator(".ui-facts dt", has_text="Channel").count() == 0
    context.close()
