"""The demo chat page in headless Chromium (Debian's, driven by Playwright): chat through the
menu, reload mid-conversation, and check that no message is lost or doubled.

The browser and the demo server are conftest.py's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_kit import in_thread
from staff_kit import WAIT, token_for, until
from starlette.responses import HTMLResponse

pytestmark = pytest.mark.slow


def transcript(page: object) -> list[str]:
    """Each row of the conversation as ``<speaker class>: <text>``."""
    rows = page.locator(".cf-log .cf-row")  # type: ignore[attr-defined]
    out = []
    for i in range(rows.count()):
        row = rows.nth(i)
        speaker = (row.get_attribute("class") or "").split()
        out.append(" ".join(speaker[1:2]) + ": " + " ".join(row.inner_text().split()))
    return out


def test_chat_through_the_menu_and_reload_without_loss_or_doubles(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 780})  # a phone width
    refused: list[str] = []  # the page's Content-Security-Policy must block nothing
    page.on(
        "console",
        lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{demo_server}/chat/demo-web")
    menu = page.locator(".cf-options button", has_text="售后服务")
    menu.first.wait_for(timeout=15_000)
    assert "欢迎咨询演示网站" in page.locator(".cf-log").inner_text()
    menu.first.click()
    # nobody is online in the demo: the flow asks for a phone number
    page.get_by_text("请留下您的手机号").wait_for(timeout=15_000)
    page.locator("#cf-input").fill("13800138000")
    page.keyboard.press("Enter")
    page.locator(".cf-from-visitor", has_text="13800138000").wait_for(timeout=15_000)
    page.locator(".cf-from-bot").last.wait_for(timeout=15_000)
    # the flow's last words: the phone number noted, goodbye, and the end notice
    page.locator(".cf-from-bot", has_text="感谢您的咨询").wait_for(timeout=15_000)
    page.locator(".cf-from-system").last.wait_for(timeout=15_000)
    page.wait_for_function("() => !document.querySelector('.cf-log .is-pending')", timeout=15_000)
    before = transcript(page)
    page.reload()
    page.locator(".cf-from-visitor", has_text="13800138000").wait_for(timeout=15_000)
    page.wait_for_function(
        f"() => document.querySelectorAll('.cf-log .cf-row').length >= {len(before)}",
        timeout=15_000,
    )
    after = transcript(page)
    page.screenshot(path=str(artifacts / "chat-page-after-reload.png"), full_page=True)
    assert not refused, refused
    assert any("/ws/visitor" in url for url in sockets), "the page did not use its websocket"
    assert after == before, "a reload lost or doubled messages"
    visitor_rows = [row for row in after if row.startswith("cf-from-visitor:")]
    assert [row.split(": ", 1)[1].split()[-1] for row in visitor_rows] == [
        "售后服务",
        "13800138000",
    ]


def test_the_host_pages_visitor_id_and_name_reach_the_profile(
    demo_server: str, browser: Any
) -> None:
    page = browser.new_context().new_page()
    page.goto(
        f"{demo_server}/chat/demo-web?visitor=member-1029&name=%E7%8E%8B%E5%B0%8F%E6%98%8E",
        referer="https://help.example.com/contact",  # a chat link: where it was clicked
    )
    page.locator(".cf-options button", has_text="售前咨询").first.wait_for(timeout=WAIT)
    admin = {"Authorization": f"Bearer {token_for(demo_server, 'demo_alice')}"}

    def profile() -> Any:
        found = httpx.get(f"{demo_server}/api/v1/visitors/member-1029", headers=admin)
        return found.json() if found.status_code == 200 and found.json()["name"] else None

    assert until(profile, "the member's profile")["name"] == "王小明"
    stored = page.evaluate("() => localStorage.getItem('chatflow.v1.demo-web.visitor')")
    assert stored == '"member-1029"'
    session = page.evaluate("() => localStorage.getItem('chatflow.v1.demo-web.session')")
    record = f"{demo_server}/api/v1/records/{json.loads(session)['session_id']}"

    def written() -> Any:
        found = httpx.get(record, headers=admin)
        return found.json() if found.status_code == 200 else None

    visit = until(written, "the conversation's record")["visit"]
    assert (visit["referrer"], visit["page_url"]) == ("https://help.example.com/contact", None)


def test_the_widget_tells_the_record_which_page_the_chat_was_opened_on(
    demo_server: str, browser: Any
) -> None:
    """A shop page on another origin (a second loopback server) embeds the widget; the visitor
    came from a search engine and opens the chat: the record holds the page without its
    fragment, its title, the referrer and the browser."""
    shop_page = HTMLResponse(
        "<!doctype html><html><head><title> LaserJet 2000 - Acme Shop </title></head><body>"
        f'<script src="{demo_server}/static/widget.js" data-site="demo-web"></script>'
        "</body></html>"
    )  # a response is an ASGI app: every path of the shop answers it
    with in_thread(shop_page, log_level="warning") as shop:
        page = browser.new_context().new_page()
        page.goto(f"{shop.url}/printers?id=7#reviews", referer="https://www.baidu.com/s?wd=x")
        page.wait_for_function("() => window.ChatflowWidget !== undefined", timeout=WAIT)
        with page.expect_response(lambda r: r.url.endswith("/sites/demo-web/sessions")) as made:
            page.evaluate("() => window.ChatflowWidget.open()")
        assert made.value.status == 201, made.value.text()
        chat = next(f for f in page.frames if "/chat/demo-web" in f.url)
        chat.locator(".cf-options button", has_text="售前咨询").first.wait_for(timeout=WAIT)
        shop_url = shop.url
    admin = {"Authorization": f"Bearer {token_for(demo_server, 'demo_alice')}"}
    record = f"{demo_server}/api/v1/records/{made.value.json()['session_id']}"

    def visit() -> Any:
        found = httpx.get(record, headers=admin)
        return found.json()["visit"] if found.status_code == 200 else None

    seen = until(visit, "the conversation's record")
    assert seen["page_url"] == f"{shop_url}/printers?id=7"  # the fragment stays in the browser
    assert seen["page_title"] == "LaserJet 2000 - Acme Shop"
    assert seen["referrer"] == "https://www.baidu.com/s?wd=x"
    assert seen["ip"] == "127.0.0.1" and seen["device"] == "desktop"
    assert seen["browser"] and "Chrome" in seen["browser"]
