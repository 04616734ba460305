"""The workbench in headless Chromium, against the demo deployment, on what a QA pass found: a
declined offer leaves the list at once (and a stale one says it went), a visitor has one name
from ringing to served, the log keeps following its end past a visitor's image, an earlier
conversation's image shows as the image, and the side column's tabs and the header show what the
server has now (a new quick reply, a blacklisting, a colleague who left).

Visitors talk over the REST twin of the visitor channel, as any client may.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import httpx
import pytest
from staff_kit import WAIT, Visitor, bearer, token_for, until, workbench_log_in

pytestmark = pytest.mark.slow

SCROLLED_TO_END = (
    "() => { const log = document.querySelector('#wb-log');"
    " return log.scrollHeight - log.scrollTop - log.clientHeight < 2; }"
)


def png(width: int, height: int) -> bytes:
    """A grey PNG of that size (big enough to move the log when it loads)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def send_image(visitor: Visitor, data: bytes) -> None:
    url = f"{visitor.base}/api/v1/sessions/{visitor.session_id}/images"
    sent = httpx.post(
        url, files={"file": ("photo.png", data, "image/png")}, headers=visitor.headers
    )
    assert sent.status_code == 201, sent.text


def as_admin(base: str, method: str, path: str, body: Any = None) -> Any:
    """An admin API call as demo_alice."""
    answer = httpx.request(
        method, f"{base}/api/v1/{path}", json=body, headers=bearer(token_for(base, "demo_alice"))
    )
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def open_workbench(browser: Any, base: str, account: str, clock: bool = False) -> Any:
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    if clock:
        page.clock.install()
    workbench_log_in(page, base, account)
    return page


def set_status(page: Any, status: str) -> None:
    page.locator("#wb-status").select_option(status)
    page.wait_for_function(
        f"() => document.querySelector('#wb-status').value === '{status}'", timeout=WAIT
    )


def take_offer(page: Any, visitor: Visitor) -> None:
    visitor.send(type="choice", value="售前咨询")
    page.locator(".wb-phase-ringing .wb-accept").click(timeout=WAIT)
    page.locator(".wb-phase-active").wait_for(timeout=WAIT)


def test_a_declined_offer_leaves_at_once_and_a_stale_one_says_it_went(
    demo_server: str, browser: Any
) -> None:
    base = demo_server
    alice = open_workbench(browser, base, "demo_alice")
    set_status(alice, "busy")  # so the visitor rings for Bob
    bob = open_workbench(browser, base, "demo_bob")
    other_tab = open_workbench(browser, base, "demo_bob")  # Bob's second login

    Visitor(base, "v-declined").send(type="choice", value="售前咨询")
    bob.locator(".wb-phase-ringing").wait_for(timeout=WAIT)
    other_tab.locator(".wb-phase-ringing").wait_for(timeout=WAIT)
    set_status(alice, "free")

    # Bob declines: the offer leaves his list at once and rings for Alice
    bob.locator(".wb-phase-ringing .wb-decline").click()
    bob.locator(".wb-item").wait_for(state="detached", timeout=WAIT)
    bob.locator("#wb-empty", has_text="暂无会话").wait_for(timeout=WAIT)
    alice.locator(".wb-phase-ringing").wait_for(timeout=WAIT)

    # Bob's other tab heard nothing of it: accepting says the offer went, and it leaves
    other_tab.locator(".wb-phase-ringing .wb-accept").click()
    other_tab.locator(".ui-toast", has_text="一个来电已转给其他客服").wait_for(timeout=WAIT)
    other_tab.locator(".wb-item").wait_for(state="detached", timeout=WAIT)
    assert other_tab.locator(".ui-toast", has_text="不存在").count() == 0

    # Alice accepts it: the conversation exists and is hers
    alice.locator(".wb-phase-ringing .wb-accept").click()
    alice.locator(".wb-phase-active").wait_for(timeout=WAIT)


