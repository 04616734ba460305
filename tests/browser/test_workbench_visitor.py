"""The workbench's visitor panel and conversation search in headless Chromium, against the demo
deployment: an agent serving a visitor reads the visitor's earlier conversation and searches it,
writes the visitor's details and tags, blacklists (with the right to), and loses the right to
write once the service ends. Desktop notifications pop up while the workbench is out of sight.

Visitors talk over the REST twin of the visitor channel, as any client may.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from staff_kit import WAIT, Visitor, token_for, until, watch_problems, workbench_log_in

pytestmark = pytest.mark.slow

HOSTILE = "<img src=x onerror=window.__pwned=1>"


def admin_call(base: str, method: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token_for(base, 'demo_alice')}"}
    answer = httpx.request(method, f"{base}/api/v1/{path}", json=body, headers=headers)
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def log_in(browser: Any, base: str, account: str, init_script: str = "", **context: Any) -> Any:
    page = browser.new_context(viewport={"width": 1440, "height": 900}, **context).new_page()
    if init_script:
        page.add_init_script(init_script)
    workbench_log_in(page, base, account)
    return page


def take_offer(page: Any, visitor: Visitor) -> None:
    visitor.send(type="choice", value="售前咨询")
    page.locator(".wb-phase-ringing .wb-accept").click(timeout=WAIT)
    page.locator(".wb-phase-active").wait_for(timeout=WAIT)


def test_the_visitor_panel_reads_and_writes_the_visitor_served(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    base = demo_server
    groups = {
        "level": admin_call(
            base,
            "POST",
            "tag-groups",
            {"name": "客户等级", "multi": False, "tags": ["VIP", "普通"]},
        ),
        "interest": admin_call(
            base, "POST", "tag-groups", {"name": "兴趣", "multi": True, "tags": ["打印机", "耗材"]}
        ),
    }
    tag_id = {tag["name"]: tag["id"] for g in groups.values() for tag in g["tags"]}

    # an earlier conversation of the visitor, with the bot only, and another visitor's
    earlier = Visitor(base, "v-wang")
    earlier.send(type="text", text="上次问过墨盒的价格")
    Visitor(base, "v-other").send(type="text", text="别人的墨盒问题")

    alice = log_in(browser, base, "demo_alice")
    problems = watch_problems(alice)
    take_offer(alice, Visitor(base, "v-wang"))
    panel = alice.locator("#wb-visitor")
    panel.locator(".wb-v-name", has_text="访客").wait_for(timeout=WAIT)
    assert "v-wang" in panel.locator(".wb-v-meta").inner_text()

    # the earlier conversation, not this one nor the other visitor's, with its transcript
    records = panel.locator(".wb-v-record")
    records.first.wait_for(timeout=WAIT)
    assert records.count() == 1
    assert "机器人接待" in records.first.inner_text()
    records.first.locator(".wb-v-record-open").click()
    panel.locator(".wb-v-transcript", has_text="上次问过墨盒的价格").wait_for(timeout=WAIT)
    panel.locator(".wb-v-search").fill("没有这句话")
    panel.locator(".wb-v-conversations", has_text="没有包含这段文字的会话").wait_for(timeout=WAIT)
    panel.locator(".wb-v-search").fill("墨盒")
    panel.locator(".wb-v-record").first.locator(".wb-v-record-open").click(timeout=WAIT)
    panel.locator(".wb-v-line.is-hit", has_text="墨盒").wait_for(timeout=WAIT)
    assert panel.locator(".wb-v-record").count() == 1

    # details: a wrong email is refused under its name and nothing is stored
    form = panel.locator(".wb-v-form")
    form.locator("input[name=name]").fill("王小明")
    form.locator("input[name=email]").fill("not an email")
    form.locator(".wb-v-save").click()
    form.locator(".wb-v-error", has_text="邮箱").wait_for(timeout=WAIT)
    assert admin_call(base, "GET", "visitors/v-wang")["name"] is None
    form.locator("input[name=email]").fill("wang@example.com")
    form.locator("textarea[name=note]").fill(HOSTILE)
    form.locator(".wb-v-save").click()
    alice.locator(".ui-toast", has_text="访客资料已保存").wait_for(timeout=WAIT)
    stored = admin_call(base, "GET", "visitors/v-wang")
    assert (stored["name"], stored["email"], stored["note"]) == (
        "王小明",
        "wang@example.com",
        HOSTILE,
    )
    # the new name shows in the list, the title and the panel; markup stays text
    alice.locator(".wb-item.is-selected .wb-item-name", has_text="王小明").wait_for(timeout=WAIT)
    assert alice.locator("#wb-chat-title").inner_text() == "王小明"
    assert alice.evaluate("() => window.__pwned") is None

    # tags: one of the single-choice group, several of the other
    panel.locator(".wb-v-edit-tags").click()
    level = panel.locator("fieldset", has_text="客户等级")
    level.locator("label", has_text="VIP").locator("input").check()
    interest = panel.locator("fieldset", has_text="兴趣")
    interest.locator("label", has_text="打印机").locator("input").check()
    interest.locator("label", has_text="耗材").locator("input").check()
    panel.locator(".wb-v-save-tags").click()
    panel.locator(".wb-v-chip", has_text="耗材").wait_for(timeout=WAIT)
    held = admin_call(base, "GET", "visitors/v-wang")["tag_ids"]
    assert sorted(held) == sorted([tag_id["VIP"], tag_id["打印机"], tag_id["耗材"]])

    # the conversation list finds the visitor by name and by a line's text
    search = alice.locator("#wb-list-search")
    search.fill("王小")
    assert alice.locator(".wb-item").count() == 1
    search.fill("不在任何消息里")
    alice.locator("#wb-empty", has_text="没有匹配的会话").wait_for(timeout=WAIT)
    assert alice.locator(".wb-item").count() == 0
    search.fill("售前")
    assert alice.locator(".wb-item").count() == 1
    search.fill("")

    # an admin blacklists the visitor from the panel: new conversations are refused
    panel.locator(".wb-v-ban").click()
    panel.locator(".wb-v-ban-form input[name=reason]").fill("骚扰客服")
    panel.locator(".wb-v-ban-yes").click()
    panel.locator(".wb-v-banned", has_text="demo_alice").wait_for(timeout=WAIT)
    refused = httpx.post(f"{base}/api/v1/sites/demo-web/sessions", json={"visitor_id": "v-wang"})
    assert refused.status_code == 403 and "blacklisted" in refused.json()["type"]
    alice.screenshot(path=str(artifacts / "workbench-visitor-panel.png"), full_page=True)
    panel.locator(".wb-v-unban").click()
    panel.locator(".wb-v-none", has_text="未加入黑名单").wait_for(timeout=WAIT)
    assert (
        httpx.get(
            f"{base}/api/v1/blacklist",
            headers={"Authorization": f"Bearer {token_for(base, 'demo_alice')}"},
        ).json()["total"]
        == 0
    )
    assert problems == []
    alice.locator("#wb-logout").click()
    alice.locator("#wb-login").wait_for(timeout=WAIT)

    # a plain agent writes the details of the visitor it serves, may not blacklist, and keeps
    # only the reading once the service ended
    bob = log_in(browser, base, "demo_bob")
    take_offer(bob, Visitor(base, "v-li"))
    panel = bob.locator("#wb-visitor")
    form = panel.locator(".wb-v-form")
    form.locator("input[name=phone]").fill("13800000000", timeout=WAIT)
    form.locator(".wb-v-save").click()
    bob.locator(".ui-toast", has_text="访客资料已保存").wait_for(timeout=WAIT)
    assert admin_call(base, "GET", "visitors/v-li")["phone"] == "13800000000"
    assert panel.locator(".wb-v-ban").count() == 0
    assert panel.locator(".wb-v-none", has_text="未加入黑名单").count() == 1
    bob.locator(".wb-end").click()
    bob.locator(".wb-confirm-yes").click()
    panel.locator(".wb-v-hint", has_text="您只能查看").wait_for(timeout=WAIT)
    assert form.locator("input[name=phone]").get_attribute("readonly") is not None
    assert panel.locator(".wb-v-save").count() == 0


def test_the_visitor_history_pages_on_with_show_more(demo_server: str, browser: Any) -> None:
    """More earlier conversations than one page (20): "Show more" adds the next page below,
    without repeating one, until all are shown."""
    base = demo_server
    earlier = 23
    # the demo allows 20 new sessions a minute per client IP: start them from two addresses
    for n in range(earlier):
        Visitor(base, "v-many", source_ip=f"127.0.0.{21 + n // 12}")
    admin = {"Authorization": f"Bearer {token_for(base, 'demo_alice')}"}

    def recorded() -> bool:
        wanted = {"visitor": "v-many"}
        found = httpx.get(f"{base}/api/v1/records", params=wanted, headers=admin)
        return bool(found.json()["total"] == earlier)

    until(recorded, "the earlier conversations' records")
    bob = log_in(browser, base, "demo_bob")
    take_offer(bob, Visitor(base, "v-many", source_ip="127.0.0.23"))
    panel = bob.locator("#wb-visitor")
    records = panel.locator(".wb-v-record")
    more = panel.locator(".wb-v-more")
    more.wait_for(timeout=WAIT)
    # where this visit came from: the address it started from, on the demo site
    assert panel.locator(".ui-fact-ip").inner_text() == "127.0.0.23"
    assert panel.locator(".ui-fact-channel").inner_text() == "演示网站"
    assert records.count() == 20
    assert "共 23 个" in more.inner_text()
    more.locator(".wb-v-more-button").click()
    panel.locator(".wb-v-more").wait_for(state="detached", timeout=WAIT)
    assert records.count() == earlier
    ids = records.evaluate_all("(items) => items.map((item) => item.dataset.session)")
    assert len(set(ids)) == earlier, "no conversation is shown twice"


def test_a_visitor_waiting_for_an_answer_is_told_and_then_warned(
    demo_server: str, browser: Any
) -> None:
    """Seed 003: the list says how long a visitor has waited for an answer, in rising tones,
    and an agent's answer ends it. The page's clock is Playwright's, moved on by hand."""
    base = demo_server
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    page.clock.install()
    workbench_log_in(page, base, "demo_bob")
    visitor = Visitor(base, "v-waiting")
    take_offer(page, visitor)
    visitor.send(type="text", text="有人吗？")
    page.locator("#wb-log .wb-from-visitor", has_text="有人吗").wait_for(timeout=WAIT)
    item = page.locator(".wb-item", has_text="有人吗")
    assert item.locator(".wb-wait").count() == 0, "under a minute says nothing"
    page.clock.fast_forward("02:00")
    item.locator(".wb-wait-1", has_text="等待回复 2 分钟").wait_for(timeout=WAIT)
    page.clock.fast_forward("04:00")
    item.locator(".wb-wait-2", has_text="等待回复 6 分钟").wait_for(timeout=WAIT)
    page.locator("#wb-input").fill("在的，请问有什么可以帮您？")
    page.locator("#wb-input").press("Enter")
    page.locator("#wb-log .wb-from-agent", has_text="在的").wait_for(timeout=WAIT)
    page.locator(".wb-item .wb-wait").wait_for(state="detached", timeout=WAIT)


