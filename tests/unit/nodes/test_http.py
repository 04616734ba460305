from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from chatflow.engine.effects import CallHttp, HttpRequest, SetVars
from chatflow.engine.events import HttpResult, TimerFired, VisitorText
from chatflow.nodes.http import lookup, parse_path

if TYPE_CHECKING:
    from conftest import Make, Session


def http(**fields: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "url": "https://crm.example.com/score?phone={{ phone }}",
        "next": "after",
        **fields,
    }


def sent(s: Session) -> HttpRequest:
    out = s.enter()
    assert out.waits
    (call,) = s.of(out, CallHttp)
    return call.request


def result(status: int | None = 200, body: Any = None, error: str | None = None) -> HttpResult:
    return HttpResult(key="http:1", status=status, body=body, error=error)


def test_enter_renders_url_headers_and_every_string_in_the_body(make: Make) -> None:
    s = make(
        http(
            method="PUT",
            headers={"Authorization": "Bearer {{ token }}", "X-Static": "1"},
            body={
                "Phonenumber": "{{ phone }}",
                "Session": "${SystemSessionId}",
                "nested": {"list": ["{{ name }}", 3, None, True, {"deep": "{{ phone }}"}]},
                "count": 2,
                "{{ not_a_key }}": "keys stay",
            },
            timeout=3,
            max_errors=2,
        ),
        variables={"phone": "13800138000", "token": "t0k", "name": "张三"},
        session_id="sess",
    )
    request = sent(s)
    assert request.method == "PUT"
    assert request.url == "https://crm.example.com/score?phone=13800138000"
    assert request.headers == {"Authorization": "Bearer t0k", "X-Static": "1"}
    assert request.json == {
        "Phonenumber": "13800138000",
        "Session": "sess",
        "nested": {"list": ["张三", 3, None, True, {"deep": "13800138000"}]},
        "count": 2,
        "{{ not_a_key }}": "keys stay",
    }
    assert (request.timeout, request.max_errors) == (3, 2)


def test_defaults_post_and_no_body(make: Make) -> None:
    request = sent(make(http(), variables={"phone": "1"}))
    assert request.method == "POST" and request.json is None and request.headers == {}
    assert (request.timeout, request.max_errors) == (5, 1)


def test_idempotency_key_is_per_visit_and_deterministic(make: Make) -> None:
    def key(seed: int) -> str:
        return sent(make(http(), session_id="s9", node_id="crm", seed=seed)).idempotency_key

    assert key(1).startswith("s9:crm:")
    assert key(1) == key(1)
    assert key(1) != key(2)
    s = make(http(), session_id="s9", node_id="crm")
    assert sent(s).idempotency_key != sent(s).idempotency_key  # a second visit, a new key


def test_visitor_data_in_variables_is_not_compiled(make: Make) -> None:
    request = sent(make(http(body={"q": "{{ q }}"}), variables={"q": "{{ 7 * 7 }}", "phone": ""}))
    assert request.json == {"q": "{{ 7 * 7 }}"}


def test_a_header_value_cannot_break_into_a_new_header(make: Make) -> None:
    s = make(http(headers={"X-Name": "{{ name }}"}), variables={"name": "a\r\nX-Evil: 1"})
    assert sent(s).headers == {"X-Name": "a X-Evil: 1"}


def test_success_maps_outputs_by_path_with_defaults(make: Make) -> None:
    s = make(
        http(
            outputs={
                "score": {"path": "Score", "default": 0},
                "city": {"path": "data.addr[0].city"},
                "last": {"path": "data.addr[-1].city"},
                "dotted": {"path": "data.addr.1.city"},
                "missing": {"path": "data.nope", "default": "n/a"},
                "nulled": {"path": "data.empty", "default": "d"},
                "whole": {"path": "data.addr[1]"},
            }
        )
    )
    s.enter()
    body = {
        "Score": "95",
        "data": {"addr": [{"city": "上海"}, {"city": "北京"}], "empty": None},
    }
    out = s.send(result(200, body))
    assert out.goto == "after"
    assert out.effects == (
        SetVars(
            {
                "score": "95",
                "city": "上海",
                "last": "北京",
                "dotted": "北京",
                "missing": "n/a",
                "nulled": "d",
                "whole": {"city": "北京"},
            }
        ),
    )