def test_the_only_free_agent_who_declines_gets_the_visitor_again(
    demo_server: str, browser: Any
) -> None:
    """With nobody else free the declined visitor rings for the decliner again at once: that
    new offer stays on the list, whichever comes first, its frame or the decline's answer."""
    base = demo_server
    bob = open_workbench(browser, base, "demo_bob")
    Visitor(base, "v-again").send(type="choice", value="售前咨询")
    bob.locator(".wb-phase-ringing .wb-decline").click(timeout=WAIT)
    until(
        lambda: bob.locator(".ui-toast", has_text="新访客来电").count() == 2,
        "the second offer toast",
    )
    assert bob.locator(".wb-phase-ringing").count() == 1
    bob.locator(".wb-phase-ringing .wb-accept").click(timeout=WAIT)
    bob.locator(".wb-phase-active").wait_for(timeout=WAIT)


def test_a_visitor_has_one_name_from_ringing_to_served(demo_server: str, browser: Any) -> None:
    base = demo_server
    bob = open_workbench(browser, base, "demo_bob")
    visitor = Visitor(base, "v-name-1234ab")
    visitor.send(type="choice", value="售前咨询")
    ringing = bob.locator(".wb-phase-ringing .wb-item-name")
    ringing.filter(has_text="访客 1234ab").wait_for(timeout=WAIT)
    assert visitor.session_id[-6:] not in ringing.inner_text()
    bob.locator(".wb-phase-ringing .wb-accept").click()
    bob.locator(".wb-phase-active .wb-item-name", has_text="访客 1234ab").wait_for(timeout=WAIT)
    assert bob.locator("#wb-chat-title").inner_text() == "访客 1234ab"
    assert bob.locator("#wb-visitor .wb-v-name").inner_text() == "访客 1234ab"


def test_the_log_follows_its_end_past_a_visitors_image(demo_server: str, browser: Any) -> None:
    base = demo_server
    bob = open_workbench(browser, base, "demo_bob")
    visitor = Visitor(base, "v-image")
    take_offer(bob, visitor)
    for n in range(14):
        visitor.send(type="text", text=f"第 {n} 行")
    bob.locator("#wb-log .wb-from-visitor", has_text="第 13 行").wait_for(timeout=WAIT)
    bob.wait_for_function(SCROLLED_TO_END, timeout=WAIT)

    # the image takes its height only once loaded, after the log scrolled to it
    send_image(visitor, png(240, 240))
    bob.wait_for_function(
        "() => { const img = document.querySelector('#wb-log img.wb-image');"
        " return img && img.complete && img.naturalHeight > 0; }",
        timeout=WAIT,
    )
    visitor.send(type="text", text="看到图了吗")
    bob.locator("#wb-log .wb-from-visitor", has_text="看到图了吗").wait_for(timeout=WAIT)
    bob.wait_for_function(SCROLLED_TO_END, timeout=WAIT)

    # an agent who scrolled up stays where they are
    bob.evaluate("() => { document.querySelector('#wb-log').scrollTop = 0; }")
    bob.wait_for_timeout(100)  # the scroll event
    visitor.send(type="text", text="还在吗")
    bob.locator("#wb-log .wb-from-visitor", has_text="还在吗").wait_for(timeout=WAIT)
    assert bob.evaluate("() => document.querySelector('#wb-log').scrollTop") == 0


