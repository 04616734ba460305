"""The demo chat page with agents in headless Chromium: two agents serve one visitor (an
invitation), and the page names whoever wrote each line; the join notice and the flow's own
welcome do not repeat each other; a star clicked in the survey marks the card, live and after a
reload, instead of a bare number. The agents work over the agent API (staff_kit); the browser
and the demo server are conftest.py's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from staff_kit import WAIT, agent_frame, agent_online, bearer, token_for

pytestmark = pytest.mark.slow


def act(base: str, token: str, session_id: str, action: str, body: Any = None) -> None:
    done = httpx.post(
        f"{base}/api/v1/sessions/{session_id}/{action}", json=body, headers=bearer(token)
    )
    assert done.status_code in (202, 204), done.text


def test_each_agent_line_is_named_and_the_rating_marks_the_survey(
    demo_server: str, browser: Any, artifacts: Path
) -> None:
    base = demo_server
    bob, alice = token_for(base, "demo_bob"), token_for(base, "demo_alice")
    page = browser.new_page(viewport={"width": 390, "height": 780})
    page.goto(f"{base}/chat/demo-web?lang=zh-CN")
    with agent_online(base, bob, free=True) as bob_ws:
        page.locator(".cf-options button", has_text="售前咨询").first.click()
        offer = agent_frame(bob_ws, lambda f: f.get("type") == "offer")
        sid = offer["session_id"]
        act(base, bob, sid, "accept")
        page.locator(".cf-from-system", has_text="客服 Bob（工号 1002）已接入").wait_for(
            timeout=WAIT
        )
        act(base, bob, sid, "messages", {"text": "您好，我是 Bob"})
        with agent_online(base, alice, free=True) as alice_ws:
            act(base, bob, sid, "invite", {"agent": "demo_alice"})
            agent_frame(alice_ws, lambda f: f.get("type") == "assigned" and f.get("invited"))
            act(base, alice, sid, "messages", {"text": "我是 Alice，来协助您"})
            alices = page.locator(".cf-from-agent", has_text="来协助您")
            alices.wait_for(timeout=WAIT)
            assert alices.locator(".cf-name").inner_text() == "Alice"
            bobs = page.locator(".cf-from-agent", has_text="我是 Bob")
            assert bobs.locator(".cf-name").inner_text() == "Bob"
            # the join notice and the flow's connected_message say different things
            log = page.locator(".cf-log").inner_text()
            assert log.count("已接入") == 1 and log.count("为您服务") <= 1, log
            act(base, alice, sid, "leave")
        act(base, bob, sid, "end")

    stars = page.locator(".cf-survey .cf-survey-choices button")
    stars.nth(3).wait_for(timeout=WAIT)
    stars.nth(3).click()
    page.locator(".cf-from-bot", has_text="感谢").last.wait_for(timeout=WAIT)
    page.screenshot(path=str(artifacts / "chat-two-agents.png"), full_page=True)
    visitor_lines = page.locator(".cf-from-visitor").all_inner_texts()
    assert not any(line.strip() == "4" for line in visitor_lines), visitor_lines
    assert "4" in page.locator(".cf-survey .cf-survey-hint").inner_text()

    page.reload()  # the replay: the card is marked from the echo, names as before
    hint = page.locator(".cf-survey.is-rated .cf-survey-hint")
    hint.wait_for(timeout=WAIT)
    assert "4" in hint.inner_text()
    assert page.locator(".cf-survey .cf-survey-choices button.is-on").count() == 4
    again = page.locator(".cf-from-agent", has_text="来协助您").locator(".cf-name")
    assert again.inner_text() == "Alice"
    assert not any(t.strip() == "4" for t in page.locator(".cf-from-visitor").all_inner_texts())
