"""The editor's Try past its rate limit, in headless Chromium: the panel says how long to wait,
the refused action is not shown as played, and once the wait is over the conversation goes on
from what is on screen. The demo deployment runs with a Try limit of 3 tries on a clock the
test moves."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_kit import in_thread
from staff_kit import WAIT, editor_log_in

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings
from chatflow.admin_api.try_limits import TryLimits
from chatflow.engine.clock import FrozenClock
from chatflow.engine.ratelimit import Limit, MemoryRateLimiter

ROOT = Path(__file__).resolve().parents[2]
NOW = [0.0]


@pytest.fixture
def throttled_demo(tmp_path: Path) -> Iterator[str]:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    config = (ROOT / "examples/demo/chatflow.yaml").read_text(encoding="utf-8")
    (tmp_path / "chatflow.yaml").write_text(config.replace("../../flows", "./flows"), "utf-8")
    settings = ServeSettings(config=tmp_path / "chatflow.yaml", data=tmp_path / "data")
    app = create_app(settings, clock=FrozenClock("2026-11-23T10:00:00+08:00"))
    NOW[0] = 0.0
    app.state.try_limits = TryLimits(
        tries=MemoryRateLimiter(Limit(3, 60), lambda: NOW[0]),
        steps=MemoryRateLimiter(Limit(1000, 60), lambda: NOW[0]),
    )
    with in_thread(app, log_level="warning") as served:
        yield served.url


def test_a_throttled_try_says_how_long_to_wait_and_plays_nothing(
    throttled_demo: str, browser: Any
) -> None:
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    editor_log_in(page, throttled_demo, "demo_alice")
    page.locator("#ed-issues-title", has_text="no errors").wait_for(timeout=WAIT)

    page.locator("#ed-try-open").click()  # try 1
    log = page.locator("#ed-try-log")
    log.locator(".ed-try-option", has_text="售前咨询").click()  # try 2
    page.locator("#ed-try-status", has_text="to_presales").wait_for(timeout=WAIT)
    page.locator(".ed-try-action", has_text="Agent joins").click()  # try 3
    log.locator(".ed-try-notice", has_text="joined").wait_for(timeout=WAIT)

    page.locator("#ed-try-input").fill("too soon")
    page.locator("#ed-try-input").press("Enter")  # refused: 429
    note = page.locator("#ed-try-note", has_text="Too many tries")
    note.wait_for(timeout=WAIT)
    assert "wait 60 s" in note.inner_text()
    assert log.locator(".ed-try-visitor", has_text="too soon").count() == 0

    NOW[0] += 60  # the window has passed: the next action plays, without the refused one
    page.locator("#ed-try-input").fill("in time")
    page.locator("#ed-try-input").press("Enter")
    log.locator(".ed-try-visitor", has_text="in time").wait_for(timeout=WAIT)
    assert log.locator(".ed-try-visitor", has_text="too soon").count() == 0
    assert page.locator("#ed-try-note").is_hidden()
