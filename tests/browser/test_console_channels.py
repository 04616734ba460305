"""The console's Channels section (console-channels.js) in headless Chromium: the demo deployment
plus a webhook channel whose receiver, a real HTTP server on loopback, fails until the test lets
it succeed. The admin sees the channel (a hostile name stays text) with its failures counted,
opens its deliveries, filters the failed ones and sends one again, which then shows delivered.
An account that may only view channels gets no Retry button; demo_bob, an agent, is not offered
the section. The Chinese page names it 渠道. A screenshot lands in test-artifacts/.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from im_channel_kit import START, im_app, im_deployment, post_inbound
from server_kit import in_thread
from staff_kit import (
    WAIT,
    assert_hidden_from_bob,
    bearer,
    console_log_in,
    make_account,
    open_section,
    token_for,
    until,
    watch_problems,
)

from chatflow.engine.clock import FrozenClock

pytestmark = pytest.mark.slow

HOSTILE = '<img src=x onerror="window.__xss=1">微信'


class Hook:
    """A webhook receiver on loopback: answers ``status`` to every POST and counts them."""

    def __init__(self) -> None:
        self.status = 500
        self.got: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                hook.got.append(json.loads(self.rfile.read(length)))
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=t0k3n"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Hook]]:
    """The demo with site ``demo-im`` and its channel ``im`` (named :data:`HOSTILE`)."""
    hook = Hook()
    thread = threading.Thread(target=hook.server.serve_forever, daemon=True)
    thread.start()
    channel = {"key": "im", "name": HOSTILE, "webhook_url": hook.url}
    app = im_app(im_deployment(tmp_path, channel), FrozenClock(START))
    app.state.webhook_outbox.backoff = lambda n: 0.05
    app.state.webhook_outbox.max_attempts = 2
    try:
        with in_thread(app, log_level="warning") as server:
            yield server.url, hook
    finally:
        hook.server.shutdown()
        hook.server.server_close()


def send(base: str, message_id: str) -> str:
    """A signed inbound message of user u-1; its conversation's id."""
    message = {"message_id": message_id, "user_id": "u-1", "type": "text", "text": "你好"}
    answer = post_inbound(base, "im", message)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["session_id"])


def deliveries(base: str, token: str, **params: Any) -> dict[str, Any]:
    answer = httpx.get(
        f"{base}/api/v1/channels/im/deliveries", params=params, headers=bearer(token)
    )
    answer.raise_for_status()
    return dict(answer.json())


def all_failed(base: str, token: str) -> int:
    """Waits until the opening's two frames (the visitor's echo, the bot's prompt) both failed."""

    def counted() -> int:
        total = deliveries(base, token, status="failed")["total"]
        return total if total == deliveries(base, token)["total"] == 2 else 0

    return int(until(counted, "both frames to fail"))


def test_an_admin_sees_failed_deliveries_and_sends_one_again(
    browser: Any, served: tuple[str, Hook], artifacts: Path
) -> None:
    base, hook = served
    alice = token_for(base, "demo_alice")
    send(base, "m-1")
    failed = all_failed(base, alice)

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    problems = watch_problems(page)
    console_log_in(page, base, "demo_alice")
    view = open_section(page, "channels")
    row = view.locator('tr[data-channel="im"]')
    assert row.locator(".cf-channel-name").text_content() == HOSTILE
    assert row.locator(".cs-badge-off").text_content() == str(failed)
    assert "t0k3n" not in view.text_content() and "/hook" not in view.text_content()
    assert page.evaluate("() => window.__xss") is None
    assert view.locator("img").count() == 0

    row.click()
    page.wait_for_function("() => location.hash === '#channels/im'", timeout=WAIT)
    view.locator(".cf-filters select[name=status]").select_option("failed")
    view.locator(".cf-filters button[type=submit]").click()
    page.locator(".cf-deliveries tbody tr").nth(failed - 1).wait_for(timeout=WAIT)
    first = deliveries(base, alice, status="failed")["items"][-1]  # the oldest, seq 1
    assert first["seq"] == 1
    target = view.locator(f'tr[data-delivery="{first["id"]}"]')
    assert target.get_attribute("data-status") == "failed"
    page.screenshot(path=str(artifacts / "console-channels.png"), full_page=True)

    hook.status = 200
    before = len(hook.got)
    target.locator('[data-action="retry"]').click()
    page.locator(".ui-toast", has_text="Seq 1 is queued to be sent again").wait_for(timeout=WAIT)

    def delivered() -> bool:
        items = deliveries(base, alice, status="delivered")["items"]
        return [d["id"] for d in items] == [first["id"]]

    until(delivered, "the retried delivery to be delivered")
    assert [got["seq"] for got in hook.got[before:]] == [1]
    view.locator(".cf-filters select[name=status]").select_option("")
    view.locator(".cf-filters button[type=submit]").click()
    page.locator(f'tr[data-delivery="{first["id"]}"][data-status="delivered"]').wait_for(
        timeout=WAIT
    )
    assert view.locator('[data-action="retry"]').count() == failed - 1

    view.locator('[data-action="back"]').click()
    page.wait_for_function("() => location.hash === '#channels'", timeout=WAIT)
    view = page.locator(".cs-section-channels")
    view.locator('tr[data-channel="im"] .cs-badge-off', has_text=str(failed - 1)).wait_for(
        timeout=WAIT
    )
    assert problems == []
    context.close()


def test_viewers_get_no_retry_and_agents_no_section(browser: Any, served: tuple[str, Hook]) -> None:
    base, _ = served
    send(base, "m-1")
    alice = token_for(base, "demo_alice")
    all_failed(base, alice)
    make_account(base, "watcher_01", "3101", {"channels": "view"})

    context = browser.new_context()
    page = context.new_page()
    problems = watch_problems(page)
    page.goto(f"{base}/console?lang=zh-CN")
    page.locator("#cs-account").fill("watcher_01")
    page.locator("#cs-password").fill("Demo-pass1")
    page.locator("#cs-login-button").click()
    link = page.locator('.cs-nav-item[data-section="channels"]')
    link.wait_for(timeout=WAIT)
    assert link.text_content() == "渠道"
    view = open_section(page, "channels")
    assert view.locator("th", has_text="24 小时内失败").count() == 1
    view.locator('tr[data-channel="im"]').click()
    view.locator(".cf-deliveries tbody tr").first.wait_for(timeout=WAIT)  # drawn in one go
    assert view.locator('tr[data-status="failed"]').count() >= 1
    assert view.locator('[data-action="retry"]').count() == 0
    assert view.locator(".cf-deliveries .cs-badge-off").first.text_content() == "失败"
    assert problems == []
    context.close()

    assert_hidden_from_bob(browser, base, {"channels": "/channels"})
