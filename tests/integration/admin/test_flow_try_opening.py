"""The editor's Try started by an IM opening message: ``opening`` on POST /flows/{id}/try starts
the conversation the way a webhook/IM channel does (the visitor's first line, answered by no
node), and the try saved as a test carries it, so ``chatflow test`` replays the same
conversation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from admin_world import Tenant, World

from chatflow.admin_api.cli import main
from chatflow.engine.yamlsource import loads

F = "/api/v1/admin/flows"
NOW = "2026-11-23T10:00:00+08:00"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}

IM = """\
id: {flow_id}
start: hello
interrupts:
  - keywords: [human]
    goto: human
nodes:
  hello: {{type: message, text: "you wrote {{{{ sys.last_input }}}}", next: menu}}
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
    on_error: bye
  bye: {{type: end, message: bye}}
"""


def _try(t: Tenant, flow_id: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return t.client.post(
        f"{F}/{flow_id}/try", headers=t.headers() | (headers or {}), json={"now": NOW, **body}
    )


def test_the_opening_is_the_visitors_first_line_and_answers_nothing(shared_world: World) -> None:
    t = shared_world.acme
    flow_id = t.fresh("tryim")
    text = IM.format(flow_id=flow_id)
    response = _try(t, flow_id, yaml=text, opening="2")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["transcript"] == [
        "visitor: 2",
        "bot: you wrote 2",
        "bot: pick one",
        "     1. Human",
        "     2. Lookup",
    ]
    first = body["frames"][0]
    assert (first["type"], first["from"], first["text"]) == ("message", "visitor", "2")
    # "2" would choose Lookup; as the opening it chose nothing: no HTTP call, still at the menu
    assert (body["node"], body["status"], body["failed"]) == ("menu", "active", None)
    assert body["http_requests"] == []
    # the next message answers the menu
    steps = [{"user": "1"}]
    answered = _try(t, flow_id, yaml=text, opening="2", steps=steps).json()
    assert answered["transcript"][:2] == ["visitor: 2", "bot: you wrote 2"]
    assert "visitor: 1" in answered["transcript"] and answered["status"] == "queued"
    # an interrupt phrase as the opening still jumps, after the welcome
    jumped = _try(t, flow_id, yaml=text, opening="human").json()
    assert jumped["transcript"][:2] == ["visitor: human", "bot: you wrote human"]
    assert (jumped["node"], jumped["status"]) == ("human", "queued")
    # without an opening the flow starts on its own, as before
    plain = _try(t, flow_id, yaml=text).json()
    assert plain["transcript"][0] == "bot: you wrote " and "opening" not in plain["test_yaml"]


def test_the_try_saved_as_a_test_keeps_its_opening_and_passes(
    shared_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = shared_world.acme
    flow_id = t.fresh("tryim")
    text = IM.format(flow_id=flow_id)
    steps = [{"choice": "Human"}, {"agent_joins": {"staff_no": "7", "nickname": "Mei"}}]
    body = _try(t, flow_id, yaml=text, opening="退款", steps=steps).json()
    assert body["failed"] is None and body["transcript"][0] == "visitor: 退款"
    saved = body["test_yaml"]
    test = loads(saved).data
    assert test["opening"] == "退款" and "opening: 退款\n" in saved
    assert test["steps"][0] == {"bot": "you wrote 退款"}
    assert {"bot": "退款"} not in test["steps"], "no bot step matches the visitor's own line"
    assert test["steps"][-1] == {"expect": {"node": "human", "ended": False}}
    (tmp_path / f"{flow_id}.flow.yaml").write_text(text, encoding="utf-8")
    (tmp_path / f"{flow_id}.try.test.yaml").write_text(saved, encoding="utf-8")
    # the same test without its opening does not replay: the opening is what it starts on
    (tmp_path / f"{flow_id}.bare.test.yaml").write_text(
        saved.replace("opening: 退款\n", ""), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["test", f"{flow_id}.try.test.yaml"]) == 0
    assert main(["test", f"{flow_id}.bare.test.yaml"]) == 1


def test_a_blank_opening_is_refused_in_the_language_asked_for(shared_world: World) -> None:
    t = shared_world.acme
    flow_id = t.fresh("tryim")
    text = IM.format(flow_id=flow_id)
    for blank in ("", "  \n"):
        refused = _try(t, flow_id, yaml=text, opening=blank)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["type"] == "urn:chatflow:invalid_input"
        [error] = problem["errors"]
        assert error["path"] == "body.opening"
        assert error["message"] == (
            "'opening' must not be blank: write the visitor's first message, or leave "
            "'opening' out to start the flow on its own"
        )
    chinese = _try(t, flow_id, ZH, yaml=text, opening=" ").json()
    assert chinese["errors"][0]["message"] == (
        "'opening'（开场消息）不能为空：请写访客的第一条消息，或去掉 'opening' 让流程自行开始"
    )
    assert _try(t, flow_id, yaml=text, opening=None).status_code == 200
