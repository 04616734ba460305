"""The flows API: uploads checked like ``chatflow validate``, versions, publish, diff, roll back."""

from __future__ import annotations

from pathlib import Path

from admin_world import FLOW, GLOBEX_MARKER, World, settings_for
from fastapi.testclient import TestClient

from chatflow.admin_api.app import create_app
from chatflow.engine.flowversions import published_flow_yaml
from chatflow.engine.validate import validate_paths
from chatflow.nodes import LANGUAGE

F = "/api/v1/admin/flows"
BROKEN = """\
id: broken
start: hello
nodes:
  hello: {type: message, text: "hi {{ phone }}", next: menu}
  menu:
    type: menu
    prompt: pick
    options:
      - {label: one, next: nowhere}
  lost: {type: end}
"""


def test_an_upload_gets_the_same_placed_problems_as_the_cli(
    shared_world: World, tmp_path: Path
) -> None:
    t = shared_world.acme
    response = t.client.post(
        f"{F}/broken/versions",
        headers={**t.headers(), "content-type": "text/yaml"},
        content=BROKEN.encode(),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "urn:chatflow:invalid_flow" and "nothing was saved" in body["detail"]
    file = tmp_path / "broken.flow.yaml"
    file.write_text(BROKEN, encoding="utf-8")
    cli = validate_paths([file], LANGUAGE).problems
    expected = [(p.line, p.column, p.message, p.json_path) for p in cli if p.severity == "error"]
    got = [(e["line"], e["column"], e["message"], e["path"]) for e in body["errors"]]
    assert sorted(got) == sorted(expected) and len(got) >= 2
    warned = [(w["line"], w["message"]) for w in body["warnings"]]
    assert warned == [(p.line, p.message) for p in cli if p.severity == "warning"]
    assert t.client.get(f"{F}/broken/versions", headers=t.headers()).status_code == 404


def test_transfers_are_checked_against_the_merchants_groups(shared_world: World) -> None:
    t = shared_world.acme
    text = FLOW.replace("id: simple", "id: xfer").replace("group: support", "group: globex_sales")
    response = t.client.post(f"{F}/xfer/versions", headers=t.headers(), json={"yaml": text})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (
        error["path"] == "$.nodes.human.group" and "defined groups: acme_sales" in error["message"]
    )
    assert GLOBEX_MARKER not in response.text


def test_bodies_the_upload_accepts_and_refuses(shared_world: World) -> None:
    t = shared_world.acme
    url = f"{F}/simple/versions"
    as_yaml = t.client.post(
        url,
        headers={**t.headers(), "content-type": "application/yaml; charset=utf-8"},
        params={"note": "from yaml"},
        content=FLOW.encode(),
    )
    assert as_yaml.status_code == 201 and as_yaml.json()["note"] == "from yaml"
    as_json = t.client.post(url, headers=t.headers(), json={"yaml": FLOW, "note": "from json"})
    assert as_json.status_code == 201
    assert as_json.json()["version"] == as_yaml.json()["version"] + 1
    assert (
        as_json.json()["status"] == "draft" and as_json.json()["created_by"] == t.accounts["admin"]
    )
    form = t.client.post(url, headers=t.headers(), data={"yaml": FLOW})
    assert form.status_code == 415
    latin = t.client.post(
        url, headers={**t.headers(), "content-type": "text/yaml"}, content="ü".encode("latin-1")
    )
    assert latin.status_code == 422
    other_id = t.client.post(f"{F}/other/versions", headers=t.headers(), json={"yaml": FLOW})
    assert other_id.status_code == 422
    assert other_id.json()["errors"][0]["path"] == "$.id"
    empty = t.client.post(url, headers=t.headers(), json={"yaml": ""})
    assert empty.status_code == 422


def test_publishing_keeps_exactly_one_published_version(shared_world: World) -> None:
    t = shared_world.acme
    flow = t.make_flow()
    published = t.call("POST", f"{F}/{flow}/versions/2/publish")
    assert published["status"] == "published"
    statuses = [v["status"] for v in t.call("GET", f"{F}/{flow}/versions")]
    assert statuses == ["archived", "published"]
    engine = shared_world.client.app.state.records  # type: ignore[attr-defined]
    found = published_flow_yaml(engine, "acme", flow)
    assert found is not None and found[0] == 2 and "message: goodbye" in found[1]
    assert published_flow_yaml(engine, "globex", flow) is None
    again = t.call("POST", f"{F}/{flow}/versions/2/publish")
    assert again["status"] == "published"
    listed = {f["flow_id"]: f for f in t.call("GET", F)}
    assert listed[flow]["published_version"] == 2 and listed[flow]["latest_version"] == 2


def test_diff_and_rollback(shared_world: World) -> None:
    t = shared_world.acme
    flow = t.make_flow()
    diff = t.client.get(f"{F}/{flow}/diff", headers=t.headers(), params={"from": 1, "to": 2})
    assert diff.status_code == 200 and diff.headers["content-type"].startswith("text/plain")
    assert "-  bye: {type: end, message: bye}\n+  bye: {type: end, message: goodbye}\n" in diff.text
    t.call("POST", f"{F}/{flow}/versions/2/publish")
    back = t.call("POST", f"{F}/{flow}/rollback", json={"version": 1})
    assert (back["version"], back["status"], back["note"]) == (
        3,
        "published",
        "rollback to version 1",
    )
    v1 = t.call("GET", f"{F}/{flow}/versions/1")
    v3 = t.call("GET", f"{F}/{flow}/versions/3")
    assert v3["yaml"] == v1["yaml"]
    assert [v["status"] for v in t.call("GET", f"{F}/{flow}/versions")] == [
        "archived",
        "archived",
        "published",
    ]
    missing = t.client.post(f"{F}/{flow}/rollback", headers=t.headers(), json={"version": 9})
    assert missing.status_code == 404


def test_first_start_imports_the_sites_flows_once(world: World) -> None:
    t = world.acme
    [simple] = [v for v in t.call("GET", f"{F}/simple/versions")]
    assert (simple["version"], simple["status"], simple["created_by"]) == (
        1,
        "published",
        "chatflow.yaml",
    )
    with TestClient(create_app(settings_for(world.folder))) as again:
        engine = again.app.state.records  # type: ignore[attr-defined]
        assert published_flow_yaml(engine, "acme", "simple") == (1, FLOW)
        assert published_flow_yaml(engine, "globex", "simple") == (1, FLOW)


def test_only_drafts_are_deleted_and_their_numbers_are_not_reused(shared_world: World) -> None:
    t = shared_world.acme
    flow = t.make_flow()  # 1 published, 2 a draft
    gone = t.client.delete(f"{F}/{flow}/versions/2", headers=t.headers())
    assert gone.status_code == 204 and gone.content == b""
    assert [v["version"] for v in t.call("GET", f"{F}/{flow}/versions")] == [1]
    assert t.client.get(f"{F}/{flow}/versions/2", headers=t.headers()).status_code == 404
    twice = t.client.delete(f"{F}/{flow}/versions/2", headers=t.headers())
    assert twice.status_code == 404 and twice.json()["detail"] == f"flow {flow!r} has no version 2"
    published = t.client.delete(f"{F}/{flow}/versions/1", headers=t.headers())
    assert published.status_code == 409
    assert published.headers["content-type"] == "application/problem+json"
    assert published.json()["type"] == "urn:chatflow:version_published"
    assert "Publish another version first" in published.json()["detail"]
    text = FLOW.replace("id: simple", f"id: {flow}")
    again = t.call("POST", f"{F}/{flow}/versions", json={"yaml": text})
    assert again["version"] == 3  # 2 meant another text once
    t.call("POST", f"{F}/{flow}/versions/3/publish")
    archived = t.client.delete(f"{F}/{flow}/versions/1", headers=t.headers())
    assert archived.status_code == 409
    assert archived.json()["type"] == "urn:chatflow:version_archived"
    listed = {f["flow_id"]: f for f in t.call("GET", F)}[flow]
    assert (listed["versions"], listed["latest_version"], listed["published_version"]) == (2, 3, 3)


def test_another_merchants_flow_is_not_found_like_a_missing_one(shared_world: World) -> None:
    acme, globex = shared_world.acme, shared_world.globex
    flow = acme.make_flow()
    for url in (f"{F}/{flow}/versions/2", f"{F}/{flow}"):
        foreign = globex.client.delete(url, headers=globex.headers())
        missing = globex.client.delete(url.replace(flow, f"{flow}x"), headers=globex.headers())
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json()["detail"] == missing.json()["detail"].replace(f"{flow}x", flow)
    assert len(acme.call("GET", f"{F}/{flow}/versions")) == 2


def test_a_flow_is_deleted_whole_once_no_site_runs_it(shared_world: World) -> None:
    t = shared_world.acme
    flow = t.make_flow()
    assert t.client.delete(f"{F}/{flow}", headers=t.headers()).status_code == 204
    assert flow not in {f["flow_id"] for f in t.call("GET", F)}
    assert t.client.get(f"{F}/{flow}/versions", headers=t.headers()).status_code == 404
    assert t.client.delete(f"{F}/{flow}", headers=t.headers()).status_code == 404
    text = FLOW.replace("id: simple", f"id: {flow}")
    assert t.call("POST", f"{F}/{flow}/versions", json={"yaml": text})["version"] == 3
    used = t.client.delete(f"{F}/simple", headers=t.headers())
    assert used.status_code == 409
    body = used.json()
    assert body["type"] == "urn:chatflow:flow_in_use" and body["sites"] == ["acme-shop", "acme-web"]
    assert "point them at another flow first" in body["detail"]
    # an account limited to one site hears of the others only as a number
    chosen = t.client.delete(f"{F}/simple", headers=t.headers("chosen")).json()
    assert chosen["sites"] == ["acme-web"] and "1 outside your site scope" in chosen["detail"]
    assert t.call("GET", f"{F}/simple/versions")[0]["status"] == "published"


def test_a_deleted_flow_stays_deleted_after_a_restart(world: World) -> None:
    t = world.acme
    flow = t.make_flow()
    for site in (t.site, t.other_site):
        t.call("PATCH", f"/api/v1/admin/sites/{site}", json={"flow": flow})
    assert t.client.delete(f"{F}/simple", headers=t.headers()).status_code == 204
    with TestClient(create_app(settings_for(world.folder))) as again:
        engine = again.app.state.records  # type: ignore[attr-defined]
        assert published_flow_yaml(engine, "acme", "simple") is None  # not imported again
        assert published_flow_yaml(engine, "globex", "simple") == (1, FLOW)
        upload = again.post(f"{F}/simple/versions", headers=t.headers(), json={"yaml": FLOW})
        assert upload.status_code == 201 and upload.json()["version"] == 2
