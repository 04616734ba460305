"""Where the visitor is (seed 001 联系人信息: IP, terminal, source): the web channel records the
client address, the browser's User-Agent and the page the chat was opened on; the workbench's
visitor panel, the console's record detail and the records export read them back, parsed.

On SQLite and on PostgreSQL: a real server on loopback either way, its records database the
only difference.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import agent_world
import pytest
from agent_world import Agent, LiveServer, frame, running
from openpyxl import load_workbook

from chatflow.admin_api.settings import ServeSettings

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
PAGE = {
    "url": "https://shop.example.com/printers?id=7#reviews",
    "title": "  LaserJet 2000 - Acme  ",
    "referrer": "https://www.baidu.com/s?wd=printer",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    cheap_argon2: None,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[LiveServer]:
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        monkeypatch.setattr(agent_world, "ServeSettings", partial(ServeSettings, database_url=url))
    with running(tmp_path) as live:
        assert live.app.state.records.dialect.name == request.param
        yield live


def start(server: LiveServer, user_agent: str, **body: Any) -> Any:
    headers = {"User-Agent": user_agent}
    return server.http.post("/api/v1/sites/acme-web/sessions", json=body, headers=headers)


def started(server: LiveServer, user_agent: str, visitor_id: str, **body: Any) -> tuple[str, str]:
    """A new conversation's id and visitor token, once its record is written."""
    response = start(server, user_agent, visitor_id=visitor_id, **body)
    assert response.status_code == 201, response.text
    session_id, token = response.json()["session_id"], response.json()["visitor_token"]
    server.record_when(session_id, lambda row: True)
    return session_id, token


def test_the_visit_reaches_the_visitor_panel_the_record_and_the_export(
    server: LiveServer,
) -> None:
    pc, _ = started(server, CHROME_WINDOWS, "v-pc", page=PAGE)
    phone, _ = started(server, IPHONE_SAFARI, "v-phone", page={"referrer": PAGE["referrer"]})
    alice = Agent(server, "acme_alice")  # admin: sees every conversation and its record

    visit = alice.get(f"/api/v1/sessions/{pc}/visitor")["visit"]
    assert visit.pop("started_at") is not None
    assert visit == {
        "ip": "127.0.0.1",
        "user_agent": CHROME_WINDOWS,
        "browser": "Chrome 124.0",
        "os": "Windows 10",
        "device": "desktop",
        "page_url": "https://shop.example.com/printers?id=7",  # the fragment never kept
        "page_title": "LaserJet 2000 - Acme",
        "referrer": "https://www.baidu.com/s?wd=printer",
        "channel": "Acme 官网",
        "channel_type": "web",
    }
    record = alice.get(f"/api/v1/records/{phone}")
    assert record["visit"]["started_at"] == record["started_at"]
    assert {k: record["visit"][k] for k in ("browser", "os", "device", "page_url", "referrer")} == {
        "browser": "Mobile Safari 17.4",
        "os": "iOS 17.4",
        "device": "mobile",
        "page_url": None,
        "referrer": "https://www.baidu.com/s?wd=printer",
    }
    transcript = alice.get(f"/api/v1/records/{pc}/transcript")
    assert transcript["record"]["visit"]["page_url"] == "https://shop.example.com/printers?id=7"
    listed = alice.get("/api/v1/records")["items"]
    assert {item["session_id"] for item in listed} >= {pc, phone}
    assert all(item["visit"] is None for item in listed)  # lists leave the visit out

    export = server.http.get("/api/v1/records/export", headers=alice.headers)
    assert export.status_code == 200, export.text
    rows = load_workbook(io.BytesIO(export.content), read_only=True)["records"].iter_rows(
        values_only=True
    )
    header = list(next(rows))
    at = header.index("visitor_ip")
    assert header[at : at + 5] == ["visitor_ip", "page_url", "browser", "os", "channel"]
    tails = {row[0]: list(row[at : at + 4]) for row in rows}
    assert tails[pc] == [
        "127.0.0.1",
        "https://shop.example.com/printers?id=7",
        "Chrome 124.0",
        "Windows 10",
    ]
    assert tails[phone][0] == "127.0.0.1" and tails[phone][2:] == ["Mobile Safari 17.4", "iOS 17.4"]


def test_the_serving_agent_sees_where_its_visitor_is(server: LiveServer) -> None:
    bob = Agent(server, "acme_bob")
    bob.connect()
    session_id, token = started(server, IPHONE_SAFARI, "v-wang", page=PAGE)
    choice = server.http.post(  # the visitor picks presales, over the REST twin
        f"/api/v1/sessions/{session_id}/messages",
        json={"type": "choice", "value": "售前"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert choice.status_code == 202, choice.text
    bob.frames.expect(frame("offer", session_id=session_id))
    bob.ok(session_id, "accept")
    visit = bob.get(f"/api/v1/sessions/{session_id}/visitor")["visit"]
    assert (visit["device"], visit["os"], visit["page_title"]) == (
        "mobile",
        "iOS 17.4",
        "LaserJet 2000 - Acme",
    )


def test_pages_that_are_not_http_or_too_long_are_422(server: LiveServer) -> None:
    for page in (
        {"url": "javascript:alert(1)"},
        {"url": "/relative/path"},
        {"url": "https://example.com/" + "a" * 2030},
        {"referrer": "ftp://example.com/"},
        {"referrer": "https://exa mple.com/"},
        {"title": "t" * 201},
    ):
        bad = start(server, CHROME_WINDOWS, page=page)
        assert bad.status_code == 422, (page, bad.text)
        assert bad.headers["content-type"] == "application/problem+json"
    blank = start(server, "x" * 600, page={"url": " ", "title": "   "})
    assert blank.status_code == 201, blank.text
    row = server.record_when(blank.json()["session_id"], lambda row: True)
    assert (row.page_url, row.page_title, row.user_agent) == (None, None, "x" * 512)
    unknown = Agent(server, "acme_alice").get(f"/api/v1/records/{row.session_id}")["visit"]
    assert (unknown["browser"], unknown["os"], unknown["device"]) == (None, None, None)
