"""The console's record of a conversation whose agent ended the service before the survey, in
headless Chromium against the demo deployment (conftest.py's browser and server): demo_bob
serves and ends, the visitor types "2" to the survey. demo_alice finds it among the
conversations agents ended and reads, in its transcript, the survey's question with the rating
it recorded before the bare "2"; the record's own export says the same.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from staff_kit import WAIT, Visitor, agent_frame, agent_online, console_log_in, token_for, until

openpyxl = pytest.importorskip("openpyxl")

pytestmark = pytest.mark.slow

ROWS = ".cs-section-records tbody tr"
PROMPT = "感谢您使用我们的服务，请对此次服务进行评价！"  # flows/reception.flow.yaml's survey


def record(base: str, token: str, session_id: str) -> Any:
    answer = httpx.get(
        f"{base}/api/v1/records/{session_id}", headers={"Authorization": f"Bearer {token}"}
    )
    answer.raise_for_status()
    return answer.json()


def served_ended_and_rated(base: str, bob: str, visitor: Visitor) -> None:
    """demo_bob takes the offer, answers and ends the service; the visitor types "2"."""
    with agent_online(base, bob) as ws:
        visitor.send(type="choice", value="售前咨询")
        offered = visitor.session_id
        agent_frame(ws, lambda f: f.get("type") == "offer" and f.get("session_id") == offered)
        headers = {"Authorization": f"Bearer {bob}"}
        session = f"{base}/api/v1/sessions/{visitor.session_id}"
        for action, body in (("accept", None), ("messages", {"text": "您好"}), ("end", None)):
            done = httpx.post(f"{session}/{action}", json=body, headers=headers)
            assert done.status_code in (202, 204), done.text
    visitor.send(type="text", text="2", id="r-1")


def test_the_record_shows_the_survey_and_who_ended_it(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    base = demo_server
    alice, bob = token_for(base, "demo_alice"), token_for(base, "demo_bob")
    rated = Visitor(base, "v-rita", "Rita")
    served_ended_and_rated(base, bob, rated)
    other = Visitor(base, "v-otto", "Otto")  # still with the bot: not ended by an agent
    other.send(type="text", text="你好", id="o-1")
    done = until(
        lambda: (r := record(base, alice, rated.session_id))["rating"] == 2 and r,
        "the rated record",
    )
    assert (done["end_reason"], done["closed_by"]) == ("agent", "seat")

    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, timezone_id="Asia/Shanghai", accept_downloads=True
    )
    page = context.new_page()
    console_log_in(page, base, "demo_alice")
    page.locator('.cs-nav-item[data-section="records"]').click()
    page.locator(ROWS).nth(1).wait_for(timeout=WAIT)
    # the end-reason filter: the conversations agents ended
    page.locator('.cs-records-filters select[name="end_reason"]').select_option("agent")
    page.locator(".cs-records-filters button[type=submit]").click()
    page.wait_for_function(f"() => document.querySelectorAll('{ROWS}').length === 1")
    assert page.locator(ROWS).first.get_attribute("data-session") == rated.session_id

    page.locator(ROWS).first.click()
    survey = page.locator(".cs-line-survey .cs-line-text")
    survey.wait_for(timeout=WAIT)
    assert survey.inner_text() == (
        f"[Satisfaction survey · stars 1-5] {PROMPT} → Rating: 2 of 5 (不满意)"
    )
    lines = page.locator(".cs-line")
    texts = [lines.nth(i).inner_text() for i in range(lines.count())]
    asked = next(i for i, text in enumerate(texts) if PROMPT in text)
    answer = lines.nth(asked + 1)
    assert "cs-line-visitor" in (answer.get_attribute("class") or "")
    assert answer.locator(".cs-line-text").inner_text() == "2"
    details = page.locator(".cs-details").inner_text()
    assert "Ended by the agent" in details and "No reply" not in details
    page.screenshot(path=str(artifacts / "console-records-survey.png"), full_page=True)

    with page.expect_download() as got:
        page.locator(".cs-records-xlsx").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()), read_only=True)
    said = [row[-1] for row in book["Messages"].iter_rows(min_row=2, values_only=True)]
    assert f"[Satisfaction survey · stars 1-5] {PROMPT} → Rating: 2 of 5 (不满意)" in said
    sheet = book["Conversation"]
    fields = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, max_col=2, values_only=True)}
    assert (fields["End reason"], fields["Closed by"]) == ("Ended by the agent", "Agent")
    context.close()
