"""Pins and mutes live on the server, per agent account (docs/workbench.md, "Pin and mute"), in
headless Chromium against the demo: a pin made in one browser shows in a fresh second one, a
mute made there shows in the first after a reload, the marks a browser kept before move to the
server once, and a change the server refuses is undone on screen with the usual error.

The browser and the demo server are conftest.py's; a visitor talks over the REST channel.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from staff_kit import (
    WAIT,
    Visitor,
    bearer,
    token_for,
    until,
    watch_problems,
    workbench_log_in,
)

pytestmark = pytest.mark.slow

MARKS = "/api/v1/agents/me/marks"
STORED = "chatflow.workbench.marks.demo_bob"


def marks_of(base: str, token: str) -> dict[str, tuple[bool, bool]]:
    answer = httpx.get(f"{base}{MARKS}", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return {m["session_id"]: (m["pinned"], m["muted"]) for m in answer.json()}


def accept_next(page: Any) -> None:
    """Accept the offer ringing on `page`, and wait till the conversation is served."""
    served = page.locator(".wb-phase-active").count()
    page.locator(".wb-phase-ringing .wb-accept").click(timeout=WAIT)
    page.locator(".wb-phase-active").nth(served).wait_for(timeout=WAIT)


def item(page: Any, tail: str, classes: str = "") -> Any:
    """The list item of the visitor whose id ends with `tail` (the list shows the end of the
    id), with these `classes` (`.is-pinned`...)."""
    return page.locator(f".wb-item{classes}", has_text=tail)


def test_marks_follow_the_agent_from_browser_to_browser(demo_server: str, browser: Any) -> None:
    base = demo_server
    bob = token_for(base, "demo_bob")
    first = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    problems = watch_problems(first)
    workbench_log_in(first, base, "demo_bob")
    one = Visitor(base, "v-marks-one-0001", source_ip="127.0.0.11")
    one.send(type="choice", value="售前咨询")
    accept_next(first)

    # pinned in the first browser: the server has it, and a fresh browser shows it
    first.locator("#wb-actions .wb-pinned").click()
    item(first, "0001", ".is-pinned").wait_for(timeout=WAIT)
    until(lambda: marks_of(base, bob).get(one.session_id) == (True, False), "the pin stored")
    second = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    workbench_log_in(second, base, "demo_bob")
    item(second, "0001", ".is-pinned").wait_for(timeout=WAIT)

    # muted in the second: the first shows it once it reads the marks again (a reload)
    item(second, "0001").locator(".wb-item-open").click()
    second.locator("#wb-actions .wb-muted").click()
    item(second, "0001", ".is-muted").wait_for(timeout=WAIT)
    until(lambda: marks_of(base, bob).get(one.session_id) == (True, True), "the mute stored")
    first.reload()
    item(first, "0001", ".is-pinned.is-muted").wait_for(timeout=WAIT)

    # a browser that kept marks itself (before the server did) sends those the server lacks,
    # once, and forgets its copy; the server's own marks win
    two = Visitor(base, "v-marks-two-0002", source_ip="127.0.0.12")
    two.send(type="choice", value="售前咨询")
    accept_next(first)
    third = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    third.goto(f"{base}/workbench?lang=zh-CN")
    kept = {
        two.session_id: {"pinned": True, "muted": False},
        one.session_id: {"pinned": False, "muted": True},  # the server has (True, True)
    }
    third.evaluate("([key, value]) => localStorage.setItem(key, value)", [STORED, json.dumps(kept)])
    workbench_log_in(third, base, "demo_bob")
    item(third, "0002", ".is-pinned").wait_for(timeout=WAIT)
    third.wait_for_function(f"() => localStorage.getItem('{STORED}') === null", timeout=WAIT)
    assert marks_of(base, bob) == {one.session_id: (True, True), two.session_id: (True, False)}
    item(third, "0001", ".is-pinned.is-muted").wait_for(timeout=WAIT)
    third.context.close()

    # the admin closes and deletes the second conversation: the server refuses to mute what
    # is no more, and the first browser puts the button back and says why
    alice = bearer(token_for(base, "demo_alice"))
    ids = {"session_ids": [two.session_id]}
    closed = httpx.post(f"{base}/api/v1/records/batch/close", json=ids, headers=alice)
    assert closed.status_code == 200 and not closed.json()["failed"], closed.text
    item(first, "0002", ".wb-phase-ended").wait_for(timeout=WAIT)

    def deleted() -> bool:
        answer = httpx.post(f"{base}/api/v1/records/batch/delete", json=ids, headers=alice)
        return answer.status_code == 200 and not answer.json()["failed"]

    until(deleted, "the record deleted")
    item(first, "0002").locator(".wb-item-open").click()
    first.locator("#wb-actions .wb-muted").click()
    first.locator(".ui-toast-error", has_text="不存在").wait_for(timeout=WAIT)
    first.locator("#wb-actions .wb-muted[aria-pressed='false']").wait_for(timeout=WAIT)
    assert item(first, "0002").locator(".wb-mark-muted").count() == 0
    assert two.session_id not in marks_of(base, bob), "the deletion took its marks along"

    # closing the finished conversation forgets its marks on the server
    first.locator("#wb-actions .wb-dismiss").click()
    item(first, "0002").wait_for(state="detached", timeout=WAIT)
    until(lambda: two.session_id not in marks_of(base, bob), "the marks forgotten")
    assert marks_of(base, bob) == {one.session_id: (True, True)}
    assert not problems, problems