def test_success_without_outputs_sets_nothing(make: Make) -> None:
    s = make(http())
    s.enter()
    out = s.send(result(204, None))
    assert out.goto == "after" and out.effects == ()


def test_success_with_an_empty_body_gives_the_defaults(make: Make) -> None:
    s = make(http(outputs={"score": {"path": "Score", "default": 0}}))
    s.enter()
    assert s.send(result(204)).effects == (SetVars({"score": 0}),)


@pytest.mark.parametrize(
    "event",
    [
        result(None, error="timeout"),
        result(500, error="status 500"),
        result(200, error="not JSON"),
        result(None, error="blocked: private address"),
        result(302, {"Score": "1"}),
        result(None, None),
    ],
)
def test_failure_sets_defaults_and_goes_to_on_error(make: Make, event: HttpResult) -> None:
    s = make(http(outputs={"score": {"path": "Score", "default": 60}}, on_error="sorry"))
    s.enter()
    out = s.send(event)
    assert out.goto == "sorry" and out.effects == (SetVars({"score": 60}),)


def test_failure_without_on_error_continues_at_next(make: Make) -> None:
    s = make(http(outputs={"score": {"path": "Score"}}))
    s.enter()
    out = s.send(result(None, error="refused"))
    assert out.goto == "after" and out.effects == (SetVars({"score": None}),)


def test_a_request_that_cannot_be_rendered_is_not_sent(
    make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    s = make(
        http(
            body={"x": "{{ 1 / 0 }}"}, outputs={"score": {"path": "s", "default": 0}}, on_error="e"
        ),
        node_id="crm",
    )
    with caplog.at_level(logging.WARNING, logger="chatflow.nodes"):
        out = s.enter()
    assert out.goto == "e" and out.effects == (SetVars({"score": 0}),)
    (record,) = caplog.records
    assert record.getMessage() == "node.http_not_sent" and record.__dict__["node_id"] == "crm"
    assert s.ctx.render_failures == []  # no visitor fallback text went into a request


def test_other_events_are_ignored_while_waiting(make: Make) -> None:
    s = make(http())
    s.enter()
    for event in (VisitorText(key="v", text="hello"), TimerFired(key="t", name="x:timeout")):
        out = s.send(event)
        assert out.waits and out.effects == ()


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("Score", ("Score",)),
        ("a.b[0].c", ("a", "b", 0, "c")),
        ("[0].name", (0, "name")),
        ("items[-1]", ("items", -1)),
        ("m[0][1]", ("m", 0, 1)),
        ("items.0", ("items", "0")),
        ("名字.城市", ("名字", "城市")),
    ],
)
def test_paths_parse(path: str, steps: tuple[str | int, ...]) -> None:
    assert parse_path(path) == steps


@pytest.mark.parametrize("path", [".a", "a.", "a..b", "a[", "a[x]", "a[]", "a]b", "a[0]b"])
def test_malformed_paths_are_refused_in_the_config(node: Any, path: str) -> None:
    with pytest.raises(ValidationError, match="not a path into JSON"):
        node(http(outputs={"v": {"path": path}}))


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"a": 1}, "a.b"),
        ({"a": [1]}, "a[1]"),
        ({"a": [1]}, "a[-2]"),
        ({"a": {"0": 1}}, "a[0]"),
        ({"a": [1]}, "a.x"),
        ([1, 2], "a"),
        ("text", "a"),
        (None, "a"),
    ],
)
def test_lookup_misses_give_the_default(document: Any, path: str) -> None:
    assert lookup(document, path, "d") == "d"


def test_lookup_keeps_falsy_values() -> None:
    assert lookup({"a": 0, "b": False, "c": "", "d": []}, "a", 9) == 0
    assert lookup({"b": False}, "b", 9) is False
    assert lookup({"c": ""}, "c", 9) == ""


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"method": "FETCH"}, "method"),
        ({"timeout": 0}, "greater than 0"),
        ({"timeout": 61}, "less than or equal to 60"),
        ({"max_errors": 0}, "greater than or equal to 1"),
        ({"max_errors": 11}, "less than or equal to 10"),
        ({"url": ""}, "at least 1"),
        ({"outputs": {"v": {"path": ""}}}, "at least 1"),
    ],
)
def test_bad_config_is_refused(node: Any, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        node(http(**fields))
