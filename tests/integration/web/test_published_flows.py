"""A site runs its merchant's published flow version; running sessions keep the one they began on."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from test_visitor_channel import events, start  # this folder is on sys.path (rootdir import mode)


def test_publishing_changes_new_sessions_only(client: TestClient, demo: Path) -> None:
    before = start(client)
    login = client.post(
        "/api/v1/auth/login", json={"account": "demo_alice", "password": "Demo-pass1"}
    )
    admin = {"Authorization": f"Bearer {login.json()['token']}"}
    text = (demo.parent / "flows" / "reception.flow.yaml").read_text(encoding="utf-8")
    changed = text.replace("您好，欢迎咨询{{ sys.channel_name }}！", "新版本：欢迎！")
    assert changed != text
    published = client.post(
        "/api/v1/admin/flows/reception/versions",
        params={"publish": "true"},
        content=changed.encode(),
        headers={**admin, "Content-Type": "text/yaml"},
    )
    assert published.status_code in (200, 201), published.text
    after = start(client)
    assert events(client, after)[0]["text"] == "新版本：欢迎！"
    # the session that began earlier keeps its version: answering its menu still works as before
    url = f"/api/v1/sessions/{before['session_id']}/messages"
    auth = {"Authorization": f"Bearer {before['visitor_token']}"}
    assert client.post(url, json={"type": "text", "text": "2"}, headers=auth).status_code == 202
    old = events(client, before)
    assert old[0]["text"] == "您好，欢迎咨询演示网站！"
    assert any("客服暂时无法接待" in f.get("text", "") for f in old)
