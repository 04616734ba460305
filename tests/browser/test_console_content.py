"""The admin console's merchant content in headless Chromium against the demo deployment: quick
replies (create with hostile markup, search, edit, delete, a CSV import and the template),
sensitive words (several added at once, one already there; a text checked as an agent and as a
visitor), the blacklist (a visitor of the REST channel added by id and removed) and tags (a group
with two tags; single choice refused while a visitor holds both). demo_bob, an agent, sees the
sections his role's defaults allow, without their edit controls. Everything is read back through
the API with httpx. A screenshot lands in test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from staff_kit import WAIT, console_log_in, token_for, until, watch_problems

pytestmark = pytest.mark.slow

HOSTILE = '<img src=x onerror="window.__xss=1">hi'


def call(base: str, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.request(method, f"{base}/api/v1/{path}", headers=headers, **kwargs)


def get(base: str, token: str, path: str, **params: Any) -> Any:
    answer = call(base, token, "GET", path, params=params)
    answer.raise_for_status()
    return answer.json()


def known_visitor(base: str, token: str, visitor_id: str) -> None:
    """A visitor of the demo site over the REST channel, once the merchant knows it."""
    started = httpx.post(f"{base}/api/v1/sites/demo-web/sessions", json={"visitor_id": visitor_id})
    assert started.status_code == 201, started.text

    def written() -> bool:
        return call(base, token, "GET", f"visitors/{visitor_id}").status_code == 200

    until(written, f"the recorder to write {visitor_id}")


def rows(page: Any, section: str, count: int) -> None:
    """Waits until the section's tables hold `count` rows."""
    found = f"document.querySelectorAll('.cs-section-{section} tbody tr').length"
    page.wait_for_function(f"() => {found} === {count}")


