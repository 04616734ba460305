"""The editor's Try panel: POST /flows/{id}/try plays input steps on an unsaved flow."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from admin_world import FLOW, GLOBEX_MARKER, Tenant, World

from chatflow.engine.yamlsource import loads

F = "/api/v1/admin/flows"
NOW = "2026-11-23T10:00:00+08:00"

MENU = """\
id: {flow_id}
start: menu
settings: {{idle_timeout: 300, idle_message: still there?}}
nodes:
  menu:
    type: menu
    prompt: pick one
    options:
      - {{label: Human, next: human}}
      - {{label: Lookup, next: lookup}}
  human: {{type: transfer, group: support, on_no_agents: bye, next: bye}}
  lookup:
    type: http
    method: GET
    url: https://crm.example.com/score
    next: bye
    on_error: sorry
  sorry: {{type: message, text: "lookup failed", next: bye}}
  bye: {{type: end, message: bye}}
"""


def _try(t: Tenant, flow_id: str, role: str = "admin", **body: Any) -> Any:
    return t.client.post(f"{F}/{flow_id}/try", headers=t.headers(role), json=body)


def _versions(t: Tenant, flow_id: str) -> list[dict[str, Any]]:
    response = t.client.get(f"{F}/{flow_id}/versions", headers=t.headers())
    return list(response.json()) if response.status_code == 200 else []


def test_a_document_and_steps_answer_the_transcript_and_the_node(shared_world: World) -> None:
    t = shared_world.acme
    flow_id = t.fresh("try")
    document = loads(MENU.format(flow_id=flow_id)).data
    steps = [
        {"choice": "Human"},
        {"agent_joins": {"staff_no": "7", "nickname": "Mei"}},
        {"agent": "hello"},
    ]
    response = _try(t, flow_id, document=document, steps=steps, now=NOW, vars={"x": 1})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "frames",
        "transcript",
        "node",
        "status",
        "vars",
        "http_requests",
        "failed",
        "test_yaml",
    }
    assert body["transcript"] == [
        "bot: pick one",
        "     1. Human",
        "     2. Lookup",
        "visitor: Human",
        "[queue 0]",
        "bot: 您前面还有 0 位访客，请耐心等待。",
        "[agent joined 7 Mei]",
        "bot: 客服 Mei（工号 7）为您服务。",
        "agent: hello",
    ]
    assert (body["node"], body["status"], body["failed"]) == ("human", "with_agent", None)
    assert body["vars"]["x"] == 1 and body["http_requests"] == []
    assert body["frames"][0]["type"] == "message" and body["frames"][0]["at"].startswith(
        "2026-11-23T02:00:00"
    )
    test = loads(body["test_yaml"]).data
    assert (test["flow"], test["now"], test["vars"]) == (flow_id, NOW, {"x": 1})
    assert test["steps"][0] == {"bot": body["frames"][0]["text"]}
    assert _versions(t, flow_id) == []


def test_no_network_a_bad_choice_fails_and_the_default_now(shared_world: World) -> None:
    t = shared_world.acme
    flow_id = t.fresh("try")
    text = MENU.format(flow_id=flow_id)
    before = datetime.now(UTC).replace(microsecond=0)
    looked = _try(t, flow_id, yaml=text, steps=[{"user": "2"}]).json()
    assert looked["http_requests"] == [{"method": "GET", "url": "https://crm.example.com/score"}]
    assert "bot: lookup failed" in looked["transcript"] and looked["status"] == "ended"
    started = datetime.fromisoformat(loads(looked["test_yaml"]).data["now"])
    assert before <= started <= datetime.now(UTC)
    bad = _try(t, flow_id, yaml=text, steps=[{"choice": "Nope"}, {"choice": "Human"}]).json()
    assert bad["failed"] == {
        "step": 0,
        "message": 'expected an option button "Nope"; got options on offer: Human | Lookup',
    }
    assert bad["node"] == "menu" and "visitor: Human" not in bad["transcript"]
    idle = _try(t, flow_id, yaml=text, steps=[{"wait": 300}]).json()
    assert idle["transcript"][-2:] == ["system: still there?", "[ended idle]"]
    nobody = _try(t, flow_id, yaml=text, steps=[{"user": "1"}], groups_online=[]).json()
    assert nobody["node"] == "bye" and "[queue 0]" not in nobody["transcript"]


def test_an_invalid_flow_is_refused_like_an_upload(shared_world: World) -> None:
    t = shared_world.acme
    flow_id = t.fresh("try")
    document = loads(MENU.format(flow_id=flow_id)).data
    document["nodes"]["human"]["on_no_agents"] = "nowhere"
    response = _try(t, flow_id, document=document, steps=[{"user": "1"}])
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "urn:chatflow:invalid_flow"
    [error] = problem["errors"]
    assert (error["path"], error["code"]) == ("$.nodes.human.on_no_agents", "unknown-node")
    other_id = _try(t, f"{flow_id}x", yaml=MENU.format(flow_id=flow_id))
    assert [e["path"] for e in other_id.json()["errors"]] == ["$.id"]
    neither = _try(t, flow_id, steps=[])
    assert neither.status_code == 422 and neither.json()["type"] == "urn:chatflow:invalid_input"


def test_checks_bad_steps_and_unbounded_work_are_refused(shared_world: World) -> None:
    t = shared_world.acme
    flow_id = t.fresh("try")
    text = MENU.format(flow_id=flow_id)
    steps = [{"user": "1"}, {"bot": "pick one"}, {"wait": 2_000_000}, {"wait": 600_001}]
    refused = _try(t, flow_id, yaml=text, steps=steps)
    assert refused.status_code == 422 and refused.json()["type"] == "urn:chatflow:invalid_input"
    errors = refused.json()["errors"]
    assert [e["path"] for e in errors] == ["body.steps.1.bot", "body.steps.3.wait"]
    assert "save the try as a test" in errors[0]["message"]
    assert "at most 2592000 seconds (30 days)" in errors[1]["message"]
    two = _try(t, flow_id, yaml=text, steps=[{"user": "1", "choice": "Human"}])
    assert two.status_code == 422 and two.json()["errors"][0]["path"] == "body.steps.0"
    many = _try(t, flow_id, yaml=text, steps=[{"user": "x"}] * 201)
    assert many.status_code == 422 and many.json()["errors"][0]["path"] == "body.steps"
    naive = _try(t, flow_id, yaml=text, now="2026-11-23T10:00:00")
    assert naive.status_code == 422 and naive.json()["errors"][0]["path"] == "body.now"
    nan = t.client.post(
        f"{F}/{flow_id}/try",
        headers={**t.headers(), "content-type": "application/json"},
        content=b'{"yaml": "id: x", "vars": {"n": NaN}}',
    )
    assert nan.status_code == 422 and nan.json()["errors"][0]["path"] == "body.vars"


def test_a_viewer_may_not_try(shared_world: World) -> None:
    t = shared_world.acme
    flow_id = t.make_flow()
    text = FLOW.replace("id: simple", f"id: {flow_id}")
    viewer = _try(t, flow_id, role="viewer", yaml=text)
    assert viewer.status_code == 403
    assert viewer.headers["content-type"] == "application/problem+json"
    assert _try(t, flow_id, yaml=text).status_code == 200


def test_a_try_saves_nothing_and_sees_nothing_of_another_merchant(shared_world: World) -> None:
    acme, globex = shared_world.acme, shared_world.globex
    flow_id = acme.make_flow()
    versions = _versions(acme, flow_id)
    text = FLOW.replace("id: simple", f"id: {flow_id}")
    tried = text.replace("message: bye", "message: tried")
    mine = _try(acme, flow_id, yaml=tried, now=NOW, groups_online=[])
    assert mine.status_code == 200 and "bot: tried" in mine.json()["transcript"]
    theirs = _try(globex, flow_id, yaml=text, now=NOW)
    assert theirs.status_code == 200 and GLOBEX_MARKER not in theirs.text
    assert _versions(globex, flow_id) == [] and _versions(acme, flow_id) == versions
    # transfers are checked against the caller's own groups
    foreign = _try(globex, flow_id, yaml=text.replace("group: support", "group: acme_sales"))
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["path"] == "$.nodes.human.group"


def test_a_null_yaml_is_invalid_input_for_try_and_check(shared_world: World) -> None:
    t = shared_world.acme
    for route in ("try", "check"):
        response = t.client.post(f"{F}/simple/{route}", headers=t.headers(), json={"yaml": None})
        assert response.status_code == 422, (route, response.text)
        assert response.json()["type"] == "urn:chatflow:invalid_input"
