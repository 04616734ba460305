"""A merchant's app beside the conversation (seed 004 来电弹屏) in headless Chromium: a CRM page
on its own loopback server, added by the admin, opens as a tab of demo_bob's workbench, learns
the conversation on screen by postMessage, puts a text in the composer and sends one to the
visitor. A message from a page that is not the app's frame changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from server_kit import html_site
from staff_kit import WAIT, Visitor, token_for, watch_problems, workbench_log_in

pytestmark = pytest.mark.slow

CRM_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>CRM</title></head>
<body>
<p id="who">nothing yet</p>
<p id="result"></p>
<button id="ask" onclick="tell('getConversation')">ask</button>
<button id="insert" onclick="tell('insertText', '会员等级：金卡')">insert</button>
<button id="send" onclick="tell('sendText', '您的订单 A-1029 已发货')">send</button>
<button id="elsewhere" onclick="tell('sendText', '发错了', 'another-session')">elsewhere</button>
<script>
  let current = null;
  function tell(event, text, sessionId) {
    const message = { source: 'chatflow-app', event, text };
    message.session_id = sessionId || (current && current.session_id);
    window.parent.postMessage(message, '*');
  }
  window.addEventListener('message', (e) => {
    if (!e.data || e.data.source !== 'chatflow') return;
    if (e.data.event === 'conversation') {
      current = e.data.conversation;
      document.getElementById('who').textContent = JSON.stringify(current);
    }
    if (e.data.event === 'result') {
      document.getElementById('result').textContent = JSON.stringify(e.data);
    }
  });
</script>
</body></html>
"""


@pytest.fixture
def crm() -> Iterator[str]:
    """The CRM page, on a server of its own on loopback."""
    with html_site(lambda _path: CRM_PAGE) as base:
        yield f"{base}/crm"


def test_an_app_beside_the_conversation_learns_it_and_writes_to_it(
    demo_server: str, browser: Any, crm: str
) -> None:
    base = demo_server
    admin = {"Authorization": f"Bearer {token_for(base, 'demo_alice')}"}
    made = httpx.post(
        f"{base}/api/v1/admin/workbench-apps", json={"name": "CRM", "url": crm}, headers=admin
    )
    assert made.status_code == 201, made.text
    app_id = made.json()["id"]

    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    problems = watch_problems(page)
    workbench_log_in(page, base, "demo_bob")
    visitor = Visitor(base, "v-crm", name="王小明")
    visitor.send(type="choice", value="售前咨询")
    page.locator(".wb-phase-ringing .wb-accept").click(timeout=WAIT)
    page.locator(".wb-phase-active").wait_for(timeout=WAIT)
    page.locator(".wb-item-name", has_text="王小明").wait_for(timeout=WAIT)  # the sync is in

    # the app's tab opens its page, which hears of the conversation on screen
    page.locator(f"#wb-tab-app-{app_id}", has_text="CRM").click()
    app = page.frame_locator(f"#wb-app-{app_id} iframe")

    def told_of(text: str) -> None:
        """Waits till the CRM page shows the conversation the workbench told it of."""
        expect(app.locator("#who")).to_contain_text(text, timeout=WAIT)

    who = app.locator("#who")
    told_of("v-crm")
    told = who.inner_text()
    assert '"phase":"active"' in told and '"name":"王小明"' in told
    assert '"account":"demo_bob"' in told

    # it puts a line in the composer for Bob to read, and sends one to the visitor
    app.locator("#insert").click()
    page.wait_for_function(
        "() => document.querySelector('#wb-input').value === '会员等级：金卡'", timeout=WAIT
    )
    app.locator("#send").click()
    page.locator("#wb-log .wb-from-agent", has_text="A-1029 已发货").wait_for(timeout=WAIT)
    app.locator("#result", has_text='"ok":true').wait_for(timeout=WAIT)
    # a text meant for another conversation is refused, and says why
    app.locator("#elsewhere").click()
    app.locator("#result", has_text="not_current").wait_for(timeout=WAIT)
    assert page.locator("#wb-log .wb-from-agent", has_text="发错了").count() == 0

    # a page that is not the app's frame cannot write: the workbench ignores it (the app's
    # next message, handled after it, shows it changed nothing)
    page.evaluate(
        "() => window.postMessage({source: 'chatflow-app', event: 'insertText', text: 'x'}, '*')"
    )
    app.locator("#insert").click()
    page.wait_for_function(
        "() => document.querySelector('#wb-input').value === '会员等级：金卡 会员等级：金卡'",
        timeout=WAIT,
    )

    # after a reload the app's tab is the one open again
    page.reload()
    told_of("v-crm")
    page.locator(f"#wb-app-{app_id}").wait_for(timeout=WAIT)  # its pane, shown
    assert problems == []
