"""A new session's ``data`` (DESIGN: ``POST /sites/{key}/sessions {visitor_id?, name?, data?}``):
values for the flow's declared variables, the others ignored; a value that is not text, a
number or true/false is refused before anything starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.clock import FrozenClock


@pytest.fixture
def greeting_by_level(demo: Path, tmp_path: Path, clock: FrozenClock) -> Any:
    """The demo with a reception flow that declares ``member_level`` and greets with it."""
    flow = demo.parent / "flows" / "reception.flow.yaml"
    text = flow.read_text(encoding="utf-8")
    text = text.replace('vars:\n  phone: ""', 'vars:\n  phone: ""\n  member_level: "访客"')
    text = text.replace(
        "text: 您好，欢迎咨询{{ sys.channel_name }}！",
        "text: 您好，{{ member_level }}，欢迎咨询{{ sys.channel_name }}！",
    )
    flow.write_text(text, encoding="utf-8")
    settings = ServeSettings(config=demo, data=tmp_path / "data")
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client


def welcome(client: TestClient, **body: Any) -> str:
    created = client.post("/api/v1/sites/demo-web/sessions", json=body)
    assert created.status_code == 201, created.text
    session = created.json()
    events = client.get(
        f"/api/v1/sessions/{session['session_id']}/events",
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    ).json()["events"]
    return str(events[0]["text"])


def test_data_fills_the_flows_declared_variables_only(greeting_by_level: TestClient) -> None:
    client = greeting_by_level
    assert welcome(client) == "您好，访客，欢迎咨询演示网站！"
    data = {"member_level": "金卡会员", "sys": "x", "phone": "13800000000", "undeclared": 1}
    assert welcome(client, data=data) == "您好，金卡会员，欢迎咨询演示网站！"
    # a visitor's value is data for the template, never a template of its own
    assert welcome(client, data={"member_level": "{{ 7 * 7 }}"}) == (
        "您好，{{ 7 * 7 }}，欢迎咨询演示网站！"
    )


@pytest.mark.parametrize(
    "data",
    [{"member_level": {"nested": 1}}, {"member_level": [1, 2]}, {"member_level": None}],
)
def test_a_value_that_is_not_text_number_or_boolean_is_refused(
    greeting_by_level: TestClient, data: dict[str, Any]
) -> None:
    refused = greeting_by_level.post("/api/v1/sites/demo-web/sessions", json={"data": data})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