def test_desktop_notifications_pop_up_while_the_workbench_is_out_of_sight(
    demo_server: str, browser: Any
) -> None:
    base = demo_server
    # Record what the page hands the browser's Notification (a headless one shows nothing).
    spy = """
      const Real = window.Notification;
      window.__notes = [];
      window.Notification = class extends Real {
        constructor(title, options) {
          super(title, options);
          window.__notes.push({ title, body: options.body, tag: options.tag });
        }
        static get permission() { return Real.permission; }
        static requestPermission() { return Real.requestPermission(); }
      };
    """
    agent = log_in(browser, base, "demo_bob", spy, permissions=["notifications"])
    # the browser allows them for this site already: on until the agent turns them off
    button = agent.locator("#wb-notify")
    assert button.inner_text() == "桌面通知：开"
    button.click()
    until(lambda: button.inner_text() == "桌面通知：关", "the notifications turned off")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    until(lambda: button.inner_text() == "桌面通知：开", "the notifications turned on")

    notes = lambda: agent.evaluate("() => window.__notes")  # noqa: E731
    visitor = Visitor(base, "v-notify")
    visitor.send(type="choice", value="售前咨询")
    agent.locator(".wb-phase-ringing").wait_for(timeout=WAIT)
    assert notes() == [], "nothing pops up while the agent looks at the workbench"
    agent.locator(".wb-phase-ringing .wb-accept").click()
    agent.locator(".wb-phase-active").wait_for(timeout=WAIT)

    # out of sight: the page is in a background tab or window
    agent.evaluate("() => { document.hasFocus = () => false; }")
    visitor.send(type="text", text="请问\n打印机什么时候发货？")
    found = until(notes, "a notification of the visitor's line")
    assert found[-1]["title"].endswith("发来新消息")
    assert found[-1]["body"] == "请问 打印机什么时候发货？"
    assert found[-1]["tag"] == visitor.session_id

    button.click()
    until(lambda: button.inner_text() == "桌面通知：关", "the notifications turned off")
    visitor.send(type="text", text="还在吗")
    agent.locator("#wb-log .wb-from-visitor", has_text="还在吗").wait_for(timeout=WAIT)
    assert len(notes()) == 1, "turned off: nothing more"
