"""What the staff pages' browser tests share: the demo's password, the wait (and a poll that
waits as long), a token through the API and its header, a REST visitor, the next frame of an
agent's websocket, a page's script errors, the workbench's and the console's log-in, the
console's sections, an account of chosen rights made through the admin API (for the view-only
cases), and the check that an agent is neither served nor shown a section."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

WAIT = 15_000
"""Milliseconds a test waits for something to show."""
PASSWORD = "Demo-pass1"
"""The demo accounts' password (and the one the made accounts get)."""


def until(check: Callable[[], Any], what: str) -> Any:
    """Polls `check` until it answers something truthy (the server works on other threads)."""
    deadline = time.monotonic() + WAIT / 1000
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def bearer(token: str) -> dict[str, str]:
    """The header an API call carries `token` in."""
    return {"Authorization": f"Bearer {token}"}


def agent_frame(ws: ClientConnection, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The next frame on an agent's websocket that matches (within 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if match(frame):
            return dict(frame)


def token_for(base: str, account: str, password: str = PASSWORD) -> str:
    """A bearer token of `account`, logged in through the API."""
    found = httpx.post(f"{base}/api/v1/auth/login", json={"account": account, "password": password})
    found.raise_for_status()
    return str(found.json()["token"])


class Visitor:
    """One conversation of `visitor_id` on the demo site over the REST twin of the visitor
    channel, as any client may hold one; `name` names the visitor's profile (while unnamed)."""

    def __init__(
        self, base: str, visitor_id: str, name: str | None = None, source_ip: str = ""
    ) -> None:
        """`source_ip`: a loopback address (127.x.y.z) to start from: the demo limits new
        sessions per client IP, so a test that starts many uses several."""
        self.base = base
        body = {"visitor_id": visitor_id} | ({"name": name} if name else {})
        transport = httpx.HTTPTransport(local_address=source_ip) if source_ip else None
        with httpx.Client(transport=transport) as client:
            started = client.post(f"{base}/api/v1/sites/demo-web/sessions", json=body)
        assert started.status_code == 201, started.text
        self.session_id = str(started.json()["session_id"])
        self.headers = {"Authorization": f"Bearer {started.json()['visitor_token']}"}

    def send(self, **frame: Any) -> None:
        url = f"{self.base}/api/v1/sessions/{self.session_id}/messages"
        sent = httpx.post(url, json=frame, headers=self.headers)
        assert sent.status_code == 202, sent.text


def make_account(
    base: str, account: str, staff_no: str, permissions: dict[str, str], group_name: str = ""
) -> None:
    """As demo_alice: a permission group with `permissions` (named `group_name`, else after the
    account) and a supervisor account in it."""
    admin = {"Authorization": f"Bearer {token_for(base, 'demo_alice')}"}
    group = httpx.post(
        f"{base}/api/v1/admin/permission-groups",
        headers=admin,
        json={"name": group_name or f"{account} rights", "permissions": permissions},
    )
    assert group.status_code == 201, group.text
    body = {
        "account": account,
        "password": PASSWORD,
        "nickname": account,
        "staff_no": staff_no,
        "role": "supervisor",
        "permission_group_id": group.json()["id"],
    }
    made = httpx.post(f"{base}/api/v1/admin/accounts", headers=admin, json=body)
    assert made.status_code == 201, made.text


def watch_problems(page: Any) -> list[str]:
    """The script errors and CSP violations `page` meets, as they come. A refused request's
    "Failed to load resource" is not one: the tests provoke 4xx answers on purpose."""
    problems: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", on_console)
    return problems


@contextmanager
def agent_online(base: str, token: str, *, free: bool = False) -> Iterator[ClientConnection]:
    """The agent of `token` on its websocket, once the server has announced its status: offers
    come to it (read them with `agent_frame`). `free` sets its status to free first."""
    with connect(f"ws{base.removeprefix('http')}/ws/agent?token={token}") as ws:
        agent_frame(ws, lambda f: f.get("type") == "status")
        if free:
            put = httpx.put(
                f"{base}/api/v1/agents/me/status", json={"status": "free"}, headers=bearer(token)
            )
            assert put.is_success, put.text
        yield ws


def rename_group(base: str, token: str, group: str, name: str) -> None:
    """Give a group of the demo a new display name (a hostile one, to test escaping)."""
    renamed = httpx.patch(
        f"{base}/api/v1/admin/groups/{group}", json={"name": name}, headers=bearer(token)
    )
    assert renamed.status_code == 200, renamed.text


def workbench_log_in(page: Any, base: str, account: str) -> None:
    """Open the workbench in Chinese on `page`, log in as `account`, and wait till it is
    free (its websocket is up)."""
    page.goto(f"{base}/workbench?lang=zh-CN")
    page.locator("#wb-account").fill(account)
    page.locator("#wb-password").fill(PASSWORD)
    page.locator("#wb-login-button").click()
    page.wait_for_function(
        "() => document.querySelector('#wb-status').value === 'free'", timeout=WAIT
    )


def console_log_in(page: Any, base: str, account: str) -> None:
    """Open /console in English and log in as `account`."""
    page.goto(f"{base}/console?lang=en")
    page.locator("#cs-account").fill(account)
    page.locator("#cs-password").fill(PASSWORD)
    page.locator("#cs-login-button").click()


def editor_log_in(page: Any, base: str, account: str, query: str = "?lang=en") -> None:
    """Open /editor (in English unless ``query`` says otherwise) and log in as `account`."""
    page.goto(f"{base}/editor{query}")
    page.locator("#ed-account").fill(account)
    page.locator("#ed-password").fill(PASSWORD)
    page.locator("#ed-login-button").click()


def open_section(page: Any, section: str) -> Any:
    """Click a console section in the side bar; its view once its table shows."""
    page.locator(f'.cs-nav-item[data-section="{section}"]').click()
    view = page.locator(f".cs-section-{section}")
    view.locator(".cs-table").wait_for(timeout=WAIT)
    return view


def field_error(dialog: Any, name: str) -> Any:
    """The error line under a console form's field."""
    return dialog.locator(f'.cs-field:has([data-name="{name}"]) .cs-field-error')


def assert_hidden_from_bob(browser: Any, base: str, sections: dict[str, str]) -> None:
    """demo_bob, an agent, is refused each section's admin API (`sections`: console section ->
    its path under /api/v1) and the console's side bar does not offer the section."""
    headers = {"Authorization": f"Bearer {token_for(base, 'demo_bob')}"}
    for path in sections.values():
        assert httpx.get(f"{base}/api/v1{path}", headers=headers).status_code == 403, path
    context = browser.new_context()
    page = context.new_page()
    console_log_in(page, base, "demo_bob")
    page.locator("#cs-me", has_text="Bob").wait_for(timeout=WAIT)
    page.locator("#cs-main > *").first.wait_for(timeout=WAIT)  # the probes have answered
    for section in sections:
        assert page.locator(f'.cs-nav-item[data-section="{section}"]').count() == 0, section
    context.close()
