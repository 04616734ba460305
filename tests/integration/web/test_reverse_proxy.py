"""Behind a reverse proxy: ``server.trusted_proxies`` and ``server.public_url`` over real HTTP.

The test is the proxy: it connects from 127.0.0.1 and sends the ``X-Forwarded-For`` a proxy
would. With 127.0.0.1 trusted, each forwarded visitor has a rate-limit budget of its own; with
nothing trusted (the default), the headers change nothing.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import WebSocket
from server_kit import in_thread
from websockets.sync.client import connect

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.clock import FrozenClock

pytestmark = pytest.mark.usefixtures("cheap_argon2")

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "Proxy-pass1"
WRONG = "Wrong-pass1"
AGENTS = [f"agent_0{n}" for n in range(1, 8)]
"""Seven agents: 30 failed logins from one address (the per-IP budget) take six of them at
five tries each (the per-account budget); the seventh tries once more."""
SESSIONS = 2
"""``limits.new_sessions_per_ip`` of these deployments."""
VISITOR, OTHER = "203.0.113.7", "198.51.100.9"

Serve = Callable[[dict[str, Any]], str]


def deployment(folder: Path, server: dict[str, Any]) -> Path:
    """The demo deployment with ``server``, a small session budget and cheap-to-check agents."""
    shutil.copytree(ROOT / "flows", folder / "flows")
    config = yaml.safe_load((ROOT / "examples/demo/chatflow.yaml").read_text(encoding="utf-8"))
    config["flows"] = "./flows"
    config["server"] = server
    config["limits"] = {"new_sessions_per_ip": {"count": SESSIONS, "seconds": 3600}}
    config["merchants"][0]["agents"] = [
        {"account": account, "password_env": "PROXY_PASSWORD", "nickname": account,
         "staff_no": str(2000 + n), "role": "admin" if n == 0 else "agent"}
        for n, account in enumerate(["admin_01", *AGENTS])
    ]  # fmt: skip
    path = folder / "chatflow.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """Start a deployment with the given ``server`` section on loopback; its base URL.

    The app gains one probe websocket that says what client and scheme it sees: the visitor
    channel's own websocket uses them the same way but shows neither."""
    numbers = itertools.count()
    with ExitStack() as stack:

        def start(server: dict[str, Any]) -> str:
            folder = tmp_path / f"deployment-{next(numbers)}"
            folder.mkdir()
            settings = ServeSettings(
                config=deployment(folder, server),
                data=folder / "data",
                env={"PROXY_PASSWORD": PASSWORD},
            )
            app = create_app(settings, clock=FrozenClock("2026-11-23T10:00:00+08:00"))

            @app.websocket("/probe")
            async def probe(ws: WebSocket) -> None:
                await ws.accept()
                host = ws.client.host if ws.client else None
                await ws.send_json({"client": host, "scheme": ws.url.scheme})
                await ws.close()

            # As `chatflow serve` does: uvicorn's own proxy headers (on by default, trusting
            # 127.0.0.1) off, so only the app's server.trusted_proxies decide.
            served = in_thread(app, log_level="warning", proxy_headers=False)
            url: str = stack.enter_context(served).url
            return url

        yield start


