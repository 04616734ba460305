"""The demo chat page in headless Chromium (Debian's, driven by Playwright): chat through the
menu, reload mid-conversation, and check that no message is lost or doubled.

Playwright never downloads a browser here: it drives /usr/bin/chromium. Under CI=true a missing
Chromium fails the test; locally it skips.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_kit import in_thread

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.clock import FrozenClock

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

playwright_sync = pytest.importorskip("playwright.sync_api")

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("Chromium is missing: .ci/run installs Debian's chromium package")
    pytest.skip("Chromium is not installed", allow_module_level=True)

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    config = (ROOT / "examples/demo/chatflow.yaml").read_text(encoding="utf-8")
    (tmp_path / "chatflow.yaml").write_text(config.replace("../../flows", "./flows"), "utf-8")
    settings = ServeSettings(config=tmp_path / "chatflow.yaml", data=tmp_path / "data")
    app = create_app(settings, clock=FrozenClock("2026-11-23T10:00:00+08:00"))
    with in_thread(app, log_level="warning") as served:
        yield served.url


def transcript(page: object) -> list[str]:
    """Each row of the conversation as ``<speaker class>: <text>``."""
    rows = page.locator(".cf-log .cf-row")  # type: ignore[attr-defined]
    out = []
    for i in range(rows.count()):
        row = rows.nth(i)
        speaker = (row.get_attribute("class") or "").split()
        out.append(" ".join(speaker[1:2]) + ": " + " ".join(row.inner_text().split()))
    return out


def test_chat_through_the_menu_and_reload_without_loss_or_doubles(server: str) -> None:
    with playwright_sync.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 390, "height": 780})  # a phone width
            refused: list[str] = []  # the page's Content-Security-Policy must block nothing
            page.on(
                "console",
                lambda msg: (
                    refused.append(msg.text) if "Content Security Policy" in msg.text else None
                ),
            )
            sockets: list[str] = []
            page.on("websocket", lambda ws: sockets.append(ws.url))
            page.goto(f"{server}/chat/demo-web")
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
            page.wait_for_function(
                "() => !document.querySelector('.cf-log .is-pending')", timeout=15_000
            )
            before = transcript(page)
            page.reload()
            page.locator(".cf-from-visitor", has_text="13800138000").wait_for(timeout=15_000)
            page.wait_for_function(
                f"() => document.querySelectorAll('.cf-log .cf-row').length >= {len(before)}",
                timeout=15_000,
            )
            after = transcript(page)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "chat-page-after-reload.png"), full_page=True)
        finally:
            browser.close()
    assert not refused, refused
    assert any("/ws/visitor" in url for url in sockets), "the page did not use its websocket"
    assert after == before, "a reload lost or doubled messages"
    visitor_rows = [row for row in after if row.startswith("cf-from-visitor:")]
    assert [row.split(": ", 1)[1].split()[-1] for row in visitor_rows] == [
        "售后服务",
        "13800138000",
    ]
