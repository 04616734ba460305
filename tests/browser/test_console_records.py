"""The admin console's service records in headless Chromium against the demo deployment: three
conversations driven through the visitor REST API (one with hostile markup, one served and
ended by demo_bob, one still with the bot); demo_alice lists, searches, opens a record, steps
through the matches in its transcript, exports Excel and closes and deletes in a batch;
demo_bob (an agent: records he served, no exports) sees what the API gives him. Everything the
page shows is read back through the API with httpx. The browser and the server are conftest.py's.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from staff_kit import WAIT, Visitor, agent_frame, agent_online, console_log_in, token_for, until

openpyxl = pytest.importorskip("openpyxl")

pytestmark = pytest.mark.slow

HOSTILE = "<img src=x onerror=window.__xss=1>"
WORD = "Zebrafish"
ROWS = ".cs-section-records tbody tr"
# The demo's clock is frozen at 2026-11-23 10:00 in Shanghai: the whole day, in its zone.
DAY = {"start": "2026-10-24T00:00:00+08:00", "end": "2026-11-24T00:00:00+08:00"}


def api(base: str, token: str, path: str, **params: Any) -> Any:
    answer = httpx.get(
        f"{base}/api/v1/{path}", params=params, headers={"Authorization": f"Bearer {token}"}
    )
    answer.raise_for_status()
    return answer.json()


def serve_as_bob(base: str, token: str, visitor: Visitor) -> None:
    """demo_bob (online on the agent websocket) takes the offer, answers and ends the service."""
    with agent_online(base, token) as ws:
        visitor.send(type="choice", value="售前咨询")
        offered = visitor.session_id
        agent_frame(ws, lambda f: f.get("type") == "offer" and f.get("session_id") == offered)
        headers = {"Authorization": f"Bearer {token}"}
        session = f"{base}/api/v1/sessions/{visitor.session_id}"
        for action, body in (
            ("accept", None),
            ("messages", {"text": "您好，我是 Bob"}),
            ("end", None),
        ):
            done = httpx.post(f"{session}/{action}", json=body, headers=headers)
            assert done.status_code in (202, 204), done.text
    visitor.send(type="rate", score=5)


def log_in(browser: Any, base: str, account: str, *, rights_known: bool = True) -> Any:
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, timezone_id="Asia/Shanghai", accept_downloads=True
    )
    if not rights_known:  # as against a server without GET /api/v1/agents/me/rights
        context.route("**/api/v1/agents/me/rights", lambda route: route.fulfill(status=404))
    page = context.new_page()
    console_log_in(page, base, account)
    return page


def shown(page: Any) -> list[str]:
    rows = page.locator(ROWS)
    return [rows.nth(i).get_attribute("data-session") for i in range(rows.count())]


def workbook(download: Any) -> Any:
    return openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)


def test_records_list_search_transcript_exports_and_batch(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    base = demo_server
    alice, bob = token_for(base, "demo_alice"), token_for(base, "demo_bob")
    hostile = Visitor(base, "v-mallory", f"Mallory {HOSTILE}")
    hostile.send(type="text", text=f"{HOSTILE} {WORD}", id="h-1")
    hostile.send(type="text", text=f"still a {WORD.lower()}?", id="h-2")
    hostile.send(type="end", id="h-3")
    served = Visitor(base, "v-bruce", "Bruce")
    serve_as_bob(base, bob, served)
    waiting = Visitor(base, "v-carol", "Carol")

    def settled() -> Any:
        found = api(base, alice, "records", **DAY)
        by_id = {r["session_id"]: r for r in found["items"]}
        done = by_id.get(served.session_id, {}).get("rating") == 5
        return found if found["total"] == 3 and done else None

    everything = until(settled, "the three records")
    ids = [r["session_id"] for r in everything["items"]]
    assert {hostile.session_id, served.session_id, waiting.session_id} == set(ids)

    page = log_in(browser, base, "demo_alice")
    page.locator('.cs-nav-item[data-section="records"]').click()
    page.locator(ROWS).nth(2).wait_for(timeout=WAIT)
    assert shown(page) == ids, "the page lists what the API lists, newest first"
    # A name with markup is text too.
    assert page.locator(ROWS, has_text="Mallory").inner_text().count(HOSTILE) == 1
    bruce = page.locator(ROWS, has_text="Bruce")
    assert "Bob" in bruce.inner_text() and "Ended" in bruce.inner_text()

    # The text search narrows the list, and lives in the address: a reload keeps it.
    page.locator('.cs-records-filters input[name="q"]').fill(WORD.lower())
    page.locator(".cs-records-filters button[type=submit]").click()
    page.wait_for_function(f"() => document.querySelectorAll('{ROWS}').length === 1")
    assert shown(page) == [hostile.session_id]
    assert api(base, alice, "records", q=WORD, **DAY)["total"] == 1
    page.reload()
    page.locator(ROWS).first.wait_for(timeout=WAIT)
    assert shown(page) == [hostile.session_id]
    assert page.locator('.cs-records-filters input[name="q"]').input_value() == WORD.lower()

    # The record: the hostile line is text, nothing ran.
    page.locator(ROWS).first.click()
    line = page.locator(".cs-line-visitor .cs-line-text", has_text="onerror")
    line.wait_for(timeout=WAIT)
    assert line.inner_text() == f"{HOSTILE} {WORD}"
    assert page.locator(".cs-section-records img").count() == 0
    assert page.evaluate("() => window.__xss") is None

    # Match k of n: next, next again wraps around to the first, previous goes back to the last.
    page.locator(".cs-records-find input").fill(WORD.lower())
    page.locator(".cs-records-find input").press("Enter")
    counter = page.locator(".cs-records-count")
    for k, step in ((1, None), (2, ".cs-records-next"), (1, ".cs-records-next"),
                    (2, ".cs-records-previous")):  # fmt: skip
        if step:
            page.locator(step).click()
        page.locator(".cs-records-count", has_text=f"Match {k} of 2").wait_for(timeout=WAIT)
        found = api(base, alice, f"records/{hostile.session_id}/transcript", q=WORD, k=k)
        current = page.locator(".cs-line.is-current")
        assert current.get_attribute("data-seq") == str(found["search"]["seq"])
        assert current.locator("mark").inner_text().lower() == WORD.lower()
    assert counter.inner_text() == "Match 2 of 2"
    page.screenshot(path=str(artifacts / "console-records.png"), full_page=True)

    # The record's own export, then back to the list with its filters, and the list's export.
    with page.expect_download() as got:
        page.locator(".cs-records-xlsx").click()
    sheet = workbook(got.value)["Conversation"]  # worded in the console's language
    details = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, max_col=2, values_only=True)}
    assert details["Session ID"] == hostile.session_id
    assert details["Started"] == datetime(2026, 11, 23, 10, 0), "a time, in the browser's zone"
    page.locator(".cs-records-back").click()
    page.locator(ROWS).first.wait_for(timeout=WAIT)
    assert shown(page) == [hostile.session_id]
    page.locator(".cs-records-transcripts").check()
    with page.expect_download() as got:
        page.locator(".cs-records-xlsx").click()
    assert got.value.suggested_filename.endswith(".xlsx")
    book = workbook(got.value)
    records = list(book["Records"].iter_rows(values_only=True))
    assert [row[0] for row in records[1:]] == [hostile.session_id]
    lines = [row[5] for row in book["Messages"].iter_rows(min_row=2, values_only=True)]
    assert f"{HOSTILE} {WORD}" in lines

    # Batch: close the conversation still with the bot, then delete it. (Nobody served it, so it
    # has no `closed_by`, which tells how a human service ended; its end reason is admin.)
    page.locator(".cs-records-reset").click()
    page.locator(ROWS).nth(2).wait_for(timeout=WAIT)
    carol = f'{ROWS}[data-session="{waiting.session_id}"]'
    page.locator(f"{carol} .cs-records-pick").check()
    page.locator(".cs-records-close").click()
    page.locator(".cs-dialog .ui-button", has_text="Confirm").click()
    page.locator(".ui-toast", has_text="1 done, 0 failed").wait_for(timeout=WAIT)
    closed = api(base, alice, f"records/{waiting.session_id}")
    assert (closed["status"], closed["end_reason"], closed["closed_by"]) == ("ended", "admin", None)
    page.locator(carol, has_text="Ended").wait_for(timeout=WAIT)
    page.locator(f"{carol} .cs-records-pick").check()
    page.locator(".cs-records-delete").click()
    page.locator(".cs-dialog .ui-button", has_text="Confirm").click()
    page.locator(".ui-toast", has_text="1 done, 0 failed").nth(1).wait_for(timeout=WAIT)
    page.wait_for_function(f"() => document.querySelectorAll('{ROWS}').length === 2")
    assert api(base, alice, "records", **DAY)["total"] == 2

    # demo_bob: his role's defaults let him view records (those he served), neither export nor
    # act on them: the page offers neither.
    rights = api(base, bob, "agents/me/rights")["rights"]
    assert rights["records"] == "view" and "exports" not in rights
    agent = log_in(browser, base, "demo_bob")
    agent.locator('.cs-nav-item[data-section="records"]').click()
    agent.locator(ROWS).first.wait_for(timeout=WAIT)
    his = [r["session_id"] for r in api(base, bob, "records", **DAY)["items"]]
    assert shown(agent) == his == [served.session_id]
    assert agent.locator(".cs-records-xlsx, .cs-records-pick, .cs-records-close").count() == 0

    # Should the page not know his rights, the export is offered and its refusal says why.
    blind = log_in(browser, base, "demo_bob", rights_known=False)
    blind.locator('.cs-nav-item[data-section="records"]').click()
    blind.locator(".cs-records-xlsx").click()
    refused = blind.locator(".cs-records-status", has_text="Cannot export")
    refused.wait_for(timeout=WAIT)
    assert "may not view exports" in refused.inner_text()


def test_erasing_a_visitor_from_its_record(demo_server: str, browser: Any) -> None:
    """A visitor asks for its data to be deleted: from one of its records, demo_alice erases
    everything kept of it; a visitor still in a conversation is refused, in the dialog."""
    base = demo_server
    alice = token_for(base, "demo_alice")
    erin = Visitor(base, "v-erin", "Erin")
    erin.send(type="text", text="please forget me", id="e-1")
    erin.send(type="end", id="e-2")
    kept = Visitor(base, "v-kim", "Kim")
    kept.send(type="end", id="k-1")
    live = Visitor(base, "v-lee", "Lee")

    def ended_ones() -> Any:
        items = api(base, alice, "records", **DAY)["items"]
        return items if sum(r["status"] == "ended" for r in items) == 2 else None

    until(ended_ones, "two ended records")
    page = log_in(browser, base, "demo_alice")

    page.goto(f"{base}/console?lang=en#records/{live.session_id}")
    page.locator(".cs-records-erase").click()
    page.locator(".cs-dialog", has_text="Lee").wait_for(timeout=WAIT)
    page.locator(".cs-dialog .ui-button", has_text="Confirm").click()
    page.locator(".cs-dialog", has_text="close the visitor's conversations").wait_for(timeout=WAIT)
    page.locator(".cs-dialog .ui-button", has_text="Cancel").click()
    assert api(base, alice, f"records/{live.session_id}")["visitor_id"] == "v-lee"

    page.goto(f"{base}/console?lang=en#records/{erin.session_id}")
    page.locator(".cs-records-erase").click()
    dialog = page.locator(".cs-dialog", has_text="Erin")
    dialog.wait_for(timeout=WAIT)
    assert "cannot be undone" in dialog.inner_text()
    page.locator(".cs-dialog .ui-button", has_text="Confirm").click()
    page.locator(".ui-toast", has_text="Erased visitor Erin: 1 conversation(s)").wait_for(
        timeout=WAIT
    )
    page.locator(ROWS).nth(1).wait_for(timeout=WAIT)
    assert set(shown(page)) == {kept.session_id, live.session_id}
    gone = httpx.get(f"{base}/api/v1/visitors/v-erin", headers={"Authorization": f"Bearer {alice}"})
    assert gone.status_code == 404


def test_the_filters_list_a_site_made_since_the_section_was_opened(
    demo_server: str, browser: Any
) -> None:
    base = demo_server
    alice = token_for(base, "demo_alice")
    page = log_in(browser, base, "demo_alice")
    page.locator('.cs-nav-item[data-section="records"]').click()
    sites = page.locator('.cs-records-filters select[name="site"] option')
    sites.first.wait_for(state="attached", timeout=WAIT)
    assert "新店" not in sites.all_inner_texts()
    made = httpx.post(
        f"{base}/api/v1/admin/sites",
        json={"key": "new-shop", "name": "新店", "flow": "reception"},
        headers={"Authorization": f"Bearer {alice}"},
    )
    assert made.status_code == 201, made.text
    page.locator('.cs-nav-item[data-section="stats"]').click()
    page.locator('.cs-nav-item[data-section="records"]').click()
    page.locator('.cs-records-filters select[name="site"] option', has_text="新店").wait_for(
        state="attached", timeout=WAIT
    )