def test_an_earlier_conversations_image_shows_as_the_image(demo_server: str, browser: Any) -> None:
    base = demo_server
    earlier = Visitor(base, "v-pictures")
    earlier.send(type="text", text="[图片] https://evil.example/api/v1/images/x.png")
    send_image(earlier, png(40, 30))
    admin = bearer(token_for(base, "demo_alice"))

    def recorded() -> bool:
        found = httpx.get(f"{base}/api/v1/records", params={"visitor": "v-pictures"}, headers=admin)
        return bool(found.json()["total"] == 1)

    until(recorded, "the earlier conversation's record")
    bob = open_workbench(browser, base, "demo_bob")
    take_offer(bob, Visitor(base, "v-pictures"))
    panel = bob.locator("#wb-visitor")
    panel.locator(".wb-v-record-open").click(timeout=WAIT)
    transcript = panel.locator(".wb-v-transcript")
    transcript.wait_for(timeout=WAIT)
    links = transcript.locator("a.wb-v-image-link")
    links.first.wait_for(timeout=WAIT)
    assert links.count() == 1, "only this deployment's own image becomes one"
    href = links.first.get_attribute("href") or ""
    assert href.startswith("/api/v1/images/")
    assert links.first.locator("img.wb-v-image").get_attribute("src") == href
    bob.wait_for_function(
        "() => document.querySelector('.wb-v-image').naturalWidth === 40", timeout=WAIT
    )
    # the look-alike a visitor typed stays text
    typed = transcript.locator(".wb-v-line", has_text="evil.example")
    assert typed.locator("a").count() == 0
    assert "[图片] /api/v1/images/" not in transcript.inner_text()


def test_the_quick_replies_tab_reads_the_replies_when_opened(
    demo_server: str, browser: Any
) -> None:
    base = demo_server
    bob = open_workbench(browser, base, "demo_bob")
    bob.locator("#wb-tab-replies").click()
    bob.locator("#wb-replies", has_text="没有快捷回复").wait_for(timeout=WAIT)
    bob.locator("#wb-tab-visitor").click()
    team = {"scope": "team", "category": "常用语", "title": "营业时间", "content": "9:00-18:00"}
    as_admin(base, "POST", "quick-replies", team)
    bob.locator("#wb-tab-replies").click()
    bob.locator("#wb-replies", has_text="营业时间").wait_for(timeout=WAIT)


def test_the_visitor_tab_reads_the_visitor_when_opened(demo_server: str, browser: Any) -> None:
    """A blacklisting shows when the agent opens the tab; what the agent typed in the details
    and did not save stays."""
    base = demo_server
    bob = open_workbench(browser, base, "demo_bob")
    take_offer(bob, Visitor(base, "v-refresh"))
    panel = bob.locator("#wb-visitor")
    panel.locator(".wb-v-none", has_text="未加入黑名单").wait_for(timeout=WAIT)
    panel.locator(".wb-v-form input[name=name]").fill("还没保存")
    as_admin(base, "PUT", "blacklist/v-refresh", {"reason": "辱骂客服"})
    bob.locator("#wb-tab-replies").click()
    bob.locator("#wb-tab-visitor").click()
    panel.locator(".wb-v-banned", has_text="demo_alice").wait_for(timeout=WAIT)
    assert panel.locator(".wb-v-form input[name=name]").input_value() == "还没保存"


def test_the_header_drops_a_colleague_who_left(demo_server: str, browser: Any) -> None:
    """The agents who stay are told who serves the conversation now (a `serving` frame), so the
    header drops a colleague who left at once, with no re-read on a timer."""
    base = demo_server
    alice = open_workbench(browser, base, "demo_alice")
    set_status(alice, "busy")  # so the visitor rings for Bob
    bob = open_workbench(browser, base, "demo_bob")
    take_offer(bob, Visitor(base, "v-colleagues"))
    set_status(alice, "free")
    bob.locator("#wb-actions .wb-invite").click()
    bob.locator("#wb-panel .wb-pick-agent", has_text="Alice").click(timeout=WAIT)
    meta = bob.locator("#wb-chat-meta")
    meta.filter(has_text="接待客服: Bob, Alice").wait_for(timeout=WAIT)  # names, not accounts
    alice.locator("#wb-actions .wb-leave").click(timeout=WAIT)
    alice.locator(".wb-phase-gone", has_text="您已离开").wait_for(timeout=WAIT)
    until(lambda: "Alice" not in meta.inner_text(), "Alice gone from Bob's header")
    assert bob.locator("#wb-actions .wb-leave").count() == 0, "the last agent may not leave"
