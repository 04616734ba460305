"""The console's Channels pages at a phone's and a laptop's width (390 and 1024 px), in Chinese,
in headless Chromium (QA findings 6, 7, 9): the demo deployment plus three webhook channels whose
deliveries fail three ways - a receiver on loopback answering 503, a closed loopback port
(refused) and a private address the SSRF guard blocks. The page never scrolls sideways, the
deliveries' 查询 button is on screen, rows stay a few lines tall, badges are one line, the last
error reads in Chinese (its kind in words, the system's detail after it, the whole text in the
tooltip) and frame types are words (消息). The accounts table keeps 管理员 and 启用 on one line.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from im_channel_kit import START, im_app, im_deployment, post_inbound
from server_kit import in_thread
from staff_kit import WAIT, bearer, open_section, token_for, until, watch_problems

from chatflow.engine.clock import FrozenClock

pytestmark = pytest.mark.slow


class Busy(BaseHTTPRequestHandler):
    """A provider that is down for maintenance: 503 to every POST."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def closed_port() -> int:
    """A loopback port nobody listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The demo with site ``demo-im`` and channels ``busy`` (503), ``dead`` (refused) and
    ``walled`` (blocked: a private address outside ``http.allow_hosts``)."""
    busy = ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    threading.Thread(target=busy.serve_forever, daemon=True).start()
    urls = {
        "busy": f"http://127.0.0.1:{busy.server_address[1]}/hook",
        "dead": f"http://127.0.0.1:{closed_port()}/hook",
        "walled": "http://10.255.255.1/hook",
    }
    channels = [
        {"key": key, "name": f"{key} 渠道", "webhook_url": url} for key, url in urls.items()
    ]
    app = im_app(im_deployment(tmp_path, *channels), FrozenClock(START))
    app.state.webhook_outbox.backoff = lambda n: 0.05
    app.state.webhook_outbox.max_attempts = 2
    try:
        with in_thread(app, log_level="warning") as server:
            yield server.url
    finally:
        busy.shutdown()
        busy.server_close()


def send(base: str, channel: str) -> None:
    """A signed inbound message of user u-1 on `channel`."""
    message = {"message_id": "m-1", "user_id": "u-1", "type": "text", "text": "你好"}
    answer = post_inbound(base, channel, message)
    assert answer.status_code == 200, answer.text


def last_errors(base: str, token: str) -> dict[str, str]:
    """Each channel's last error, once all three have one."""

    def found() -> dict[str, str] | None:
        listed = httpx.get(f"{base}/api/v1/channels", headers=bearer(token)).json()
        errors = {c["key"]: c["last_error"] for c in listed if c["last_error"]}
        return errors if len(errors) == 3 else None

    return dict(until(found, "every channel to record its error"))


# The page's sideways overflow; where a node is against the viewport, and how tall its text is
# (the text's own box, not the cell's, which its row stretches).
OVERFLOW = "() => document.documentElement.scrollWidth - innerWidth"
BOX = """(node) => {
  const box = node.getBoundingClientRect();
  const text = document.createRange();
  text.selectNodeContents(node);
  return {left: box.left, right: box.right, width: innerWidth, text: node.textContent,
          height: text.getBoundingClientRect().height, shown: box.height,
          font: parseFloat(getComputedStyle(node).fontSize)};
}"""


def assert_one_line(nodes: Any, what: str) -> None:
    """Every one of `nodes` is a single line of text: less than two of its font's lines tall."""
    assert nodes.count() > 0, f"no {what}"
    for box in nodes.evaluate_all(f"(all) => all.map({BOX})"):
        assert 0 < box["height"] < 2 * box["font"], f"{what} wraps: {box}"


def log_in_zh(page: Any, base: str) -> None:
    page.goto(f"{base}/console?lang=zh-CN")
    page.locator("#cs-account").fill("demo_alice")
    page.locator("#cs-password").fill("Demo-pass1")
    page.locator("#cs-login-button").click()


@pytest.mark.parametrize("width", [390, 1024])
def test_channels_pages_fit_a_phone_and_a_laptop(
    browser: Any, served: str, artifacts: Path, width: int
) -> None:
    base = served
    for channel in ("busy", "dead", "walled"):
        send(base, channel)
    errors = last_errors(base, token_for(base, "demo_alice"))
    assert errors["busy"] == "status 503"
    assert errors["dead"].startswith("refused")
    assert errors["walled"] == "blocked: 10.255.255.1 is private"

    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    problems = watch_problems(page)
    log_in_zh(page, base)
    view = open_section(page, "channels")
    rows = view.locator("tbody tr")
    assert rows.count() == 3
    page.screenshot(path=str(artifacts / f"console-channels-{width}.png"), full_page=True)
    assert page.evaluate(OVERFLOW) <= 0, "the channels page scrolls sideways"
    for i in range(3):  # a row is a few lines tall, not a character a line
        height = rows.nth(i).evaluate("(row) => row.getBoundingClientRect().height")
        assert height < 100, f"row {i} is {height}px tall"
    assert_one_line(view.locator(".cs-badge"), "badges")
    for box in view.locator(".cf-error-text").evaluate_all(f"(all) => all.map({BOX})"):
        # the text may run longer (its tooltip has it all): what shows is at most two lines
        assert 0 < box["shown"] < 3 * box["font"] * 1.5, f"an error over two lines: {box}"
    words = {
        "busy": "HTTP 503",
        "dead": "连接被拒绝：",
        "walled": "地址被拦截（内网地址）：10.255.255.1 is private",
    }
    for key, start in words.items():
        cell = view.locator(f'tr[data-channel="{key}"] .cf-error-text')
        assert (cell.text_content() or "").startswith(start), cell.text_content()
        assert cell.get_attribute("title") == errors[key]  # the system's whole text

    view.locator('tr[data-channel="walled"]').click()
    page.wait_for_function("() => location.hash === '#channels/walled'", timeout=WAIT)
    table = view.locator(".cf-deliveries tbody tr")
    table.first.wait_for(timeout=WAIT)
    page.screenshot(path=str(artifacts / f"console-channel-{width}.png"), full_page=True)
    assert page.evaluate(OVERFLOW) <= 0, "the deliveries page scrolls sideways"
    search = view.locator(".cf-filters button[type=submit]")
    box = search.evaluate(BOX)
    assert box["left"] >= 0 and box["right"] <= box["width"], f"查询 is cut off: {box}"
    assert search.text_content() == "查询"
    assert_one_line(view.locator(".cf-deliveries .cs-badge"), "status badges")
    types = view.locator(".cf-deliveries tbody td span[title]").filter(has_text="消息")
    assert types.count() >= 1 and types.first.get_attribute("title") == "message"
    assert "message" not in (view.locator(".cf-deliveries tbody").inner_text())
    search.click()  # it works where it is
    table.first.wait_for(timeout=WAIT)

    accounts = open_section(page, "accounts")
    assert page.evaluate(OVERFLOW) <= 0, "the accounts page scrolls sideways"
    assert_one_line(accounts.locator(".cs-badge"), "account badges")
    assert_one_line(accounts.locator("td", has_text="管理员"), "a role")
    assert_one_line(accounts.locator("td", has_text="全部站点"), "a site scope")
    assert problems == []
    context.close()
