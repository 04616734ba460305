"""The editor's Try started by an IM opening message, in headless Chromium against the demo: the
designer types an opening, the conversation starts on it (the visitor's first line, the menu
not answered by it), goes on, and is saved as a test that carries the opening and passes
``chatflow test``. A new opening starts a new try; markup in it is shown as text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from staff_kit import WAIT, editor_log_in

from chatflow.engine.yamlsource import loads

HOSTILE = '<img src=x onerror="window.__xss=1">退款'


def test_a_try_opened_by_an_im_message_is_shown_and_saved_as_a_test(
    demo_server: str, browser: Any, tmp_path: Path, artifacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    editor_log_in(page, demo_server, "demo_alice", "?lang=zh-CN")
    page.locator('.ed-node[data-id="welcome"]').wait_for(timeout=WAIT)

    # Opened as the web widget opens: the flow greets first, no opening line.
    page.locator("#ed-try-open").click()
    log = page.locator("#ed-try-log")
    log.locator(".ed-try-bot", has_text="欢迎咨询").wait_for(timeout=WAIT)
    assert log.locator(".ed-try-opening-line").count() == 0
    assert page.locator('label[for="ed-try-opening"]').inner_text() == "开场消息（IM）"

    # A WeChat user's first message "2" opens the try: the visitor's first line, then the
    # welcome and the menu, which "2" did not answer.
    page.locator("#ed-try-opening").fill("2")
    page.locator("#ed-try-opening-form button").click()
    first = log.locator(".ed-try-line").first
    first.locator(".ed-try-who", has_text="访客（开场消息）").wait_for(timeout=WAIT)
    assert "ed-try-opening-line" in (first.get_attribute("class") or "")
    assert first.locator(".ed-try-text").inner_text() == "2"
    log.locator(".ed-try-bot", has_text="欢迎咨询").wait_for(timeout=WAIT)
    page.locator("#ed-try-status", has_text="当前节点：menu").wait_for(timeout=WAIT)
    assert not page.locator("#ed-try-note").is_visible()

    # The conversation goes on with the opening kept: the menu answered by a click.
    log.locator(".ed-try-option", has_text="售前咨询").click()
    page.locator("#ed-try-status", has_text="to_presales").wait_for(timeout=WAIT)
    assert log.locator(".ed-try-line").first.locator(".ed-try-text").inner_text() == "2"
    page.screenshot(path=str(artifacts / "editor-try-opening.png"))

    # Saved as a test, it starts on the same opening and passes `chatflow test`.
    with page.expect_download() as download:
        page.locator(".ed-try-action", has_text="保存为测试").click()
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    test = loads(saved).data
    assert test["opening"] == "2" and {"choice": "售前咨询"} in test["steps"]
    beside = tmp_path / "flows" / "reception.try.test.yaml"  # the demo's copy of the flows
    beside.write_text(saved, encoding="utf-8")
    # (the command on its own: Playwright's sync API holds this thread's event loop)
    command = [sys.executable, "-m", "chatflow.admin_api.cli", "test", str(beside)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("PASS ")

    # Another opening starts a new try; its markup is shown as text.
    page.locator("#ed-try-opening").fill(HOSTILE)
    page.locator("#ed-try-opening").press("Enter")
    log.locator(".ed-try-opening-line", has_text="onerror").wait_for(timeout=WAIT)
    page.locator("#ed-try-status", has_text="当前节点：menu").wait_for(timeout=WAIT)
    assert log.locator("img").count() == 0 and page.evaluate("window.__xss") is None
    assert log.locator(".ed-try-visitor").count() == 1

    # Emptied, the next start is the widget's again.
    page.locator("#ed-try-opening").fill("  ")
    page.locator(".ed-try-action", has_text="重新开始").click()
    page.wait_for_function(
        "() => !document.querySelector('#ed-try-log .ed-try-opening-line')", timeout=WAIT
    )
    log.locator(".ed-try-bot", has_text="欢迎咨询").wait_for(timeout=WAIT)
    context.close()
