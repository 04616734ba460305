"""A captcha site's chat page in headless Chromium: the slider puzzle comes first; a wrong drag
shows the failure and a new puzzle, a drag to the right place (computed with the deployment's
key, as an insider may) starts the chat. The browser is conftest.py's."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_kit import in_thread

from chatflow.admin_api.app import create_app
from chatflow.admin_api.services import visitor_secret
from chatflow.admin_api.settings import ServeSettings
from chatflow.channels.captcha import CaptchaKeys
from chatflow.channels.captcha_images import PIECE, WIDTH
from chatflow.engine.clock import FrozenClock

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CLOCK = "2026-11-23T10:00:00+08:00"


@pytest.fixture
def captcha_server(tmp_path: Path) -> Iterator[str]:
    """The demo deployment with ``captcha: true`` on its site."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    config = (ROOT / "examples/demo/chatflow.yaml").read_text(encoding="utf-8")
    config = config.replace("../../flows", "./flows")
    config = config.replace(
        "        flow: reception\n", "        flow: reception\n        captcha: true\n"
    )
    (tmp_path / "chatflow.yaml").write_text(config, "utf-8")
    settings = ServeSettings(config=tmp_path / "chatflow.yaml", data=tmp_path / "data")
    with in_thread(create_app(settings, clock=FrozenClock(CLOCK)), log_level="warning") as served:
        yield served.url


def drag(page: Any, to: float) -> None:
    """Drag the slider's handle so the piece's left edge lands on ``to`` (puzzle pixels)."""
    handle = page.locator(".cf-captcha-handle").bounding_box()
    stage = page.locator(".cf-captcha-stage").bounding_box()
    start_x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(start_x, y)
    page.mouse.down()
    page.mouse.move(start_x + to * stage["width"] / WIDTH, y, steps=12)
    page.mouse.up()


@pytest.mark.parametrize("width", [390, 1024])  # a phone, a desktop
def test_the_puzzle_comes_first_and_a_right_drag_starts_the_chat(
    captcha_server: str, browser: Any, artifacts: Path, tmp_path: Path, width: int
) -> None:
    keys = CaptchaKeys(visitor_secret(tmp_path / "data"), FrozenClock(CLOCK))
    page = browser.new_page(viewport={"width": width, "height": 780})
    refused: list[str] = []  # the page's Content-Security-Policy must block nothing
    page.on(
        "console",
        lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None,
    )

    def place_of(response: Any) -> int:
        token = response.json()["challenge"]
        return keys.place(token.split(".")[0]).x

    with page.expect_response(lambda r: r.url.endswith("/captcha")) as first:
        page.goto(f"{captcha_server}/chat/demo-web?lang=zh-CN")
    x = place_of(first.value)
    page.locator(".cf-captcha").wait_for(timeout=15_000)
    page.get_by_text("拖动滑块完成拼图").first.wait_for(timeout=15_000)
    page.wait_for_function("() => !document.querySelector('.cf-captcha.is-busy')")
    assert page.locator(".cf-captcha-piece").get_attribute("src").startswith("data:image/png")

    wrong = x + 40 if x + 40 <= WIDTH - PIECE else x - 40
    with page.expect_response(lambda r: r.url.endswith("/captcha")) as second:
        drag(page, wrong)
    page.get_by_text("验证失败，请再试一次").wait_for(timeout=15_000)
    page.wait_for_function("() => !document.querySelector('.cf-captcha.is-busy')")
    x = place_of(second.value)
    assert page.locator(".cf-log .cf-row").count() == 0  # no conversation yet
    page.screenshot(path=str(artifacts / f"chat-captcha-{width}.png"))

    drag(page, x)
    page.locator(".cf-options button", has_text="售后服务").first.wait_for(timeout=15_000)
    assert page.locator(".cf-captcha").is_hidden()
    assert "欢迎咨询演示网站" in page.locator(".cf-log").inner_text()
    page.reload()  # resuming the stored session asks nothing
    page.locator(".cf-options button", has_text="售后服务").first.wait_for(timeout=15_000)
    assert page.locator(".cf-captcha").count() == 0
    assert refused == []
    page.close()


def test_the_arrow_keys_move_the_piece_and_enter_checks(
    captcha_server: str, browser: Any, tmp_path: Path
) -> None:
    keys = CaptchaKeys(visitor_secret(tmp_path / "data"), FrozenClock(CLOCK))
    page = browser.new_page(viewport={"width": 390, "height": 780}, locale="en-US")
    with page.expect_response(lambda r: r.url.endswith("/captcha")) as first:
        page.goto(f"{captcha_server}/chat/demo-web?lang=en")
    x = keys.place(first.value.json()["challenge"].split(".")[0]).x
    page.get_by_text("Slide to complete the puzzle").first.wait_for(timeout=15_000)
    page.wait_for_function("() => !document.querySelector('.cf-captcha.is-busy')")
    handle = page.locator(".cf-captcha-handle")
    handle.focus()
    for _ in range(x // 10):
        page.keyboard.press("Shift+ArrowRight")
    for _ in range((x % 10) // 2):
        page.keyboard.press("ArrowRight")
    assert abs(int(handle.get_attribute("aria-valuenow") or "0") - x) <= 2
    page.keyboard.press("Enter")
    page.locator(".cf-log .cf-row").first.wait_for(timeout=15_000)
    assert page.locator(".cf-captcha").is_hidden()
    page.close()