def new_session(base: str, forwarded_for: str | None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    url = f"{base}/api/v1/sites/demo-web/sessions"
    return httpx.post(url, json={}, headers=headers).status_code


def log_in(base: str, account: str, password: str, forwarded_for: str) -> int:
    body = {"account": account, "password": password}
    headers = {"X-Forwarded-For": forwarded_for}
    return httpx.post(f"{base}/api/v1/auth/login", json=body, headers=headers).status_code


def probe(base: str, headers: dict[str, str]) -> dict[str, Any]:
    with connect(f"{base.replace('http', 'ws', 1)}/probe", additional_headers=headers) as ws:
        answer: dict[str, Any] = json.loads(ws.recv(timeout=10))
        return answer


# -- trusted proxies ---------------------------------------------------------------------------


def test_each_forwarded_visitor_has_its_own_session_budget(serve: Serve) -> None:
    base = serve({"trusted_proxies": ["127.0.0.1"]})
    assert [new_session(base, VISITOR) for _ in range(SESSIONS + 1)] == [201] * SESSIONS + [429]
    assert new_session(base, OTHER) == 201  # another visitor behind the same proxy
    assert new_session(base, None) == 201  # the proxy itself (no header) is a third address


def test_each_forwarded_address_has_its_own_login_budget(serve: Serve) -> None:
    base = serve({"trusted_proxies": ["127.0.0.1"]})
    tries = [log_in(base, AGENTS[n // 5], WRONG, VISITOR) for n in range(30)]
    assert tries == [401] * 30
    assert log_in(base, AGENTS[6], WRONG, VISITOR) == 429  # the address's 30 are used up
    assert log_in(base, AGENTS[6], WRONG, OTHER) == 401  # another address still may try
    assert log_in(base, "admin_01", PASSWORD, OTHER) == 200


def test_the_rightmost_untrusted_hop_is_the_client_not_a_spoofed_leftmost_one(
    serve: Serve,
) -> None:
    base = serve({"trusted_proxies": ["127.0.0.1", "10.0.0.0/8"]})
    assert [new_session(base, VISITOR) for _ in range(SESSIONS)] == [201] * SESSIONS
    # The visitor writes an address of its own choosing; the proxy appends the real one.
    assert new_session(base, f"192.0.2.1, {VISITOR}") == 429
    # An inner proxy in 10.0.0.0/8 forwarded the visitor: still the same visitor.
    assert new_session(base, f"{VISITOR}, 10.0.0.5") == 429
    assert new_session(base, f"{VISITOR}, {OTHER}, 10.0.0.5") == 201  # OTHER was the last hop


def test_websockets_and_the_scheme_follow_a_trusted_proxy(serve: Serve) -> None:
    base = serve({"trusted_proxies": ["127.0.0.1"]})
    seen = probe(base, {"X-Forwarded-For": VISITOR, "X-Forwarded-Proto": "https"})
    assert seen == {"client": VISITOR, "scheme": "wss"}
    # A redirect the app makes points at the scheme and host visitors use.
    forwarded = {"X-Forwarded-Proto": "https", "Host": "chat.acme.com"}
    moved = httpx.get(f"{base}/healthz/", headers=forwarded)
    assert moved.status_code == 307
    assert moved.headers["location"] == "https://chat.acme.com/healthz"


# -- nobody trusted (the default) --------------------------------------------------------------


def test_without_trusted_proxies_forwarded_headers_change_nothing(serve: Serve) -> None:
    base = serve({})
    codes = [new_session(base, f"192.0.2.{n}") for n in range(SESSIONS + 1)]
    assert codes == [201] * SESSIONS + [429]  # one budget, whatever the client claims
    assert new_session(base, OTHER) == 429
    tries = [log_in(base, AGENTS[n // 5], WRONG, f"192.0.2.{n}") for n in range(30)]
    assert tries == [401] * 30
    assert log_in(base, AGENTS[6], WRONG, OTHER) == 429
    seen = probe(base, {"X-Forwarded-For": VISITOR, "X-Forwarded-Proto": "https"})
    assert seen == {"client": "127.0.0.1", "scheme": "ws"}


def test_a_proxy_that_is_not_trusted_is_not_believed(serve: Serve) -> None:
    base = serve({"trusted_proxies": ["10.0.0.0/8"]})  # the test connects from 127.0.0.1
    assert [new_session(base, f"10.1.1.{n}") for n in range(SESSIONS)] == [201] * SESSIONS
    assert new_session(base, VISITOR) == 429


# -- the public address ------------------------------------------------------------------------


def admin_sites(base: str) -> list[dict[str, Any]]:
    body = {"account": "admin_01", "password": PASSWORD}
    token = httpx.post(f"{base}/api/v1/auth/login", json=body).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    sites = httpx.get(f"{base}/api/v1/admin/sites", headers=headers)
    assert sites.status_code == 200, sites.text
    one = httpx.get(f"{base}/api/v1/admin/sites/demo-web", headers=headers).json()
    assert one == sites.json()[0]
    result: list[dict[str, Any]] = sites.json()
    return result


def test_the_sites_api_gives_the_chat_link_and_widget_under_the_public_url(serve: Serve) -> None:
    base = serve({"public_url": "https://www.acme.com/support/"})
    [site] = admin_sites(base)
    assert site["chat_url"] == "https://www.acme.com/support/chat/demo-web"
    assert site["widget_src"] == "https://www.acme.com/support/static/widget.js"


def test_without_a_public_url_the_sites_api_leaves_the_address_to_the_caller(
    serve: Serve,
) -> None:
    [site] = admin_sites(serve({}))
    assert site["chat_url"] is None and site["widget_src"] is None
