"""A captcha site (``captcha: true``) opens a new session only for a solved slider puzzle; other
sites, and resuming a session, never ask one. The test computes the answer with the
deployment's key, as an insider may (channels/captcha.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chatflow.admin_api.app import create_app
from chatflow.admin_api.services import visitor_secret
from chatflow.admin_api.settings import ServeSettings
from chatflow.channels.captcha import TTL, CaptchaKeys
from chatflow.engine.clock import FrozenClock

NEW = "/api/v1/sites/{site}/sessions"


@pytest.fixture
def app(demo: Path, tmp_path: Path, clock: FrozenClock) -> Iterator[TestClient]:
    text = demo.read_text(encoding="utf-8")
    site = "      - key: demo-web\n"
    safe = "      - key: demo-safe\n        flow: reception\n        captcha: true\n"
    demo.write_text(text.replace(site, safe + site, 1), encoding="utf-8")
    settings = ServeSettings(config=demo, data=tmp_path / "data")
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client


@pytest.fixture
def keys(tmp_path: Path, clock: FrozenClock) -> CaptchaKeys:
    return CaptchaKeys(visitor_secret(tmp_path / "data"), clock)


def puzzle(client: TestClient, site: str = "demo-safe") -> dict[str, Any]:
    response = client.get(f"/api/v1/sites/{site}/captcha")
    assert response.status_code == 200, response.text
    return dict(response.json())


def answer(keys: CaptchaKeys, challenge: dict[str, Any], off: int = 0) -> dict[str, Any]:
    token = challenge["challenge"]
    return {"challenge": token, "x": keys.place(token.split(".")[0]).x + off}


def refused(response: Any, code: str) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["type"] == f"urn:chatflow:{code}"


def test_a_captcha_site_wants_a_solved_puzzle(app: TestClient, keys: CaptchaKeys) -> None:
    refused(app.post(NEW.format(site="demo-safe"), json={}), "captcha_required")
    challenge = puzzle(app)
    assert challenge["background"].startswith("data:image/jpeg;base64,")
    assert challenge["piece"].startswith("data:image/png;base64,")
    assert (challenge["width"], challenge["height"]) == (300, 150)
    assert challenge["piece_y"] == keys.place(challenge["challenge"].split(".")[0]).y
    wrong = {"captcha": answer(keys, challenge, 20)}
    refused(app.post(NEW.format(site="demo-safe"), json=wrong), "captcha_failed")
    right_but_spent = {"captcha": answer(keys, challenge)}
    refused(app.post(NEW.format(site="demo-safe"), json=right_but_spent), "captcha_failed")

    solved = {"captcha": answer(keys, puzzle(app), 3), "visitor_id": "v-solver"}
    created = app.post(NEW.format(site="demo-safe"), json=solved)
    assert created.status_code == 201, created.text
    refused(app.post(NEW.format(site="demo-safe"), json=solved), "captcha_failed")  # a replay

    session = created.json()
    headers = {"Authorization": f"Bearer {session['visitor_token']}"}
    events = app.get(f"/api/v1/sessions/{session['session_id']}/events", headers=headers)
    assert events.status_code == 200 and events.json()["events"]  # resuming asks nothing
    with app.websocket_connect(f"/ws/visitor?token={session['visitor_token']}") as ws:
        assert ws.receive_json()["seq"] == 1


def test_a_puzzle_is_bound_to_its_site_and_expires(
    app: TestClient, keys: CaptchaKeys, clock: FrozenClock
) -> None:
    forged = {"captcha": answer(keys, {"challenge": keys.issue("demo-web")})}
    refused(app.post(NEW.format(site="demo-safe"), json=forged), "captcha_failed")
    late = answer(keys, puzzle(app))
    clock.advance(TTL + 1)
    refused(app.post(NEW.format(site="demo-safe"), json={"captcha": late}), "captcha_failed")
    junk = {"captcha": {"challenge": "x" * 201, "x": 100}}
    assert app.post(NEW.format(site="demo-safe"), json=junk).status_code == 422


def test_other_sites_are_unchanged(app: TestClient) -> None:
    assert app.post(NEW.format(site="demo-web"), json={}).status_code == 201
    off = app.get("/api/v1/sites/demo-web/captcha")
    assert off.status_code == 404 and off.json()["type"] == "urn:chatflow:captcha_off"
    missing = app.get("/api/v1/sites/nope/captcha")
    assert missing.status_code == 404 and missing.json()["type"] == "urn:chatflow:site_not_found"


def test_puzzles_are_limited_per_client_address(app: TestClient) -> None:
    codes = [app.get("/api/v1/sites/demo-safe/captcha").status_code for _ in range(22)]
    assert codes[:20] == [200] * 20 and codes[20:] == [429, 429]
