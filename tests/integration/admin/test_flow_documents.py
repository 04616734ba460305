"""The visual editor's side of the flows API: documents, /check and /flow-schema."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from admin_world import FLOW, GLOBEX_MARKER, Tenant, World

from chatflow.engine.flowdump import dump_flow, flow_document
from chatflow.engine.flowmerge import merge_document
from chatflow.engine.yamlsource import loads
from chatflow.nodes import LANGUAGE

ROOT = Path(__file__).resolve().parents[3]
FLOW_FILES = sorted([*ROOT.glob("flows/**/*.flow.yaml"), *ROOT.glob("examples/**/*.flow.yaml")])
F = "/api/v1/admin/flows"

HOURS = """\
id: {flow_id}
start: hours
nodes:
  hours:
    type: business_hours
    schedule: [{{days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00"}}]
    holidays: [2026-10-01]
    open: hello
    closed: bye
  hello: {{type: message, text: "选 #1 或 #2", next: bye}}
  bye: {{type: end}}
"""


def _parsed(text: str) -> dict[str, Any]:
    dumped: dict[str, Any] = LANGUAGE.parse(loads(text)).model_dump()
    return dumped


def _versions(t: Tenant, flow_id: str) -> int:
    response = t.client.get(f"{F}/{flow_id}/versions", headers=t.headers())
    return len(response.json()) if response.status_code == 200 else 0


def _upload(t: Tenant, flow_id: str, role: str = "admin", **body: Any) -> Any:
    return t.client.post(f"{F}/{flow_id}/versions", headers=t.headers(role), json=body)


def _ensure_groups(t: Tenant, groups: set[str]) -> None:
    have = {g["id"] for g in t.call("GET", "/api/v1/admin/groups")}
    for group in sorted(groups - have):
        t.call("POST", "/api/v1/admin/groups", json={"id": group, "name": f"{t.label} {group}"})


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_a_shipped_flow_round_trips_through_its_document(shared_world: World, path: Path) -> None:
    t = shared_world.acme
    text = path.read_text(encoding="utf-8")
    original = LANGUAGE.parse(loads(text))
    _ensure_groups(t, original.groups())
    first = t.call("POST", f"{F}/{original.id}/versions", json={"yaml": text})
    got = t.call("GET", f"{F}/{original.id}/versions/{first['version']}")
    assert got["yaml"] == text and got["comments"] is ("#" in text)
    document = got["document"]
    assert list(document) == list(loads(text).data)
    saved = _upload(t, original.id, document=document, note="from the editor")
    assert saved.status_code == 201, saved.text
    assert saved.json()["version"] == first["version"] + 1
    assert saved.json()["note"] == "from the editor"
    again = t.call("GET", f"{F}/{original.id}/versions/{saved.json()['version']}")
    assert again["yaml"] == dump_flow(document) and again["comments"] is False
    assert again["document"] == document
    assert _parsed(again["yaml"]) == original.model_dump()


def test_a_holiday_date_stays_a_date(shared_world: World) -> None:
    t = shared_world.acme
    flow_id = t.fresh("hours")
    text = HOURS.format(flow_id=flow_id)
    t.call("POST", f"{F}/{flow_id}/versions", json={"yaml": text})
    document = t.call("GET", f"{F}/{flow_id}/versions/1")["document"]
    hours = document["nodes"]["hours"]
    assert hours["holidays"] == ["2026-10-01"]
    assert list(hours) == ["type", "schedule", "holidays", "open", "closed"]
    hours["holidays"].append("2026-10-02")
    assert _upload(t, flow_id, document=document).status_code == 201
    stored = t.call("GET", f"{F}/{flow_id}/versions/2")
    assert "holidays: ['2026-10-01', '2026-10-02']" in stored["yaml"]  # quoted: not a date
    flow = LANGUAGE.parse(loads(stored["yaml"]))
    assert flow.nodes["hours"].holidays == [  # type: ignore[attr-defined]
        datetime.date(2026, 10, 1),
        datetime.date(2026, 10, 2),
    ]


def test_comments_are_told_apart_from_hashes_in_strings(shared_world: World) -> None:
    t = shared_world.acme
    flow_id = t.fresh("hash")
    text = HOURS.format(flow_id=flow_id)
    t.call("POST", f"{F}/{flow_id}/versions", json={"yaml": text})
    t.call("POST", f"{F}/{flow_id}/versions", json={"yaml": "# why\n" + text})
    first, second = (t.call("GET", f"{F}/{flow_id}/versions/{n}") for n in (1, 2))
    assert (first["comments"], second["comments"]) == (False, True)
    assert first["document"] == second["document"]
    assert first["document"]["nodes"]["hello"]["text"] == "选 #1 或 #2"


def test_check_answers_the_problems_and_saves_nothing(shared_world: World) -> None:
    t = shared_world.acme
    flow_id = t.make_flow()
    before = _versions(t, flow_id)
    url = f"{F}/{flow_id}/check"
    document = loads(FLOW.replace("id: simple", f"id: {flow_id}")).data
    document["nodes"]["human"]["on_no_agents"] = "nowhere"
    response = t.client.post(url, headers=t.headers(), json={"document": document})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"errors", "warnings", "yaml", "comments"}
    assert body["yaml"] == dump_flow(document) and body["comments"] is False
    [error] = body["errors"]
    assert (error["path"], error["code"], error["line"]) == (
        "$.nodes.human.on_no_agents",
        "unknown-node",
        body["yaml"].splitlines().index("    on_no_agents: nowhere") + 1,
    )
    assert "'nowhere', but there is no such node" in error["message"] and body["warnings"] == []
    good = FLOW.replace("id: simple", f"id: {flow_id}")
    as_yaml = t.client.post(
        url, headers={**t.headers(), "content-type": "text/yaml"}, content=good.encode()
    )
    assert as_yaml.json() == {"errors": [], "warnings": [], "yaml": good, "comments": False}
    as_json = t.client.post(url, headers=t.headers(), json={"yaml": good})
    assert as_json.json() == as_yaml.json()
    other_id = t.client.post(f"{F}/{flow_id}x/check", headers=t.headers(), json={"yaml": good})
    assert [e["path"] for e in other_id.json()["errors"]] == ["$.id"]
    syntax = t.client.post(url, headers=t.headers(), json={"yaml": "id: [x"})
    assert syntax.status_code == 200 and syntax.json()["errors"][0]["code"] == "yaml"
    bad_json = t.client.post(
        url, headers={**t.headers(), "content-type": "application/json"}, content=b"{"
    )
    assert bad_json.status_code == 422 and bad_json.json()["type"] == "urn:chatflow:invalid_input"
    form = t.client.post(url, headers=t.headers(), data={"yaml": good})
    assert form.status_code == 415
    assert _versions(t, flow_id) == before
    assert _versions(t, f"{flow_id}x") == 0


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ({"yaml": FLOW, "document": {"id": "simple"}}, "body", "exactly one of"),
        ({"note": "nothing"}, "body", "exactly one of"),
        (
            {"document": ["id", "simple"]},
            "body.document",
            "JSON object (the flow as data), not an array",
        ),
        (
            {"document": "id: simple"},
            "body.document",
            "JSON object (the flow as data), not a string",
        ),
        ({"document": 1}, "body.document", "JSON object (the flow as data), not a number"),
        ({"document": None}, "body", "exactly one of"),
        ({"yaml": FLOW, "base": 1}, "body", '"base" goes with "document"'),
        ({"document": {"id": "simple"}, "base": 0}, "body.base", "greater than or equal to 1"),
    ],
)
def test_bodies_that_are_not_one_flow_are_refused(
    shared_world: World, body: dict[str, Any], path: str, message: str
) -> None:
    t = shared_world.acme
    before = _versions(t, "simple")
    for url in (f"{F}/simple/versions", f"{F}/simple/check"):
        response = t.client.post(url, headers=t.headers(), json=body)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["type"] == "urn:chatflow:invalid_input"
        assert [e["path"] for e in problem["errors"]] == [path]
        assert message in problem["errors"][0]["message"]
    assert _versions(t, "simple") == before


COMMENTED = """\
# yaml-language-server: $schema=../schemas/flow.schema.json
# Say hello, then hand over.
id: {flow_id}
start: hello
nodes:
  # the greeting
  hello: {{type: message, text: "hi", next: human}}   # short on purpose

  # a person takes over
  human: {{type: transfer, group: support, on_no_agents: bye, next: bye}}

  bye: {{type: end, message: 'bye'}}  # said last
"""


def test_a_document_with_its_base_is_written_onto_that_versions_text(shared_world: World) -> None:
    t = shared_world.acme
    flow_id = t.fresh("base")
    text = COMMENTED.format(flow_id=flow_id)
    t.call("POST", f"{F}/{flow_id}/versions", json={"yaml": text})
    t.call("POST", f"{F}/{flow_id}/versions", json={"yaml": FLOW.replace("simple", flow_id)})
    document = t.call("GET", f"{F}/{flow_id}/versions/1")["document"]
    document["nodes"]["hello"]["text"] = "您好"
    del document["nodes"]["human"]
    document["nodes"]["hello"]["next"] = "bye"
    body = {"document": document, "base": 1}
    checked = t.call("POST", f"{F}/{flow_id}/check", json=body)
    expected = merge_document(text, document)
    assert checked == {"errors": [], "warnings": [], "yaml": expected, "comments": True}
    assert expected == (
        text[: text.index("  hello:")]
        + '  hello: {type: message, text: "您好", next: bye}     # short on purpose\n'
        + "\n"
        + "  bye: {type: end, message: 'bye'}  # said last\n"
    )
    saved = t.call("POST", f"{F}/{flow_id}/versions", json={**body, "note": "canvas"})
    stored = t.call("GET", f"{F}/{flow_id}/versions/{saved['version']}")
    assert stored["yaml"] == expected and stored["comments"] is True
    assert stored["document"] == document
    # the same document without a base (or named against the other version) is written anew
    anew = t.call("POST", f"{F}/{flow_id}/check", json={"document": document})
    assert anew["yaml"] == dump_flow(document) and anew["comments"] is False
    other = t.call("POST", f"{F}/{flow_id}/check", json={"document": document, "base": 2})
    assert other["yaml"] == merge_document(FLOW.replace("simple", flow_id), document)


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.name)
def test_a_shipped_flow_saved_with_its_base_keeps_its_text(shared_world: World, path: Path) -> None:
    t = shared_world.acme
    text = path.read_text(encoding="utf-8")
    original = LANGUAGE.parse(loads(text))
    _ensure_groups(t, original.groups())
    first = t.call("POST", f"{F}/{original.id}/versions", json={"yaml": text})
    document = t.call("GET", f"{F}/{original.id}/versions/{first['version']}")["document"]
    same = _upload(t, original.id, document=document, base=first["version"])
    assert same.status_code == 201, same.text
    stored = t.call("GET", f"{F}/{original.id}/versions/{same.json()['version']}")
    assert stored["yaml"] == text  # nothing changed: not a byte
    document["name"] = "改过的名字"
    moved = _upload(t, original.id, document=document, base=first["version"])
    stored = t.call("GET", f"{F}/{original.id}/versions/{moved.json()['version']}")
    assert stored["yaml"] == merge_document(text, document) and stored["comments"] is True
    assert stored["document"] == document and flow_document(stored["yaml"]) == document


def test_a_base_the_flow_does_not_have_is_refused(shared_world: World) -> None:
    acme, globex = shared_world.acme, shared_world.globex
    flow_id = acme.make_flow()  # versions 1 and 2 (a draft)
    document = acme.call("GET", f"{F}/{flow_id}/versions/2")["document"]
    acme.call("DELETE", f"{F}/{flow_id}/versions/2")
    cases = [
        (acme, flow_id, 2, "has no version 2"),  # deleted
        (acme, flow_id, 99, "has no version 99"),  # never made
        (acme, acme.make_flow(), 3, "has no version 3"),  # another flow's number
        (globex, flow_id, 1, "has no version 1"),  # another merchant's version
    ]
    for tenant, flow, base, message in cases:
        before = _versions(tenant, flow)
        for url in (f"{F}/{flow}/check", f"{F}/{flow}/versions"):
            body = {"document": {**document, "id": flow}, "base": base}
            response = tenant.client.post(url, headers=tenant.headers(), json=body)
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["type"] == "urn:chatflow:unknown_base"
            assert message in problem["detail"] and GLOBEX_MARKER not in response.text
            assert [e["path"] for e in problem["errors"]] == ["body.base"]
        assert _versions(tenant, flow) == before


def test_a_base_the_document_cannot_be_merged_onto_gives_the_dump(shared_world: World) -> None:
    t = shared_world.acme
    flow_id = t.fresh("anchor")
    # the two transfers share one mapping through an anchor: a change to one cannot be written
    text = FLOW.replace("simple", flow_id).replace("  human: {", "  human: &human {")
    text += "  other: *human\n"
    t.call("POST", f"{F}/{flow_id}/versions", json={"yaml": text})
    document = t.call("GET", f"{F}/{flow_id}/versions/1")["document"]
    document["nodes"]["other"]["next"] = "hello"
    assert merge_document(text, document) is None
    checked = t.call("POST", f"{F}/{flow_id}/check", json={"document": document, "base": 1})
    assert checked["yaml"] == dump_flow(document)
    saved = t.call("POST", f"{F}/{flow_id}/versions", json={"document": document, "base": 1})
    assert t.call("GET", f"{F}/{flow_id}/versions/{saved['version']}")["yaml"] == checked["yaml"]


def test_a_document_whose_yaml_is_too_large_is_refused(
    shared_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = shared_world.acme
    monkeypatch.setattr("chatflow.admin_api.flow_upload.MAX_BYTES", 1000)
    document = {"id": "simple", "vars": {"many": [0] * 300}}
    assert len(json.dumps(document)) < 1000 < len(dump_flow(document))
    response = _upload(t, "simple", document=document)
    assert response.status_code == 413 and "at most 1000" in response.json()["detail"]


def test_a_viewer_reads_documents_and_the_schema_but_cannot_check_or_upload(
    shared_world: World,
) -> None:
    t = shared_world.acme
    flow_id = t.make_flow()
    document = t.call("GET", f"{F}/{flow_id}/versions/1", role="viewer")["document"]
    assert document["id"] == flow_id
    check = t.client.post(
        f"{F}/{flow_id}/check", headers=t.headers("viewer"), json={"document": document}
    )
    upload = _upload(t, flow_id, role="viewer", document=document)
    assert check.status_code == upload.status_code == 403
    assert check.headers["content-type"] == "application/problem+json"
    assert _versions(t, flow_id) == 2
    schema = t.client.get("/api/v1/admin/flow-schema", headers=t.headers("viewer"))
    assert schema.status_code == 200
    nobody = t.client.get("/api/v1/admin/flow-schema", headers=t.headers("nobody"))
    assert nobody.status_code == 403


def test_another_merchants_flow_stays_hidden(shared_world: World) -> None:
    acme, globex = shared_world.acme, shared_world.globex
    flow_id = acme.make_flow()
    foreign = globex.client.get(f"{F}/{flow_id}/versions/1", headers=globex.headers())
    missing = globex.client.get(f"{F}/{flow_id}x/versions/1", headers=globex.headers())
    assert foreign.status_code == missing.status_code == 404
    # a check is about the caller's own flow of that id: the caller's groups, nothing of acme's
    text = FLOW.replace("id: simple", f"id: {flow_id}").replace(
        "group: support", "group: acme_sales"
    )
    checked = globex.client.post(
        f"{F}/{flow_id}/check", headers=globex.headers(), json={"yaml": text}
    )
    assert checked.status_code == 200
    [error] = checked.json()["errors"]
    assert error["path"] == "$.nodes.human.group" and "globex_sales" in error["message"]
    mine = acme.client.post(
        f"{F}/{flow_id}/check",
        headers=acme.headers(),
        json={"yaml": text.replace("acme_sales", "globex_sales")},
    )
    assert GLOBEX_MARKER not in mine.text and "acme_sales" in mine.json()["errors"][0]["message"]


def test_the_flow_schema_is_the_committed_one(shared_world: World) -> None:
    t = shared_world.acme
    response = t.client.get("/api/v1/admin/flow-schema", headers=t.headers())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    committed = (ROOT / "schemas" / "flow.schema.json").read_text(encoding="utf-8")
    assert response.text == committed
    assert response.json()["properties"]["start"]["x-node-ref"] is True
