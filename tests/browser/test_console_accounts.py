"""The admin console's accounts and permission groups sections in headless Chromium against the
demo deployment: demo_alice is told to create a permission group before an account, creates
one with a rights matrix, creates carol_01 in it (a weak password first: the API's words under
the field), edits her nickname to hostile markup (shown as text), changes her password with her
own password as proof, disables her (her token and sign-in refused), is told which accounts
hold the group she tries to delete, deletes carol, and at last meets the lockout after too many
wrong proofs; demo_bob sees neither section. Everything is read back through the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from staff_kit import (
    PASSWORD,
    WAIT,
    assert_hidden_from_bob,
    console_log_in,
    field_error,
    make_account,
    open_section,
    token_for,
    watch_problems,
)

HOSTILE = '<img src=x onerror="window.__xss=1">Carol'
GROUP = "客服主管"


def login(base: str, account: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(f"{base}/api/v1/auth/login", json={"account": account, "password": password})


def get(base: str, token: str, path: str) -> httpx.Response:
    return httpx.get(f"{base}/api/v1{path}", headers={"Authorization": f"Bearer {token}"})


def test_an_admin_manages_a_permission_group_and_an_account(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    base = demo_server
    token = token_for(base, "demo_alice")
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    problems = watch_problems(page)  # refused requests (422, 403, 409) are expected
    console_log_in(page, base, "demo_alice")
    dialog = page.locator(".cs-dialog")

    # The demo's accounts; alice's own row offers no disable or delete.
    accounts = open_section(page, "accounts")
    alice = accounts.locator("tbody tr", has_text="demo_alice")
    assert "(you)" in alice.inner_text() and "The role's default rights" in alice.inner_text()
    assert alice.locator('[data-action="edit"]').count() == 1
    assert alice.locator('[data-action="disable"], [data-action="delete"]').count() == 0
    bob = accounts.locator("tbody tr", has_text="demo_bob")
    assert "售前咨询 (2)" in bob.inner_text() and "presales" not in bob.inner_text()  # by name
    assert bob.locator('[data-action="disable"]').count() == 1

    # No permission group yet: a new account is refused before the form, with a way there.
    accounts.locator('[data-action="new"]').click()
    assert "Create a permission group first" in dialog.inner_text()
    dialog.locator('a[href="#permissions"]').click()
    dialog.wait_for(state="detached", timeout=WAIT)
    groups = page.locator(".cs-section-permissions")
    groups.locator(".cs-table").wait_for(timeout=WAIT)
    assert "create one before creating accounts" in groups.inner_text()

    # A group with records: edit and statistics: view, chosen in the matrix.
    groups.locator('[data-action="new"]').click()
    dialog.locator('[data-name="name"]').fill(GROUP)
    assert dialog.locator('tr[data-feature="records"] input[value="none"]').is_checked()
    dialog.locator('tr[data-feature="records"] input[value="edit"]').check()
    dialog.locator('tr[data-feature="statistics"] input[value="view"]').check()
    dialog.locator("button[type=submit]").click()
    row = groups.locator("tbody tr", has_text=GROUP)
    row.wait_for(timeout=WAIT)
    assert "Service records: Edit" in row.inner_text() and "Statistics: View" in row.inner_text()
    (stored,) = get(base, token, "/admin/permission-groups").json()
    assert (stored["name"], stored["permissions"]) == (
        GROUP,
        {"records": "edit", "statistics": "view"},
    )

    # carol_01 in it; a weak password first: the API names the rules under the field.
    accounts = open_section(page, "accounts")
    accounts.locator('[data-action="new"]').click()
    dialog.locator('[data-name="account"]').fill("carol_01")
    dialog.locator('[data-name="password"]').fill("abcdefg1")
    dialog.locator('[data-name="nickname"]').fill("Carol")
    dialog.locator('[data-name="staff_no"]').fill("1002")  # demo_bob's, refused below
    dialog.locator('[data-name="role"]').select_option("supervisor")
    dialog.locator('[data-name="permission_group_id"]').select_option(label=GROUP)
    presales = dialog.locator('[data-name="groups"] [data-group="presales"]')
    presales.locator("input[type=checkbox]").check()
    presales.locator("select").select_option("1")
    assert dialog.locator('[data-name="sites"]').is_hidden()
    dialog.locator('[data-name="site_scope"]').select_option("chosen")
    dialog.locator('[data-name="sites"] input[value="demo-web"]').check()
    dialog.locator('[data-name="agent_scope"]').select_option("groups")
    dialog.locator('[data-name="scope_groups"] input[value="presales"]').check()
    dialog.locator("button[type=submit]").click()
    weak = field_error(dialog, "password")
    weak.filter(has_text="contain an upper-case letter").wait_for(timeout=WAIT)
    assert "contain a symbol" in weak.inner_text()
    assert get(base, token, "/admin/accounts/carol_01").status_code == 404
    dialog.locator('[data-name="password"]').fill("Carol-pass1")
    dialog.locator("button[type=submit]").click()
    # demo_bob's staff number (QA finding 12): the 409 shows under the field, nothing is made
    taken = field_error(dialog, "staff_no")
    taken.filter(has_text="staff number '1002' is taken").wait_for(timeout=WAIT)
    assert field_error(dialog, "password").inner_text() == ""
    assert get(base, token, "/admin/accounts/carol_01").status_code == 404
    dialog.locator('[data-name="staff_no"]').fill("1003")
    dialog.locator("button[type=submit]").click()
    carol = accounts.locator("tbody tr", has_text="carol_01")
    carol.wait_for(timeout=WAIT)
    made = get(base, token, "/admin/accounts/carol_01").json()
    assert (made["role"], made["permission_group"], made["groups"]) == (
        "supervisor",
        GROUP,
        {"presales": 1},
    )
    assert (made["site_scope"], made["sites"]) == ("chosen", ["demo-web"])
    assert (made["agent_scope"], made["scope_groups"]) == ("groups", ["presales"])
    assert "Groups: 售前咨询" in carol.inner_text() and "演示网站" in carol.inner_text()  # by name
    assert token_for(base, "carol_01", "Carol-pass1")

    # Her nickname becomes hostile markup: stored as typed, shown as text, nothing else changes.
    carol.locator('[data-action="edit"]').click()
    assert dialog.locator('[data-name="account"]').count() == 0
    assert dialog.locator('[data-name="sites"] input[value="demo-web"]').is_checked()
    dialog.locator('[data-name="nickname"]').fill(HOSTILE)
    dialog.locator("button[type=submit]").click()
    accounts.locator("tbody tr", has_text="onerror").wait_for(timeout=WAIT)
    edited = get(base, token, "/admin/accounts/carol_01").json()
    assert edited["nickname"] == HOSTILE
    assert {**edited, "nickname": "Carol"} == made
    assert page.locator(".cs-main img").count() == 0
    page.screenshot(path=str(artifacts / "console-accounts.png"))

    # A new password: typed twice, proven by alice's own password (a wrong one first).
    carol.locator('[data-action="password"]').click()
    assert "Your password (demo_alice)" in dialog.inner_text()
    dialog.locator('[data-name="new_password"]').fill("Carol-pass2")
    dialog.locator('[data-name="repeat"]').fill("Carol-pass3")
    dialog.locator('[data-name="admin_password"]').fill(PASSWORD)
    dialog.locator("button[type=submit]").click()
    field_error(dialog, "repeat").filter(has_text="differ").wait_for(timeout=WAIT)
    dialog.locator('[data-name="repeat"]').fill("Carol-pass2")
    dialog.locator('[data-name="admin_password"]').fill("Wrong-pass1")
    dialog.locator("button[type=submit]").click()
    field_error(dialog, "admin_password").filter(has_text="incorrect").wait_for(timeout=WAIT)
    assert token_for(base, "carol_01", "Carol-pass1")
    dialog.locator('[data-name="admin_password"]').fill(PASSWORD)
    dialog.locator("button[type=submit]").click()
    dialog.wait_for(state="detached", timeout=WAIT)
    assert login(base, "carol_01", "Carol-pass1").status_code == 401
    carol_token = token_for(base, "carol_01", "Carol-pass2")
    assert get(base, carol_token, "/agents/me").status_code == 200

    # Disabled: her token dies and she cannot sign in; she can be enabled and deleted now.
    carol.locator('[data-action="disable"]').click()
    assert "signed out everywhere" in dialog.inner_text()
    dialog.locator('[data-action="confirm"]').click()
    carol.locator(".cs-badge-off", has_text="Disabled").wait_for(timeout=WAIT)
    assert get(base, carol_token, "/agents/me").status_code == 401
    assert login(base, "carol_01", "Carol-pass2").status_code != 200
    assert get(base, token, "/admin/accounts/carol_01").json()["enabled"] is False
    assert carol.locator('[data-action="enable"]').count() == 1

    # The group she holds cannot be deleted: the refusal names her.
    groups = open_section(page, "permissions")
    row = groups.locator("tbody tr", has_text=GROUP)
    assert "carol_01" in row.inner_text()
    row.locator('[data-action="delete"]').click()
    dialog.locator('[data-action="confirm"]').click()
    said = dialog.locator(".cs-form-error", has_text="Accounts that use it: carol_01")
    said.wait_for(timeout=WAIT)
    assert "still used by accounts" in dialog.inner_text()
    assert len(get(base, token, "/admin/permission-groups").json()) == 1
    dialog.locator('[data-action="cancel"]').click()
    dialog.wait_for(state="detached", timeout=WAIT)

    # Deleted, after a confirmation.
    accounts = open_section(page, "accounts")
    carol = accounts.locator("tbody tr", has_text="carol_01")
    carol.locator('[data-action="delete"]').click()
    assert "cannot be undone" in dialog.inner_text()
    dialog.locator('[data-action="confirm"]').click()
    carol.wait_for(state="detached", timeout=WAIT)
    assert get(base, token, "/admin/accounts/carol_01").status_code == 404

    # Wrong proofs count like failed sign-ins of alice: past the limit the API locks her out.
    bob = accounts.locator("tbody tr", has_text="demo_bob")
    bob.locator('[data-action="password"]').click()
    dialog.locator('[data-name="new_password"]').fill("Bob-pass22")
    dialog.locator('[data-name="repeat"]').fill("Bob-pass22")
    dialog.locator('[data-name="admin_password"]').fill("Wrong-pass1")
    locked = dialog.locator(".cs-form-error", has_text="Too many wrong passwords; try again in")
    for _ in range(8):
        dialog.locator("button[type=submit]").click()
        page.wait_for_timeout(300)
        if locked.count():
            break
    locked.wait_for(timeout=WAIT)
    assert login(base, "demo_bob").status_code == 200  # unchanged

    assert page.evaluate("window.__xss") is None
    assert problems == []
    context.close()


def test_an_agent_sees_neither_accounts_nor_permission_groups(
    demo_server: str, browser: Any
) -> None:
    paths = {"accounts": "/admin/accounts", "permissions": "/admin/permission-groups"}
    assert_hidden_from_bob(browser, demo_server, paths)


def test_an_account_that_may_only_view_is_offered_no_changes(
    demo_server: str, browser: Any
) -> None:
    base = demo_server
    rights = {"accounts": "view", "permission_groups": "view"}
    make_account(base, "dave_01", "1004", rights, group_name="只读")
    context = browser.new_context()
    page = context.new_page()
    console_log_in(page, base, "dave_01")
    accounts = open_section(page, "accounts")
    bob = accounts.locator("tbody tr", has_text="demo_bob")
    bob.wait_for(timeout=WAIT)  # the table may be drawn before its rows' answer
    assert bob.count() == 1
    assert accounts.locator("[data-action]").count() == 0
    groups = open_section(page, "permissions")
    assert "Accounts: View" in groups.locator("tbody tr", has_text="只读").inner_text()
    assert groups.locator("[data-action]").count() == 0
    context.close()
