"""The workbench in headless Chromium, for limited accounts and with names instead of keys.

An account whose permission group leaves out quick replies (records: view only; sensitive
words: edit only) opens the workbench, is invited into a conversation and types '#' in the
composer: the page asks the server for nothing the account's rights refuse (every response is
recorded; not one is a 403) and has no quick-replies tab. The header names the site and the
agents (演示网站, Bob), not their keys; the visitor panel labels a web visitor's site 来源站点 and
an IM visitor's channel 渠道, by the channel's name in chatflow.yaml.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from im_channel_kit import START, im_app, im_deployment, post_inbound
from server_kit import in_thread
from staff_kit import (
    WAIT,
    Visitor,
    make_account,
    until,
    watch_problems,
    workbench_log_in,
)

from chatflow.engine.clock import FrozenClock

pytestmark = pytest.mark.slow

CHANNEL_NAME = "微信公众号"
IM_CHANNEL = {
    "key": "wechat-bridge",
    "name": CHANNEL_NAME,
    "site": "demo-web",
    "webhook_url": "http://127.0.0.1:9/hook",
}
"""Its deliveries go nowhere (the SSRF guard holds loopback): only the visitor matters here."""
MESSAGE_IDS = itertools.count(1)


@pytest.fixture
def im_server(tmp_path: Path) -> Iterator[str]:
    """The demo with the webhook channel ``wechat-bridge`` on its site, frozen at Monday 10:00
    in Shanghai (within the demo's business hours)."""
    app = im_app(im_deployment(tmp_path, IM_CHANNEL, allow_loopback=False), FrozenClock(START))
    with in_thread(app, log_level="warning") as served:
        yield served.url


def im_message(base: str, user: str, text: str) -> None:
    """A message of IM user ``user`` through the channel, signed as its provider signs."""
    message = {"message_id": f"{user}-{next(MESSAGE_IDS)}", "user_id": user, "type": "text"}
    posted = post_inbound(base, "wechat-bridge", {**message, "user_name": user, "text": text})
    assert posted.status_code == 200, posted.text


def open_workbench(browser: Any, base: str, account: str) -> tuple[Any, list[str]]:
    """The workbench logged in as ``account``, and every response it gets ("403 GET /path")."""
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    answers: list[str] = []
    page.on(
        "response",
        lambda r: answers.append(f"{r.status} {r.request.method} {r.url.split('/', 3)[-1]}"),
    )
    workbench_log_in(page, base, account)
    return page, answers


def take_offer(page: Any) -> None:
    page.locator(".wb-phase-ringing .wb-accept").click(timeout=WAIT)
    page.locator(".wb-phase-active").wait_for(timeout=WAIT)


def facts(page: Any) -> dict[str, str]:
    """The visitor panel's "where the visitor was": label -> value."""
    panel = page.locator("#wb-visitor .ui-facts")
    panel.locator("dt").first.wait_for(timeout=WAIT)
    labels, values = panel.locator("dt"), panel.locator("dd")
    return {labels.nth(i).inner_text(): values.nth(i).inner_text() for i in range(labels.count())}


@pytest.mark.parametrize(
    "rights", [{"records": "view"}, {"sensitive_words": "edit"}], ids=["records", "words"]
)
def test_a_limited_account_is_asked_nothing_its_rights_refuse(
    demo_server: str, browser: Any, rights: dict[str, str]
) -> None:
    base = demo_server
    make_account(base, "limited_01", "L-01", rights)
    bob, _ = open_workbench(browser, base, "demo_bob")
    limited, answers = open_workbench(browser, base, "limited_01")
    problems = watch_problems(limited)
    limited.locator("#wb-tab-replies").wait_for(state="hidden", timeout=WAIT)

    # later: invited into a conversation, it serves, reads the visitor and types '#'
    Visitor(base, "v-limited").send(type="choice", value="售前咨询")
    take_offer(bob)
    bob.locator("#wb-actions .wb-invite").click()
    bob.locator("#wb-panel .wb-pick-agent", has_text="limited_01").click(timeout=WAIT)
    limited.locator(".wb-item.wb-phase-active").first.click(timeout=WAIT)
    limited.locator("#wb-visitor .wb-v-name").wait_for(timeout=WAIT)
    limited.locator("#wb-input:enabled").wait_for(timeout=WAIT)
    limited.locator("#wb-input").press_sequentially("#营业")
    limited.locator("#wb-tab-visitor").click()
    until(lambda: any("/visitor/history" in a for a in answers), "the visitor's history")
    # a moment for a lookup the '#' would start (it waits 150 ms after the last key)
    limited.wait_for_timeout(600)

    assert [a for a in answers if a.startswith("403 ")] == []
    assert not any("quick-replies" in a for a in answers), answers
    assert limited.locator("#wb-suggest").is_hidden()
    assert problems == []

    # a plain agent still has its replies
    bob.locator("#wb-tab-replies").click()
    bob.locator("#wb-replies", has_text="没有快捷回复").wait_for(timeout=WAIT)


def test_the_header_and_the_visitor_panel_show_names_not_keys(
    im_server: str, browser: Any, artifacts: Path
) -> None:
    base = im_server
    bob, answers = open_workbench(browser, base, "demo_bob")
    problems = watch_problems(bob)

    Visitor(base, "v-web").send(type="choice", value="售前咨询")
    take_offer(bob)
    meta = bob.locator("#wb-chat-meta")
    meta.filter(has_text="站点: 演示网站").wait_for(timeout=WAIT)
    assert "接待客服: Bob" in meta.inner_text()
    assert "demo-web" not in meta.inner_text() and "demo_bob" not in meta.inner_text()
    bob.locator("#wb-visitor .wb-v-meta", has_text="站点: 演示网站").wait_for(timeout=WAIT)
    assert facts(bob)["来源站点"] == "演示网站"

    # an IM user through the webhook channel: its channel by its name
    im_message(base, "ivan", "你好")
    im_message(base, "ivan", "1")
    bob.locator(".wb-phase-ringing .wb-accept").click(timeout=WAIT)
    until(lambda: bob.locator(".wb-phase-active").count() == 2, "the IM visitor served")
    bob.locator(".wb-phase-active", has_text="ivan").click()
    bob.locator("#wb-visitor .ui-facts dt", has_text="渠道").wait_for(timeout=WAIT)
    assert facts(bob) == {"渠道": CHANNEL_NAME}
    bob.screenshot(path=str(artifacts / "workbench_im_visitor_names.png"))
    assert [a for a in answers if a.startswith("403 ")] == []
    assert problems == []
