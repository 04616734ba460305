"""The editor's Try panel in headless Chromium, in each of the page's languages: a step the flow
does not accept (the agent ends a service nobody is giving) is said in the page's language,
the words of the server's answer (the page sends its language as Accept-Language)."""

from __future__ import annotations

from typing import Any

import pytest
from staff_kit import WAIT, editor_log_in

SAID = {
    "zh-CN": (
        "客服结束服务",
        "预期：客服结束服务；实际：会话没有接受：机器人正在服务，在节点 menu",
    ),
    "en": (
        "Agent ends",
        "expected the agent to end the service; got the session ignored it: the bot is serving "
        "at node menu",
    ),
}


@pytest.mark.parametrize("lang", sorted(SAID))
def test_a_failed_step_is_said_in_the_pages_language(
    demo_server: str, browser: Any, lang: str
) -> None:
    action, said = SAID[lang]
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    editor_log_in(page, demo_server, "demo_alice", f"?lang={lang}")
    page.locator('.ed-node[data-id="welcome"]').wait_for(timeout=WAIT)

    page.locator("#ed-try-open").click()
    log = page.locator("#ed-try-log")
    log.locator(".ed-try-bot", has_text="欢迎咨询").wait_for(timeout=WAIT)
    page.locator(".ed-try-action", has_text=action).click()
    note = page.locator("#ed-try-note")
    note.wait_for(timeout=WAIT)
    page.wait_for_function(
        "said => document.getElementById('ed-try-note').textContent.includes(said)",
        arg=said,
        timeout=WAIT,
    )
    assert note.inner_text() == said
    # the step that failed is dropped: the conversation goes on from the menu
    log.locator(".ed-try-option", has_text="售前咨询").click()
    page.locator("#ed-try-status", has_text="to_presales").wait_for(timeout=WAIT)
    assert not note.is_visible()
    context.close()
