"""A site runs its merchant's published flow version; running sessions keep the one they began on,
whatever is published or deleted meanwhile."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from test_visitor_channel import events, start  # this folder is on sys.path (rootdir import mode)

from chatflow.engine import flowversions as fv


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


def test_a_flow_with_running_conversations_is_not_deleted_and_never_breaks_them(
    client: TestClient, demo: Path
) -> None:
    first, second = start(client), start(client)
    login = client.post(
        "/api/v1/auth/login", json={"account": "demo_alice", "password": "Demo-pass1"}
    )
    admin = {"Authorization": f"Bearer {login.json()['token']}"}
    text = (demo.parent / "flows" / "reception.flow.yaml").read_text(encoding="utf-8")
    other = text.replace("id: reception", "id: reception_two", 1)
    url = "/api/v1/admin/flows"
    made = client.post(
        f"{url}/reception_two/versions",
        params={"publish": "true"},
        json={"yaml": other},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    moved = client.patch(
        "/api/v1/admin/sites/demo-web", json={"flow": "reception_two"}, headers=admin
    )
    assert moved.status_code == 200, moved.text
    services = client.app.state.services  # type: ignore[attr-defined]
    client.portal.call(services.writer.flush)  # type: ignore[union-attr]

    refused = client.delete(f"{url}/reception", headers=admin)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert (
        body["type"] == "urn:chatflow:flow_running" and "2 running conversations" in body["detail"]
    )
    assert sorted(body["sessions"]) == sorted([first["session_id"], second["session_id"]])
    closed = client.post(
        "/api/v1/records/batch/close", json={"session_ids": [first["session_id"]]}, headers=admin
    )
    assert closed.json()["succeeded"] == [first["session_id"]], closed.text
    again = client.delete(f"{url}/reception", headers=admin)
    assert again.status_code == 409 and again.json()["sessions"] == [second["session_id"]]

    # Were the versions deleted under it anyway (a record that had not reached the database
    # yet), the running conversation goes on: it runs on its copy in the session store.
    fv.delete_flow(client.app.state.records, "demo", "reception")  # type: ignore[attr-defined]
    auth = {"Authorization": f"Bearer {second['visitor_token']}"}
    answer = f"/api/v1/sessions/{second['session_id']}/messages"
    assert client.post(answer, json={"type": "text", "text": "2"}, headers=auth).status_code == 202
    assert any("客服暂时无法接待" in f.get("text", "") for f in events(client, second))

    # Uploaded again, the flow continues after its deleted numbers; with its conversations
    # closed (their records may still lag: the session store decides), it can be deleted.
    back = client.post(f"{url}/reception/versions", json={"yaml": text}, headers=admin)
    assert back.status_code == 201 and back.json()["version"] == 2
    closed = client.post(
        "/api/v1/records/batch/close", json={"session_ids": [second["session_id"]]}, headers=admin
    )
    assert closed.json()["succeeded"] == [second["session_id"]], closed.text
    assert client.delete(f"{url}/reception", headers=admin).status_code == 204
    assert client.get(f"{url}/reception/versions", headers=admin).status_code == 404
