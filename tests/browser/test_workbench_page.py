"""The agent workbench in headless Chromium, against the demo deployment, with a visitor on the
demo chat page in a second browser context: log in, take the offer, read and answer, use a quick
reply with '#', reload mid-conversation without losing or doubling a line, end the chat.

The browser and the demo server are conftest.py's.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest

WAIT = 15_000
HOSTILE = "<img src=x onerror=window.__pwned=1><b>粗体</b>"

pytestmark = pytest.mark.slow


def add_quick_reply(server: str, title: str, content: str) -> None:
    """A personal quick reply of demo_bob's, through the API as any client would."""
    with httpx.Client(base_url=server) as client:
        login = client.post(
            "/api/v1/auth/login", json={"account": "demo_bob", "password": "Demo-pass1"}
        )
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        body = {"scope": "personal", "category": "常用语", "title": title, "content": content}
        created = client.post("/api/v1/quick-replies", json=body, headers=headers)
        assert created.status_code == 201, created.text


def watch_csp(page: Any) -> list[str]:
    refused: list[str] = []
    page.on(
        "console",
        lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return refused


def log_in(page: Any, server: str, account: str = "demo_bob") -> None:
    page.goto(f"{server}/workbench?lang=zh-CN")
    page.locator("#wb-account").fill(account)
    page.locator("#wb-password").fill("Demo-pass1")
    page.locator("#wb-login-button").click()


def workbench_lines(page: Any) -> list[str]:
    rows = page.locator("#wb-log .wb-line")
    out = []
    for i in range(rows.count()):
        row = rows.nth(i)
        kind = [c for c in (row.get_attribute("class") or "").split() if c.startswith("wb-from-")]
        out.append(kind[0] + ": " + row.locator(".wb-bubble").inner_text().strip())
    return out


def test_an_agent_serves_a_visitor_from_offer_to_end(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    server = demo_server
    add_quick_reply(server, "退款时效", "退款将在 3 个工作日内原路退回")
    agent = browser.new_page(viewport={"width": 1280, "height": 800})
    refused = watch_csp(agent)
    log_in(agent, server)
    agent.locator("#wb-me", has_text="Bob (1002)").wait_for(timeout=WAIT)
    agent.wait_for_function(
        "() => document.querySelector('#wb-status').value === 'free'", timeout=WAIT
    )
    agent.locator("#wb-tab-replies").click()  # the side column opens on the visitor's details
    agent.locator("#wb-replies", has_text="退款时效").wait_for(timeout=WAIT)

    visitor = browser.new_context().new_page()
    visitor.goto(f"{server}/chat/demo-web")
    visitor.locator(".cf-options button", has_text="售前咨询").first.click(timeout=WAIT)

    offer = agent.locator(".wb-phase-ringing")
    offer.wait_for(timeout=WAIT)
    assert "售前咨询" in offer.inner_text(), "a plain agent sees the group's name"
    assert agent.title().startswith("(1)"), "a ringing offer shows in the tab title"
    offer.locator(".wb-accept").click()
    agent.locator(".wb-phase-active").wait_for(timeout=WAIT)
    agent.locator("#wb-log .wb-from-visitor", has_text="售前咨询").wait_for(timeout=WAIT)
    visitor.locator(".cf-log", has_text="Bob").wait_for(timeout=WAIT)  # agent_joined

    # the visitor writes markup: it arrives as text and nothing runs
    visitor.locator("#cf-input").fill(HOSTILE)
    visitor.keyboard.press("Enter")
    agent.locator("#wb-log .wb-from-visitor", has_text="粗体").wait_for(timeout=WAIT)
    assert agent.locator("#wb-log .wb-from-visitor .wb-bubble").last.inner_text() == HOSTILE
    assert agent.locator("#wb-log img").count() == 0
    assert agent.evaluate("() => window.__pwned") is None

    # answer with Enter; the visitor's page shows it
    agent.locator("#wb-input").fill("您好，我是 Bob，请问想了解哪款产品？")
    agent.locator("#wb-input").press("Enter")
    visitor.locator(".cf-from-agent", has_text="请问想了解哪款产品").wait_for(timeout=WAIT)
    agent.locator("#wb-log .wb-from-agent", has_text="请问想了解哪款产品").wait_for(timeout=WAIT)
    assert agent.locator("#wb-input").input_value() == ""

    # '#' finds a quick reply; Enter puts its content in the composer, a second Enter sends
    agent.locator("#wb-input").press_sequentially("#退款")
    agent.locator("#wb-suggest li", has_text="退款时效").wait_for(timeout=WAIT)
    agent.locator("#wb-input").press("Enter")
    assert agent.locator("#wb-input").input_value() == "退款将在 3 个工作日内原路退回"
    agent.locator("#wb-input").press("Enter")
    visitor.locator(".cf-from-agent", has_text="原路退回").wait_for(timeout=WAIT)

    # a reload rebuilds the screen from the websocket alone: nothing lost, nothing doubled
    agent.locator("#wb-log .wb-from-agent", has_text="原路退回").wait_for(timeout=WAIT)
    before = workbench_lines(agent)
    agent.reload()
    agent.locator("#wb-log .wb-from-agent", has_text="原路退回").wait_for(timeout=WAIT)
    agent.wait_for_function(
        f"() => document.querySelectorAll('#wb-log .wb-line').length >= {len(before)}",
        timeout=WAIT,
    )
    after = workbench_lines(agent)
    assert after == before
    assert after.count("wb-from-visitor: " + HOSTILE) == 1
    agent.screenshot(path=str(artifacts / "workbench-serving.png"), full_page=True)

    # a second visitor: Bob's unsent draft stays with the first conversation, and the second
    # one's new line shows as unread while he is in the first
    second = browser.new_context().new_page()
    second.goto(f"{server}/chat/demo-web")
    second.locator(".cf-options button", has_text="售前咨询").first.click(timeout=WAIT)
    agent.locator("#wb-input").fill("草稿：还没发")
    agent.locator(".wb-phase-ringing .wb-accept").click(timeout=WAIT)
    agent.locator(".wb-phase-active").nth(1).wait_for(timeout=WAIT)
    # accepting opens the new conversation, with its own (empty) draft
    agent.locator(".wb-item.is-selected:not(:has-text('原路退回'))").wait_for(timeout=WAIT)
    assert agent.locator("#wb-input").input_value() == ""
    first = agent.locator(".wb-phase-active", has_text="原路退回")
    first.locator(".wb-item-open").click()
    assert agent.locator("#wb-input").input_value() == "草稿：还没发"
    second.locator("#cf-input").fill("还在吗")
    second.keyboard.press("Enter")
    other = agent.locator(".wb-phase-active", has_text="还在吗")
    other.wait_for(timeout=WAIT)
    assert other.locator(".wb-badge").inner_text() == "1"
    agent.locator("#wb-input").fill("")

    # pin the first conversation: it rises above the newer one, on its own background
    agent.locator("#wb-actions .wb-pinned").click()
    agent.locator(".wb-item.is-pinned", has_text="原路退回").wait_for(timeout=WAIT)
    assert "原路退回" in agent.locator(".wb-item").first.inner_text()
    assert agent.locator("#wb-actions .wb-pinned").get_attribute("aria-pressed") == "true"
    # mute the second: its new lines show as a dot, and the tab title does not count them
    other.locator(".wb-item-open").click()
    agent.locator("#wb-actions .wb-muted").click()
    agent.locator(".wb-item.is-muted .wb-mark-muted").wait_for(timeout=WAIT)
    first.locator(".wb-item-open").click()
    second.locator("#cf-input").fill("有人吗")
    second.keyboard.press("Enter")
    other = agent.locator(".wb-phase-active", has_text="有人吗")
    other.locator(".wb-badge-dot").wait_for(timeout=WAIT)
    assert other.locator(".wb-badge-dot").inner_text() == ""
    assert not agent.title().startswith("("), agent.title()
    # both marks are kept on the server for the account: a reload keeps them
    agent.reload()
    agent.locator(".wb-item.is-pinned", has_text="原路退回").wait_for(timeout=WAIT)
    agent.locator(".wb-item.is-muted", has_text="有人吗").wait_for(timeout=WAIT)
    assert "原路退回" in agent.locator(".wb-item").first.inner_text()
    agent.screenshot(path=str(artifacts / "workbench-pinned-muted.png"), full_page=True)
    first.locator(".wb-item-open").click()

    # end the chat: confirm, then the visitor gets the survey and the list says who ended it
    agent.locator("#wb-actions .wb-end").click()
    agent.locator("#wb-panel .wb-confirm-yes").click()
    agent.locator(".wb-phase-ended").wait_for(timeout=WAIT)
    assert "客服结束" in agent.locator(".wb-phase-ended").inner_text()
    visitor.locator(".cf-survey, .cf-from-bot", has_text="评价").first.wait_for(timeout=WAIT)
    assert agent.locator("#wb-input").is_disabled()
    agent.locator("#wb-actions .wb-dismiss").click()
    agent.locator(".wb-phase-ended").wait_for(state="detached", timeout=WAIT)
    agent.locator(".wb-item.is-selected", has_text="有人吗").wait_for(timeout=WAIT)
    assert agent.locator(".wb-item").count() == 1
    assert not refused, refused


def test_wrong_password_is_told_plainly_and_english_works(demo_server: str, browser: Any) -> None:
    server = demo_server
    page = browser.new_page(viewport={"width": 390, "height": 780})  # a phone
    page.goto(f"{server}/workbench?lang=en")
    page.locator("#wb-account").fill("demo_bob")
    page.locator("#wb-password").fill("not-the-password")
    page.locator("#wb-login-button").click()
    error = page.locator("#wb-login-error")
    error.wait_for(timeout=WAIT)
    assert error.inner_text() == "Wrong account or password"
    assert page.locator("#wb-app").is_hidden()
    page.locator("#wb-password").fill("Demo-pass1")
    page.locator("#wb-login-button").click()
    page.locator("#wb-empty", has_text="No conversations").wait_for(timeout=WAIT)
    page.locator("#wb-status option:checked", has_text="Free").wait_for(
        state="attached", timeout=WAIT
    )

    # a token that dies (logout elsewhere) sends the page back to the login form
    token = page.evaluate("() => sessionStorage.getItem('chatflow.staff.token')")
    httpx.post(f"{server}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    page.locator("#wb-login-error", has_text="expired").wait_for(timeout=WAIT)
    assert page.locator("#wb-login").is_visible()


# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def status_is(page: Any, status: str) -> None:
    page.wait_for_function(
        f"() => document.querySelector('#wb-status').value === '{status}'", timeout=WAIT
    )


def test_two_agents_invite_leave_send_an_image_and_transfer(
    demo_server: str, browser: Any, artifacts: Path, tmp_path: Path
) -> None:
    server = demo_server
    alice = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    bob = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(alice, server, "demo_alice")
    status_is(alice, "free")
    alice.locator("#wb-status").select_option("busy")  # so the visitor rings for Bob
    status_is(alice, "busy")
    log_in(bob, server, "demo_bob")
    status_is(bob, "free")

    visitor = browser.new_context().new_page()
    visitor.goto(f"{server}/chat/demo-web")
    visitor.locator(".cf-options button", has_text="售前咨询").first.click(timeout=WAIT)
    bob.locator(".wb-phase-ringing .wb-accept").click(timeout=WAIT)
    bob.locator(".wb-phase-active").wait_for(timeout=WAIT)
    assert alice.locator(".wb-item").count() == 0

    # Bob invites Alice, who is free again; she gets the conversation with its transcript
    alice.locator("#wb-status").select_option("free")
    status_is(alice, "free")
    bob.locator("#wb-actions .wb-invite").click()
    bob.locator("#wb-panel .wb-pick-agent", has_text="Alice").click(timeout=WAIT)
    alice.locator(".wb-phase-active").wait_for(timeout=WAIT)
    alice.locator("#wb-log .wb-from-visitor", has_text="售前咨询").wait_for(timeout=WAIT)

    # Bob writes: Alice's screen names him, his own says 我 (me)
    bob.locator("#wb-input").fill("我是 Bob，一起为您服务")
    bob.locator("#wb-input").press("Enter")
    by_bob = "#wb-log .wb-from-agent:has-text('一起为您服务') .wb-line-meta"
    alice.locator(by_bob).wait_for(timeout=WAIT)
    assert alice.locator(by_bob).inner_text().startswith("Bob ")
    bob.locator(by_bob).wait_for(timeout=WAIT)
    assert bob.locator(by_bob).inner_text().startswith("我 ")
    # and on Alice's screen his line sits on the other side, in a colleague's colour
    bobs_line = "#wb-log .wb-from-agent:has-text('一起为您服务')"
    assert "wb-from-colleague" in (alice.locator(bobs_line).get_attribute("class") or "")
    assert "wb-from-colleague" not in (bob.locator(bobs_line).get_attribute("class") or "")

    # with a colleague in it, Bob may leave
    bob.locator("#wb-actions .wb-leave").click(timeout=WAIT)
    bob.locator(".wb-phase-gone", has_text="您已离开").wait_for(timeout=WAIT)
    assert bob.locator("#wb-input").is_disabled()

    # Alice sends an image: the visitor sees it, and so does she
    picture = tmp_path / "photo.png"
    picture.write_bytes(PNG)
    alice.locator("#wb-file").set_input_files(str(picture))
    alice.locator("#wb-log .wb-from-agent img.wb-image").wait_for(timeout=WAIT)
    visitor.locator(".cf-from-agent img").wait_for(timeout=WAIT)
    # a file that is not an image is refused in the page, before any upload
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello", "utf-8")
    alice.locator("#wb-file").set_input_files(str(text_file))
    alice.locator(".ui-toast-error", has_text="notes.txt").wait_for(timeout=WAIT)

    # Alice hands the visitor to the after-sales queue and goes busy; Bob, free and in that
    # group, gets the offer with the whole transcript
    alice.locator("#wb-status").select_option("busy")
    status_is(alice, "busy")
    alice.locator("#wb-actions .wb-transfer").click()
    alice.locator("#wb-panel .wb-pick-group", has_text="售后服务").click(timeout=WAIT)
    alice.locator(".wb-phase-gone", has_text="售后服务").wait_for(timeout=WAIT)
    ringing = bob.locator(".wb-phase-ringing")
    ringing.wait_for(timeout=WAIT)
    assert "售后服务" in ringing.inner_text()
    ringing.locator(".wb-accept").click()
    bob.locator("#wb-log img.wb-image").wait_for(timeout=WAIT)
    by_alice = bob.locator("#wb-log .wb-from-agent:has(img.wb-image) .wb-line-meta")
    assert by_alice.inner_text().startswith("Alice ")  # her image, in the transcript he got
    bob.screenshot(path=str(artifacts / "workbench-after-transfer.png"), full_page=True)
