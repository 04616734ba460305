"""The visual flow editor in headless Chromium (Debian's, driven by Playwright) against the demo
deployment: a designer opens the reception flow, adds, connects, renames, moves and deletes
nodes on the canvas, saves a draft (its YAML keeps the flow's comments) and publishes it; the
stored versions are read back through the flows API. Screenshots land in test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from staff_kit import WAIT, editor_log_in, make_account, token_for

HOSTILE = '<img src=x onerror="window.__xss=1">hi'


def flows_api(base: str, token: str, path: str) -> Any:
    answer = httpx.get(
        f"{base}/api/v1/admin/flows{path}", headers={"Authorization": f"Bearer {token}"}
    )
    answer.raise_for_status()
    return answer.json()


def node(page: Any, node_id: str) -> Any:
    return page.locator(f'.ed-node[data-id="{node_id}"]')


def drag(page: Any, source: Any, target: Any, dx: float = 0, dy: float = 0) -> None:
    """Press on `source`'s centre, move in steps, release over `target` (+dx, dy)."""
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2 + dx, end["y"] + end["height"] / 2 + dy, steps=8)
    page.mouse.up()


def test_a_designer_edits_the_demo_flow_on_the_canvas_saves_and_publishes(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    base = demo_server
    api_token = token_for(base, "demo_alice")
    before = flows_api(base, api_token, "/reception/versions")
    stored = flows_api(base, api_token, f"/reception/versions/{before[-1]['version']}")

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    editor_log_in(page, base, "demo_alice")

    # Every node of the stored version is on the canvas, and the banner says its comments stay.
    node(page, "goodbye").wait_for(timeout=WAIT)
    assert page.locator(".ed-node").count() == len(stored["document"]["nodes"])
    assert stored["comments"] is True and "# National Day 2026" in stored["yaml"]
    assert page.locator("#ed-banner").is_visible()
    assert "Saving changes made on the canvas keeps them" in page.locator("#ed-banner").inner_text()
    page.locator("#ed-issues-title", has_text="no errors").wait_for(timeout=WAIT)
    assert node(page, "welcome").locator(".ed-node-start").is_visible()
    # the flow's interrupt ("转人工", "human", ... from anywhere) shows on the node it jumps to
    assert "human" in node(page, "to_agent").locator(".ed-node-interrupt").inner_text()
    assert node(page, "menu").locator(".ed-node-interrupt").count() == 0
    assert page.locator(".ed-edge").count() >= 15  # the flow's arrows are drawn

    # Add a message node from the palette: it is selected, and its missing `next` is an error.
    page.locator('.ed-palette-item[data-type="message"]').click()
    added = node(page, "message_1")
    added.wait_for(timeout=WAIT)
    assert "is-selected" in (added.get_attribute("class") or "")
    page.locator("#ed-f-text").fill(HOSTILE)
    page.locator("#ed-f-text").press("Tab")
    # Visitor-facing text is shown as text, never as markup.
    added.locator(".ed-node-summary", has_text="onerror").wait_for(timeout=WAIT)
    assert added.locator("img").count() == 0
    page.locator(".ed-issue-error", has_text="message_1").first.wait_for(timeout=WAIT)
    assert "has-errors" in (added.get_attribute("class") or "")

    # Zoom out until the whole flow fits, then connect the new node by dragging its port's dot
    # onto the goodbye node: the error goes away.
    for _ in range(3):
        page.locator("#ed-zoom-out").click()
    assert page.locator("#ed-zoom").inner_text() == "50%"
    drag(page, added.locator(".ed-port-dot"), node(page, "goodbye").locator(".ed-node-head"))
    added.locator(".ed-port-target", has_text="goodbye").wait_for(timeout=WAIT)
    page.wait_for_function(
        "() => !document.querySelector('.ed-node[data-id=\"message_1\"].has-errors')",
        timeout=WAIT,
    )

    # Rename it: the id changes everywhere; then point the after-hours message at it.
    page.locator("#ed-node-id").fill("promo")
    page.locator("#ed-node-id").press("Enter")
    node(page, "promo").wait_for(timeout=WAIT)
    node(page, "after_hours").locator(".ed-node-head").click()
    page.locator("#ed-f-next").select_option("promo")
    node(page, "after_hours").locator(".ed-port-target", has_text="promo").wait_for(timeout=WAIT)

    # Move the goodbye node by its title bar.
    goodbye = node(page, "goodbye")
    before_box = goodbye.bounding_box()
    drag(page, goodbye.locator(".ed-node-type"), goodbye.locator(".ed-node-type"), 120, 80)
    after_box = goodbye.bounding_box()
    assert after_box["x"] > before_box["x"] + 100 and after_box["y"] > before_box["y"] + 60

    # Delete a node with the keyboard, then undo it.
    node(page, "survey").locator(".ed-node-head").click()
    page.keyboard.press("Delete")
    node(page, "survey").wait_for(state="detached", timeout=WAIT)
    page.locator("#ed-undo").click()
    node(page, "survey").wait_for(timeout=WAIT)

    assert page.locator("#ed-state").inner_text() == "Unsaved"
    page.locator("#ed-issues:not(.is-checking)").wait_for(timeout=WAIT)
    assert page.locator(".ed-issue-error").count() == 0
    # The list is the latest check's: nothing is said about the id the node had before.
    assert "message_1" not in page.locator("#ed-issue-list").inner_text()
    page.screenshot(path=str(artifacts / "editor-canvas.png"))
    # The YAML tab shows what a save stores: the version's text with the changes, comments kept.
    shown = page.locator("#ed-yaml").input_value()
    assert "  promo:\n" in shown and "# National Day 2026" in shown

    # Save a draft with a note; the stored document has every change.
    page.locator("#ed-note").fill("promo message after hours")
    page.locator("#ed-save").click()
    page.locator(".ui-toast", has_text="Saved as version").wait_for(timeout=WAIT)
    versions = flows_api(base, api_token, "/reception/versions")
    assert len(versions) == len(before) + 1
    draft = versions[-1]
    assert (draft["status"], draft["note"]) == ("draft", "promo message after hours")
    saved = flows_api(base, api_token, f"/reception/versions/{draft['version']}")
    nodes = saved["document"]["nodes"]
    assert nodes["promo"]["text"] == HOSTILE
    assert nodes["promo"]["next"] == "goodbye"
    assert nodes["after_hours"]["next"] == "promo"
    assert "survey" in nodes and "message_1" not in nodes
    moved = nodes["goodbye"]["position"]
    assert isinstance(moved["x"], int) and isinstance(moved["y"], int)
    # written onto the text it was edited from: every comment of it is still there
    assert saved["yaml"] == shown and saved["comments"] is True
    comments = [line for line in stored["yaml"].splitlines() if line.lstrip().startswith("#")]
    assert comments and all(line in saved["yaml"].splitlines() for line in comments)
    page.locator("#ed-state", has_text="draft").wait_for(timeout=WAIT)
    assert "keeps them" in page.locator("#ed-banner").inner_text()

    # Publish it: new sessions start on it.
    page.locator("#ed-publish").click()
    page.locator(".ui-toast", has_text=f"Version {draft['version']} is published").wait_for(
        timeout=WAIT
    )
    listed = {f["flow_id"]: f for f in flows_api(base, api_token, "")}
    assert listed["reception"]["published_version"] == draft["version"]

    # The YAML tab keeps comments: a comment added there survives the save.
    page.locator("#ed-tab-yaml").click()
    yaml_box = page.locator("#ed-yaml")
    assert "promo:" in yaml_box.input_value()
    yaml_box.fill("# checked by the browser test\n" + yaml_box.input_value())
    page.locator("#ed-yaml-save").click()
    page.locator(".ui-toast", has_text=f"Saved as version {draft['version'] + 1}").wait_for(
        timeout=WAIT
    )
    latest = flows_api(base, api_token, f"/reception/versions/{draft['version'] + 1}")
    assert latest["yaml"].startswith("# checked by the browser test\n")
    assert latest["comments"] is True
    page.locator("#ed-banner").wait_for(timeout=WAIT)
    assert page.evaluate("window.__xss") is None
    context.close()


def test_a_new_flow_is_refused_with_its_errors_then_saved(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    base = demo_server
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    editor_log_in(page, base, "demo_alice", "")  # the browser's language
    node(page, "welcome").wait_for(timeout=WAIT)
    assert page.locator("#ed-tab-canvas").inner_text().strip() == "画布"

    page.locator("#ed-new").click()
    page.locator("#ed-newflow-id").fill("bad id")
    page.locator("#ed-newflow button[type=submit]").click()
    assert page.locator("#ed-newflow-error").inner_text() != ""
    page.locator("#ed-newflow-id").fill("spring_sale")
    page.locator("#ed-newflow button[type=submit]").click()
    node(page, "bye").wait_for(timeout=WAIT)
    assert page.locator(".ed-node").count() == 2

    # The palette and the inspector explain the node types and fields in Chinese too.
    palette = page.locator('.ed-palette-item[data-type="message"]')
    assert palette.get_attribute("title") == "向访客发送一条消息，然后立即继续（消息发送）。"
    node(page, "welcome").locator(".ed-node-head").click()
    assert (
        page.locator('label[for="ed-f-text"]').get_attribute("title") == "要发送的一条消息的模板。"
    )

    # Deleting the end node leaves welcome's `next` empty: the check says to connect it, in
    # Chinese, and the server refuses the save.
    node(page, "bye").locator(".ed-node-head").click()
    page.locator(".ed-delete").click()
    node(page, "bye").wait_for(state="detached", timeout=WAIT)
    unconnected = "节点 'welcome' 没有下一步节点：请把 'next' 连接到接下来的节点"
    page.locator(".ed-issue-error", has_text=unconnected).wait_for(timeout=WAIT)
    page.locator("#ed-save").click()
    page.locator(".ui-toast-error").first.wait_for(timeout=WAIT)
    assert page.locator(".ed-issue-error").count() >= 1
    issues = page.locator("#ed-issue-list").inner_text()
    assert unconnected in issues and "no such node" not in issues
    api_token = token_for(base, "demo_alice")
    assert "spring_sale" not in {f["flow_id"] for f in flows_api(base, api_token, "")}

    # Undo, save: version 1 of the new flow, a draft.
    page.locator("#ed-undo").click()
    node(page, "bye").wait_for(timeout=WAIT)
    page.locator("#ed-save").click()
    page.locator(".ui-toast", has_text="版本 1").wait_for(timeout=WAIT)
    versions = flows_api(base, api_token, "/spring_sale/versions")
    assert [(v["version"], v["status"]) for v in versions] == [(1, "draft")]
    page.screenshot(path=str(artifacts / "editor-new-flow.png"))

    # A try says where the session is and why it ended in words, not the API's values.
    page.locator("#ed-try-open").click()
    page.locator("#ed-try-status", has_text="（已结束）").wait_for(timeout=WAIT)
    page.locator(".ed-try-notice", has_text="会话已结束（流程结束）").wait_for(timeout=WAIT)
    context.close()


def test_an_agent_without_flow_rights_is_told_so(demo_server: str, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    editor_log_in(page, demo_server, "demo_bob")
    page.locator("#ed-login-error", has_text="may not see flows").wait_for(timeout=WAIT)
    assert page.locator("#ed-app").is_hidden()
    context.close()


def test_a_designer_tries_the_flow_on_screen_and_saves_the_try_as_a_test(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    answers = {"The agent says:": "Your order ships today", "Wait how many seconds?": "5"}
    page.on("dialog", lambda dialog: dialog.accept(answers.get(dialog.message, "")))
    editor_log_in(page, demo_server, "demo_alice")
    node(page, "welcome").wait_for(timeout=WAIT)
    page.locator("#ed-issues-title", has_text="no errors").wait_for(timeout=WAIT)

    # Open the panel: the flow greets and offers its menu (Monday 10:00 is within the hours);
    # the canvas marks the node the conversation is at.
    page.locator("#ed-try-open").click()
    log = page.locator("#ed-try-log")
    log.locator(".ed-try-bot", has_text="欢迎咨询").wait_for(timeout=WAIT)
    page.locator("#ed-try-status", has_text="At node menu").wait_for(timeout=WAIT)
    assert "is-trying" in (node(page, "menu").get_attribute("class") or "")
    assert page.locator("#ed-inspector").is_hidden()

    # Choose after-sales, an agent joins, speaks and ends; the survey is answered.
    log.locator(".ed-try-option", has_text="售后服务").click()
    page.locator("#ed-try-status", has_text="to_aftersales").wait_for(timeout=WAIT)
    page.locator(".ed-try-action", has_text="Agent joins").click()
    log.locator(".ed-try-notice", has_text="joined").wait_for(timeout=WAIT)
    page.locator(".ed-try-action", has_text="Agent says").click()
    log.locator(".ed-try-agent", has_text="Your order ships today").wait_for(timeout=WAIT)
    page.locator(".ed-try-action", has_text="Agent ends").click()
    log.locator(".ed-try-notice", has_text="Rate").wait_for(timeout=WAIT)
    log.locator(".ed-try-notice .ed-try-option", has_text="5").click()
    log.locator(".ed-try-notice", has_text="ended").wait_for(timeout=WAIT)

    # Typing as the visitor at a new conversation, with hostile markup: shown as text.
    page.locator(".ed-try-action", has_text="Start again").click()
    log.locator(".ed-try-option", has_text="售前咨询").wait_for(timeout=WAIT)
    page.locator("#ed-try-input").fill(HOSTILE)
    page.locator("#ed-try-input").press("Enter")
    log.locator(".ed-try-visitor", has_text="onerror").wait_for(timeout=WAIT)
    assert log.locator("img").count() == 0

    # The try follows the drawing: change the welcome text (unsaved) and it is replayed.
    page.locator("#ed-try-close").click()
    node(page, "welcome").locator(".ed-node-head").click()
    page.locator("#ed-f-text").fill("Welcome to the spring sale")
    page.locator("#ed-f-text").press("Tab")
    page.locator("#ed-try-open").click()
    log.locator(".ed-try-bot", has_text="Welcome to the spring sale").wait_for(timeout=WAIT)
    page.screenshot(path=str(artifacts / "editor-try.png"))

    # Save the try as a conversation test.
    log.locator(".ed-try-option", has_text="售前咨询").click()
    page.locator("#ed-try-status", has_text="to_presales").wait_for(timeout=WAIT)
    with page.expect_download() as download:
        page.locator(".ed-try-action", has_text="Save as a test").click()
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename == "reception.try.test.yaml"
    assert "flow: reception" in saved and "售前咨询" in saved
    assert "Welcome to the spring sale" in saved
    assert page.evaluate("window.__xss") is None
    context.close()


ANCHORED = """\
# Two nodes share one mapping: a change to one of them cannot be written onto this text.
id: anchored
name: Anchored
start: hello
nodes:
  hello: &greeting {type: message, text: hi, next: bye}
  again: *greeting
  bye: {type: end}
"""


def test_a_drawing_whose_save_would_drop_the_comments_says_so(
    demo_server: str, browser: Any
) -> None:
    base = demo_server
    api_token = token_for(base, "demo_alice")
    httpx.post(
        f"{base}/api/v1/admin/flows/anchored/versions",
        headers={"Authorization": f"Bearer {api_token}"},
        json={"yaml": ANCHORED},
    ).raise_for_status()

    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    editor_log_in(page, base, "demo_alice", "?lang=en&flow=anchored")
    node(page, "hello").locator(".ed-node-head").click()
    assert "keeps them" in page.locator("#ed-banner").inner_text()
    page.locator("#ed-f-text").fill("hello there")
    page.locator("#ed-f-text").press("Tab")
    page.locator("#ed-banner", has_text="without any of this version's comments").wait_for(
        timeout=WAIT
    )
    assert "#" not in page.locator("#ed-yaml").input_value()
    context.close()


def test_a_view_only_account_sees_the_flow_read_only(demo_server: str, browser: Any) -> None:
    base = demo_server
    make_account(base, "reader_01", "2001", {"flows": "view"})

    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    editor_log_in(page, base, "reader_01")
    node(page, "welcome").wait_for(timeout=WAIT)
    page.locator("#ed-banner", has_text="not change them").wait_for(timeout=WAIT)
    assert page.locator("#ed-state").inner_text() == "Read-only"
    for control in ("#ed-save", "#ed-publish", "#ed-undo", "#ed-layout"):
        assert page.locator(control).is_disabled(), control
    assert page.locator("#ed-new").is_hidden() and page.locator("#ed-try-open").is_hidden()
    assert page.locator('.ed-palette-item[data-type="message"]').is_disabled()
    node(page, "welcome").locator(".ed-node-head").click()
    assert page.locator("#ed-f-text").is_disabled()
    assert page.locator(".ed-delete").is_disabled()
    context.close()


def test_versions_compare_delete_a_draft_and_roll_back(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    base = demo_server
    api_token = token_for(base, "demo_alice")
    first = flows_api(base, api_token, "/reception/versions")[-1]
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    editor_log_in(page, base, "demo_alice")
    node(page, "welcome").wait_for(timeout=WAIT)
    assert page.locator("#ed-rollback").is_hidden()  # the published version is on screen

    # A draft with a new label: the Changes tab shows it against the published version.
    node(page, "welcome").locator(".ed-node-head").click()
    page.locator("#ed-f-label").fill("Greeting")
    page.locator("#ed-f-label").press("Tab")
    page.locator("#ed-save").click()
    page.locator(".ui-toast", has_text="Saved as version").wait_for(timeout=WAIT)
    draft = flows_api(base, api_token, "/reception/versions")[-1]
    page.locator("#ed-tab-diff").click()
    page.locator(".ed-diff-added", has_text="label: Greeting").wait_for(timeout=WAIT)
    assert page.locator(".ed-diff-removed", has_text="label: 欢迎语").count() == 1
    page.screenshot(path=str(artifacts / "editor-changes.png"))

    # Delete the draft: the flow is back to its published version alone.
    page.locator("#ed-delete-draft").click()
    page.locator(".ui-toast", has_text=f"Draft version {draft['version']} was deleted").wait_for(
        timeout=WAIT
    )
    versions = flows_api(base, api_token, "/reception/versions")
    assert [v["version"] for v in versions] == [first["version"]]
    page.locator(".ed-diff-pane", has_text="This is the published version").wait_for(timeout=WAIT)

    # Publish a change, then roll back to the first version from the version picker.
    page.locator("#ed-tab-canvas").click()
    node(page, "welcome").locator(".ed-node-head").click()
    page.locator("#ed-f-label").fill("Hello")
    page.locator("#ed-f-label").press("Tab")
    page.locator("#ed-publish").click()
    page.locator(".ui-toast", has_text="is published").wait_for(timeout=WAIT)
    page.locator("#ed-version").select_option(str(first["version"]))
    page.locator("#ed-state", has_text="archived").wait_for(timeout=WAIT)
    page.locator("#ed-rollback").click()
    page.locator(".ui-toast", has_text="copied as version").wait_for(timeout=WAIT)
    listed = {f["flow_id"]: f for f in flows_api(base, api_token, "")}
    newest = listed["reception"]["published_version"]
    assert newest == listed["reception"]["latest_version"] > first["version"]
    back = flows_api(base, api_token, f"/reception/versions/{newest}")
    original = flows_api(base, api_token, f"/reception/versions/{first['version']}")
    assert back["yaml"] == original["yaml"]
    context.close()
