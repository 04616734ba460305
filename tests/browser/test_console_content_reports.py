"""What the zh-CN console says after adding sensitive words and importing quick replies, in
headless Chromium against the demo deployment (QA pass, content findings 1 and 2): words are
added each on its own (the new ones added, one already present skipped, a too long one refused
with its reason and left in the box), under a summary with the three counts; a pasted list
with repeats (QA pass 3, finding 4) names each repeated line with the line it repeats, and the
summary counts them, in zh-CN and English; an import's
refused row names its column by the file's heading (内容, not ``content``), and the same file
imported again reads "未变" (unchanged), not "更新". Read back through the API with httpx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from staff_kit import PASSWORD, WAIT, token_for, watch_problems

pytestmark = pytest.mark.slow


def api(base: str, token: str, method: str, path: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    answer = httpx.request(method, f"{base}/api/v1/{path}", headers=headers, **kwargs)
    assert answer.is_success, answer.text
    return answer.json()


def chinese_console(browser: Any, base: str, lang: str = "zh-CN") -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems = watch_problems(page)
    page.goto(f"{base}/console?lang={lang}")
    page.locator("#cs-account").fill("demo_alice")
    page.locator("#cs-password").fill(PASSWORD)
    page.locator("#cs-login-button").click()
    page.locator(".cs-nav-item").first.wait_for(timeout=WAIT)
    return context, page, problems


def open_section(page: Any, section: str) -> Any:
    page.locator(f'.cs-nav-item[data-section="{section}"]').click()
    view = page.locator(f".cs-section-{section}")
    view.locator(".cs-empty, .cs-table").first.wait_for(timeout=WAIT)
    return view


def test_words_are_added_each_on_its_own_under_a_chinese_summary(
    demo_server: str, browser: Any
) -> None:
    base = demo_server
    token = token_for(base, "demo_alice")
    api(base, token, "POST", "sensitive-words", json={"kind": "forbidden", "words": ["微信"]})
    context, page, problems = chinese_console(browser, base)
    view = open_section(page, "words")

    long = "长" * 51
    box = view.locator('.cs-words-add [name="words"]')
    box.fill(f"QQ号\n微信\n{long}\nWhatsApp\n")
    view.locator(".cs-words-add button[type=submit]").click()
    summary = view.locator(".cs-words-summary")
    summary.wait_for(timeout=WAIT)
    assert summary.inner_text() == "新增 2 个，已存在 1 个（已跳过），无法添加 1 个。"
    assert view.locator(".cs-words-added").inner_text() == "已添加：QQ号、WhatsApp"
    assert view.locator(".cs-words-existing").inner_text() == "已存在，已跳过：微信"
    refused = view.locator(".cs-words-refused li")
    assert refused.all_inner_texts() == [f"「{'长' * 20}…」：最多 50 个字符（现有 51 个）"]
    assert box.input_value() == long, "the refused word stays to be mended"
    listed = api(base, token, "GET", "sensitive-words", params={"kind": "forbidden"})["items"]
    assert sorted(w["word"] for w in listed) == ["QQ号", "WhatsApp", "微信"]
    page.wait_for_function(
        "() => document.querySelectorAll('.cs-section-words tbody tr').length === 3"
    )

    # mended, it is added; nothing else is counted
    box.fill("长" * 50)
    view.locator(".cs-words-add button[type=submit]").click()
    view.locator(".cs-words-summary", has_text="新增 1 个，已存在 0 个").wait_for(timeout=WAIT)
    assert view.locator(".cs-words-refused").count() == 0
    assert box.input_value() == ""
    assert problems == []
    context.close()


def test_every_pasted_line_is_accounted_for_repeats_named_by_line(
    demo_server: str, browser: Any
) -> None:
    base = demo_server
    token = token_for(base, "demo_alice")
    context, page, problems = chinese_console(browser, base)
    view = open_section(page, "words")
    long = "长" * 80
    pasted = f"傻瓜\n笨蛋\n傻瓜\n\n{long}\n  笨蛋  \n<script>x</script>\nＡＢＣ\nabc"
    box = view.locator('.cs-words-add [name="words"]')
    box.fill(pasted)
    view.locator(".cs-words-add button[type=submit]").click()
    summary = view.locator(".cs-words-summary")
    summary.wait_for(timeout=WAIT)
    assert summary.inner_text() == (
        "新增 4 个，已存在 0 个（已跳过），重复 3 个（只算一次），无法添加 1 个。"
    )
    # by the box's line numbers (the blank fourth line is not sent, but still counts as a line)
    assert view.locator(".cs-words-duplicates li").all_inner_texts() == [
        "第 3 行「傻瓜」与第 1 行「傻瓜」相同",
        "第 6 行「笨蛋」与第 2 行「笨蛋」相同",
        "第 9 行「abc」与第 8 行「ＡＢＣ」相同",
    ]
    added = "已添加：傻瓜、笨蛋、<script>x</script>、ＡＢＣ"
    assert view.locator(".cs-words-added").inner_text() == added
    assert box.input_value() == long, "only the refused line stays"
    listed = api(base, token, "GET", "sensitive-words", params={"kind": "forbidden"})["items"]
    assert len(listed) == 4
    assert problems == []
    context.close()

    context, page, problems = chinese_console(browser, base, "en")
    view = open_section(page, "words")
    view.locator('.cs-words-add [name="words"]').fill("傻瓜\nnew\nNEW")
    view.locator(".cs-words-add button[type=submit]").click()
    summary = view.locator(".cs-words-summary")
    summary.wait_for(timeout=WAIT)
    assert summary.inner_text() == (
        "Added 1, already present 1 (skipped), repeated 1 (counted once), refused 0."
    )
    repeats = view.locator(".cs-words-duplicates li").all_inner_texts()
    assert repeats == ["line 3 “NEW” is line 2 “new” again"]
    assert problems == []
    context.close()


def test_an_import_report_speaks_the_files_headings_and_counts_unchanged_rows(
    demo_server: str, browser: Any, tmp_path: Path
) -> None:
    base = demo_server
    token = token_for(base, "demo_alice")
    csv = tmp_path / "快捷回复.csv"
    csv.write_text(
        "组名,标题,内容\n联系方式,400电话,请拨打 400 电话\n联系方式,团队邮件,发邮件给我们\n"
        "联系方式,空的,\n",
        encoding="utf-8",
    )
    context, page, problems = chinese_console(browser, base)
    view = open_section(page, "replies")
    view.locator('[data-action="import"]').click()
    dialog = page.locator(".cs-dialog")
    dialog.locator('[data-name="file"]').set_input_files(str(csv))
    dialog.locator('[data-action="run-import"]').click()
    report = dialog.locator(".cs-replies-report")
    first = "CSV 文件：新增 2 条，更新 0 条，未变 0 条，1 行有错误。"
    report.locator(".cs-replies-summary", has_text=first).wait_for(timeout=WAIT)
    cells = report.locator("tbody tr").first.locator("td").all_inner_texts()
    assert cells == ["4", "内容", "内容不能为空"]
    assert "content" not in report.inner_text()
    before = api(base, token, "GET", "quick-replies", params={"category": "联系方式"})["items"]

    # the same file again: nothing is updated (the API test checks updated_at is untouched)
    dialog.locator('[data-action="run-import"]').click()
    again = "CSV 文件：新增 0 条，更新 0 条，未变 2 条，1 行有错误。"
    report.locator(".cs-replies-summary", has_text=again).wait_for(timeout=WAIT)
    after = api(base, token, "GET", "quick-replies", params={"category": "联系方式"})["items"]
    assert after == before
    assert problems == []
    context.close()