class Console:
    """A logged-in console page that collects script errors and CSP violations."""

    def __init__(self, browser: Any, base: str, account: str) -> None:
        self.context = browser.new_context(
            viewport={"width": 1440, "height": 900}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.problems = watch_problems(self.page)  # refused requests (404, 409) are expected
        console_log_in(self.page, base, account)
        self.page.locator(".cs-nav-item").first.wait_for(timeout=WAIT)
        self.dialog = self.page.locator(".cs-dialog")

    def open(self, section: str) -> Any:
        self.page.locator(f'.cs-nav-item[data-section="{section}"]').click()
        view = self.page.locator(f".cs-section-{section}")
        view.locator(".cs-empty, .cs-table, .cs-panel").first.wait_for(timeout=WAIT)
        view.get_by_text("Loading…").wait_for(state="detached", timeout=WAIT)
        return view

    def sections(self) -> list[str]:
        links = self.page.locator(".cs-nav-item")
        return [links.nth(i).get_attribute("data-section") for i in range(links.count())]

    def close(self) -> None:
        assert self.page.evaluate("window.__xss") is None
        assert self.page.locator(".cs-main img").count() == 0
        assert self.problems == []
        self.context.close()


def test_quick_replies_created_found_edited_deleted_and_imported(
    demo_server: str, browser: Any, artifacts: Path, tmp_path: Path
) -> None:
    base = demo_server
    token = token_for(base, "demo_alice")
    other = {"scope": "team", "category": "售后", "title": "退货地址", "content": "请寄回仓库"}
    assert call(base, token, "POST", "quick-replies", json=other).status_code == 201
    console = Console(browser, base, "demo_alice")
    page, dialog = console.page, console.dialog
    view = console.open("replies")
    assert view.locator("h3", has_text="Team · 售后 (1)").count() == 1

    # A team reply whose title and content are hostile markup: stored as typed, shown as text.
    view.locator('[data-action="new"]').click()
    assert dialog.locator('[data-name="scope"]').input_value() == "team"
    dialog.locator('[data-name="category"]').fill("常用语")
    dialog.locator('[data-name="title"]').fill(HOSTILE)
    dialog.locator('[data-name="content"]').fill(f"{HOSTILE}\nZebrafish")
    dialog.locator("button[type=submit]").click()
    group = view.locator(".cs-replies-group", has_text="Team · 常用语 (1)")
    group.wait_for(timeout=WAIT)
    [stored] = get(base, token, "quick-replies", scope="team", category="常用语")["items"]
    assert (stored["title"], stored["content"]) == (HOSTILE, f"{HOSTILE}\nZebrafish")
    row = view.locator(f'tr[data-reply="{stored["id"]}"]')
    assert row.locator("td").first.inner_text() == HOSTILE

    # The search looks in contents too; the category filter narrows to one category.
    view.locator('.cs-replies-filters [name="q"]').fill("zebrafish")
    view.locator(".cs-replies-filters button[type=submit]").click()
    rows(page, "replies", 1)
    assert view.locator("tbody tr").get_attribute("data-reply") == str(stored["id"])
    view.locator(".cs-replies-filters button", has_text="Reset").click()
    rows(page, "replies", 2)
    view.locator('.cs-replies-filters [name="category"]').select_option("=售后")
    view.locator(".cs-replies-filters button[type=submit]").click()
    rows(page, "replies", 1)
    assert "退货地址" in view.locator("tbody tr").inner_text()
    view.locator(".cs-replies-filters button", has_text="Reset").click()

    # Edit: the dialog starts from the reply; the change is stored.
    row.locator('[data-action="edit"]').click()
    assert dialog.locator('[data-name="title"]').input_value() == HOSTILE
    dialog.locator('[data-name="title"]').fill("开头语")
    dialog.locator("button[type=submit]").click()
    row.locator("td", has_text="开头语").wait_for(timeout=WAIT)
    assert get(base, token, "quick-replies", scope="team", q="开头语")["items"][0]["content"] == (
        f"{HOSTILE}\nZebrafish"
    )

    # Delete, after a confirmation.
    row.locator('[data-action="delete"]').click()
    dialog.locator('[data-action="confirm"]').click()
    row.wait_for(state="detached", timeout=WAIT)
    assert get(base, token, "quick-replies", q="开头语")["total"] == 0

    # The template, then an import: two rows in, one refused with its row and column.
    with page.expect_download() as got:
        view.locator('[data-action="template"]').click()
    assert Path(got.value.path()).read_bytes().startswith("\ufeff组名,标题,内容".encode())
    csv = tmp_path / "replies.csv"
    csv.write_text(
        "组名,标题,内容\n联系方式,400电话,请拨打 400 电话\n联系方式,团队邮件,发邮件给我们\n"
        "联系方式,空的,\n",
        encoding="utf-8",
    )
    view.locator('[data-action="import"]').click()
    dialog.locator('[data-name="file"]').set_input_files(str(csv))
    dialog.locator('[data-action="run-import"]').click()
    report = dialog.locator(".cs-replies-report")
    summary = "CSV file: 2 imported, 0 updated, 0 unchanged, 1 rows refused."
    report.get_by_text(summary).wait_for(timeout=WAIT)
    assert report.locator("tbody tr").count() == 1
    assert report.locator("tbody td").first.inner_text() == "4"
    imported = get(base, token, "quick-replies", scope="team", category="联系方式")["items"]
    assert sorted(r["title"] for r in imported) == ["400电话", "团队邮件"]
    page.keyboard.press("Escape")
    view.locator(".cs-replies-group", has_text="Team · 联系方式 (2)").wait_for(timeout=WAIT)
    page.screenshot(path=str(artifacts / "console-replies.png"), full_page=True)
    console.close()


def test_sensitive_words_added_listed_and_checked(demo_server: str, browser: Any) -> None:
    base = demo_server
    token = token_for(base, "demo_alice")
    there = {"kind": "forbidden", "words": ["微信"]}
    assert call(base, token, "POST", "sensitive-words", json=there).status_code == 201
    reminder = {"kind": "reminder", "words": ["投诉"]}
    assert call(base, token, "POST", "sensitive-words", json=reminder).status_code == 201
    console = Console(browser, base, "demo_alice")
    page = console.page
    view = console.open("words")
    assert view.locator('[role="tab"][aria-selected="true"]').inner_text() == "Forbidden words"
    assert "is not sent" in view.locator(".cs-help").first.inner_text()

    # Three at once, one already there: two added, the third reported.
    view.locator('.cs-words-add [name="words"]').fill("QQ号\n微信\nWhatsApp\n")
    view.locator(".cs-words-add button[type=submit]").click()
    view.locator(".cs-words-added", has_text="Added: QQ号、WhatsApp").wait_for(timeout=WAIT)
    assert view.locator(".cs-words-existing").inner_text() == "Already present, skipped: 微信"
    summary = "Added 2, already present 1 (skipped), refused 0."
    assert view.locator(".cs-words-summary").inner_text() == summary
    listed = get(base, token, "sensitive-words", kind="forbidden")["items"]
    assert sorted(w["word"] for w in listed) == ["QQ号", "WhatsApp", "微信"]
    rows(page, "words", 3)

    # The search, then a delete.
    view.locator('.cs-words-filters [name="q"]').fill("ｗｈａｔｓａｐｐ")  # width and case folded
    view.locator(".cs-words-filters button[type=submit]").click()
    rows(page, "words", 1)
    view.locator("tbody tr", has_text="WhatsApp").locator('[data-action="delete"]').click()
    view.locator(".cs-empty", has_text="No words match").wait_for(timeout=WAIT)
    assert get(base, token, "sensitive-words", kind="forbidden")["total"] == 2

    # An agent's text with a forbidden word is blocked, naming the word.
    check = view.locator(".cs-words-check")
    check.locator('[name="text"]').fill("加我微信吧")
    check.locator('[name="sender"]').select_option("agent")
    check.locator("button[type=submit]").click()
    outcome = check.locator(".cs-words-outcome")
    outcome.get_by_text("Blocked").wait_for(timeout=WAIT)
    assert "it contains the forbidden word 「微信」" in outcome.inner_text()
    # A visitor's complaint is sent, and the reminder word alerts the supervisors.
    check.locator('[name="text"]').fill("我要投诉")
    check.locator('[name="sender"]').select_option("visitor")
    check.locator("button[type=submit]").click()
    check.locator(".cs-words-outcome", has_text="Allowed").wait_for(timeout=WAIT)
    alerts = check.locator(".cs-words-alerts").inner_text()
    assert alerts == "Supervisors would be alerted: Reminder words “投诉”"

    # Another kind is another tab, in the address.
    view.locator('[role="tab"][data-kind="reminder"]').click()
    page.locator(".cs-section-words tbody tr", has_text="投诉").wait_for(timeout=WAIT)
    assert page.evaluate("location.hash") == "#words/reminder"
    console.close()


def test_blacklist_by_visitor_id_and_tag_groups(demo_server: str, browser: Any) -> None:
    base = demo_server
    token = token_for(base, "demo_alice")
    known_visitor(base, token, "v-mallory")
    console = Console(browser, base, "demo_alice")
    dialog = console.dialog
    view = console.open("blacklist")
    view.get_by_text("The blacklist is empty.").wait_for(timeout=WAIT)

    # An id nobody knows is refused at the field; a known visitor is listed with the reason.
    view.locator('[data-action="add"]').click()
    dialog.locator('[data-name="visitor_id"]').fill("v-nobody")
    dialog.locator("button[type=submit]").click()
    dialog.locator(".cs-field-error", has_text="No such visitor").wait_for(timeout=WAIT)
    dialog.locator('[data-name="visitor_id"]').fill("v-mallory")
    dialog.locator('[data-name="reason"]').fill(HOSTILE)
    dialog.locator("button[type=submit]").click()
    row = view.locator('tr[data-visitor="v-mallory"]')
    row.wait_for(timeout=WAIT)
    assert HOSTILE in row.inner_text() and "Alice" in row.inner_text()
    [entry] = get(base, token, "blacklist")["items"]
    assert (entry["visitor_id"], entry["reason"], entry["added_by"]) == (
        "v-mallory",
        HOSTILE,
        "demo_alice",
    )
    row.locator('[data-action="remove"]').click()
    assert "start conversations again" in dialog.inner_text()
    dialog.locator('[data-action="confirm"]').click()
    view.get_by_text("The blacklist is empty.").wait_for(timeout=WAIT)
    assert get(base, token, "blacklist")["total"] == 0

    # A tag group with two tags.
    view = console.open("tags")
    view.locator('[data-action="new"]').click()
    dialog.locator('[data-name="name"]').fill("客户等级")
    assert dialog.locator('[data-name="multi"]').is_checked()
    dialog.locator('[data-name="tags"]').fill("VIP\n普通")
    dialog.locator("button[type=submit]").click()
    panel = view.locator(".cs-tags-group", has_text="客户等级")
    panel.locator("tbody tr").nth(1).wait_for(timeout=WAIT)
    [group] = get(base, token, "tag-groups")
    assert (group["name"], group["multi"]) == ("客户等级", True)
    assert [tag["name"] for tag in group["tags"]] == ["VIP", "普通"]
    assert panel.locator(".cs-badge").inner_text() == "Multiple choice"

    # While a visitor holds both, the group cannot become single choice: the page says why.
    both = {"tag_ids": [tag["id"] for tag in group["tags"]]}
    assert call(base, token, "PUT", "visitors/v-mallory/tags", json=both).status_code == 200
    panel.locator('[data-action="switch"]').click()
    panel.locator(".cs-tags-said", has_text="cannot become single choice").wait_for(timeout=WAIT)
    assert get(base, token, "tag-groups")[0]["multi"] is True

    # A third tag from the group's own line; a tag renamed.
    panel.locator('.cs-tags-add [name="tag"]').fill("潜在")
    panel.locator('[data-action="add-tag"]').click()
    panel.locator("tbody tr", has_text="潜在").wait_for(timeout=WAIT)
    panel.locator("tbody tr", has_text="普通").locator('[data-action="rename-tag"]').click()
    dialog.locator('[data-name="name"]').fill("普通客户")
    dialog.locator("button[type=submit]").click()
    panel.locator("tbody tr", has_text="普通客户").wait_for(timeout=WAIT)
    names = [tag["name"] for tag in get(base, token, "tag-groups")[0]["tags"]]
    assert names == ["VIP", "普通客户", "潜在"]
    console.close()


def test_an_agent_sees_what_his_rights_allow_without_edit_controls(
    demo_server: str, browser: Any
) -> None:
    base = demo_server
    alice, bob = token_for(base, "demo_alice"), token_for(base, "demo_bob")
    rights = get(base, bob, "agents/me/rights")["rights"]
    assert {k: rights.get(k) for k in ("quick_replies", "tags", "blacklist")} == dict.fromkeys(
        ("quick_replies", "tags", "blacklist"), "view"
    )
    assert "sensitive_words" not in rights
    team = {"scope": "team", "category": "常用语", "title": "团队问候", "content": "您好"}
    assert call(base, alice, "POST", "quick-replies", json=team).status_code == 201
    group = {"name": "来源", "multi": False, "tags": ["广告"]}
    assert call(base, alice, "POST", "tag-groups", json=group).status_code == 201
    known_visitor(base, alice, "v-spammer")
    ban = {"reason": "spam"}
    assert call(base, alice, "PUT", "blacklist/v-spammer", json=ban).status_code == 200

    console = Console(browser, base, "demo_bob")
    dialog = console.dialog
    assert {"replies", "blacklist", "tags"} <= set(console.sections())
    assert "words" not in console.sections()

    # The team's replies are his to read; a personal one is his to write.
    view = console.open("replies")
    view.locator("tbody tr", has_text="团队问候").wait_for(timeout=WAIT)
    assert view.locator('[data-action="edit"], [data-action="delete"]').count() == 0
    view.locator('[data-action="new"]').click()
    assert dialog.locator('[data-name="scope"]').count() == 0
    dialog.locator('[data-name="title"]').fill("我的问候")
    dialog.locator('[data-name="content"]').fill("您好，我是 Bob")
    dialog.locator("button[type=submit]").click()
    mine = view.locator("tbody tr", has_text="我的问候")
    mine.wait_for(timeout=WAIT)
    assert mine.locator('[data-action="edit"]').count() == 1
    [personal] = get(base, bob, "quick-replies", scope="personal")["items"]
    assert personal["title"] == "我的问候"
    assert get(base, alice, "quick-replies", scope="personal")["total"] == 0

    view = console.open("blacklist")
    view.locator('tr[data-visitor="v-spammer"]').wait_for(timeout=WAIT)
    assert view.locator('[data-action="add"], [data-action="remove"]').count() == 0

    view = console.open("tags")
    view.locator(".cs-tags-group", has_text="来源").wait_for(timeout=WAIT)
    assert view.locator(".cs-tags-group .cs-badge").inner_text() == "Single choice"
    assert view.locator("[data-action], .cs-tags-add").count() == 0
    console.close()
