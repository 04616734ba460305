"""The console's forms in headless Chromium against the demo deployment (QA pass 2, findings 7,
10 and 19): every error the API gives a field shows under it, one line each, naming its item;
an empty required field reads "required" (此项必填 in Chinese), a site needs a name; the
permission-group dialog does not tell the user to press a button it does not have.
"""

from __future__ import annotations

from typing import Any

import httpx
from staff_kit import PASSWORD, WAIT, console_log_in, field_error, open_section, token_for

BAD_ORIGINS = ["https://a.com/path", "not a url", "ftp://x.com"]


def _new_site(page: Any) -> Any:
    sites = open_section(page, "sites")
    sites.locator('[data-action="new"]').click()
    dialog = page.locator(".cs-dialog")
    dialog.locator('[data-name="key"]').wait_for(timeout=WAIT)
    return dialog


def test_every_error_of_a_field_shows_and_required_fields_say_so(
    demo_server: str, browser: Any
) -> None:
    base = demo_server
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    console_log_in(page, base, "demo_alice")
    dialog = _new_site(page)
    # the required fields carry a mark after their label
    after = "(el) => getComputedStyle(el, '::after').content"
    label = dialog.locator('.cs-field:has([data-name="name"]) .cs-field-label')
    assert "*" in label.evaluate(after)
    optional = dialog.locator('.cs-field:has([data-name="allowed_origins"]) .cs-field-label')
    assert "*" not in optional.evaluate(after)

    # three bad origins, an empty key and name: all said, each under its field
    dialog.locator('[data-name="flow"]').select_option("reception")
    dialog.locator('[data-name="allowed_origins"]').fill("\n".join(BAD_ORIGINS))
    dialog.locator("button[type=submit]").click()
    origins = field_error(dialog, "allowed_origins").locator(".cs-field-error-line")
    origins.nth(2).wait_for(timeout=WAIT)
    lines = origins.all_inner_texts()
    assert len(lines) == 3, lines
    for line, origin in zip(lines, BAD_ORIGINS, strict=True):
        assert line.startswith(f"'{origin}': must be an origin"), line
    assert field_error(dialog, "key").inner_text() == "Field required"
    assert field_error(dialog, "name").inner_text() == "Field required"
    assert dialog.locator(".cs-form-error").inner_text() == ""

    # fixed and sent again: the old lines go, only what is still wrong shows
    dialog.locator('[data-name="allowed_origins"]').fill("https://a.com\nnot a url")
    dialog.locator('[data-name="key"]').fill("form-errors-web")
    dialog.locator("button[type=submit]").click()
    origins.first.filter(has_text="'not a url'").wait_for(timeout=WAIT)  # the new answer
    assert origins.all_inner_texts() == [
        "'not a url': must be an origin: https://host or "
        "https://host:port, without a path, query or spaces"
    ]
    assert field_error(dialog, "name").inner_text() == "Field required"
    assert field_error(dialog, "key").inner_text() == ""
    token = token_for(base, "demo_alice")
    answer = httpx.get(
        f"{base}/api/v1/admin/sites/form-errors-web",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 404, "nothing was created"
    page.close()


def test_in_chinese_an_empty_site_name_reads_required(demo_server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{demo_server}/console?lang=zh-CN")
    page.locator("#cs-account").fill("demo_alice")
    page.locator("#cs-password").fill(PASSWORD)
    page.locator("#cs-login-button").click()
    token = token_for(demo_server, "demo_alice")
    site_url = f"{demo_server}/api/v1/admin/sites/demo-web"
    auth = {"Authorization": f"Bearer {token}"}
    before = httpx.get(site_url, headers=auth).json()["name"]
    sites = open_section(page, "sites")
    demo = sites.locator("tbody tr", has_text="demo-web")
    demo.locator('[data-action="edit"]').click()
    dialog = page.locator(".cs-dialog")
    dialog.locator('[data-name="name"]').fill("   ")
    dialog.locator("button[type=submit]").click()
    field_error(dialog, "name").filter(has_text="此项必填").wait_for(timeout=WAIT)
    page.keyboard.press("Escape")
    assert httpx.get(site_url, headers=auth).json()["name"] == before, "nothing was saved"

    # finding 19: the permission-group dialog names no button it does not have
    open_section(page, "permissions").locator('[data-action="new"]').click()
    help_text = dialog.locator(".cs-help", has_text="权限组").first
    help_text.wait_for(timeout=WAIT)
    words = dialog.inner_text()
    assert "创建" in dialog.locator("button[type=submit]").inner_text()
    assert "按下保存" not in words and "提交后" in words
    page.close()
