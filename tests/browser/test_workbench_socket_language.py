"""The workbench opens the agents' socket in the page's language (``lang=``) and shows the
socket's error frames as the server words them.

Playwright relays the page's socket to the real server and, on the way, sends the server one
frame that is not JSON, as a broken client would: the real ``bad_json`` error comes back through
the relay to the page, which must show it in the page's language.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from staff_kit import PASSWORD, WAIT, watch_problems

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("lang", "shown"), [("zh-CN", "该帧不是有效的 JSON"), ("en", "the frame is not valid JSON")]
)
def test_the_socket_speaks_the_pages_language(
    demo_server: str, browser: Any, lang: str, shown: str
) -> None:
    page = browser.new_page()
    problems = watch_problems(page)
    opened: list[str] = []

    def relay(ws: Any) -> None:
        opened.append(ws.url)
        server = ws.connect_to_server()  # frames flow both ways as they would unrelayed
        server.send("not json")

    page.route_web_socket(re.compile(r"/ws/agent\?"), relay)
    page.goto(f"{demo_server}/workbench?lang={lang}")
    page.locator("#wb-account").fill("demo_bob")
    page.locator("#wb-password").fill(PASSWORD)
    page.locator("#wb-login-button").click()
    page.locator("#wb-toasts .ui-toast-error", has_text=shown).wait_for(timeout=WAIT)
    query = parse_qs(urlsplit(opened[0]).query)
    assert query["lang"] == [lang] and query["token"][0]
    assert problems == []
