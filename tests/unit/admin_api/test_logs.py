from __future__ import annotations

import logging

from chatflow.admin_api.logs import ClientLines, KeyValueFormatter
from chatflow.engine.config import Privacy


def test_structured_fields_follow_the_event_name() -> None:
    record = logging.LogRecord(
        "chatflow.engine", logging.INFO, "x.py", 1, "engine.step", None, None
    )
    record.session_id = "s1"
    record.node_id = "menu"
    record.note = "two words"
    line = KeyValueFormatter("%(message)s").format(record)
    assert line == "engine.step node_id=menu note='two words' session_id=s1"


def uvicorn_line(name: str, msg: str, *args: object) -> str:
    """A line as uvicorn logs it, once the privacy filter has seen it."""
    record = logging.LogRecord(name, logging.INFO, "h11_impl.py", 1, msg, args, None)
    assert ClientLines(Privacy(visitor_ip="masked")).filter(record)
    return record.getMessage()


def test_client_lines_keep_the_network_and_redact_tokens() -> None:
    access = '%s - "%s %s HTTP/%s" %d'
    assert (
        uvicorn_line("uvicorn.access", access, "203.0.113.77:5123", "GET", "/chat/acme", "1.1", 200)
        == '203.0.113.0:5123 - "GET /chat/acme HTTP/1.1" 200'
    )
    path = "/api/v1/images/x?visitor_token=abc.def&after=3"
    assert uvicorn_line("uvicorn.access", access, "2001:db8:85a3:8d3:1319:8a2e:370:7348:443",
                        "GET", path, "1.1", 200) == (
        '2001:db8:85a3:::443 - "GET /api/v1/images/x?visitor_token=[redacted]&after=3 HTTP/1.1" 200'
    )  # fmt: skip
    socket = '%s - "WebSocket %s" [accepted]'
    assert (
        uvicorn_line("uvicorn.error", socket, "198.51.100.9:40000", "/ws/visitor?token=v1.x.y")
        == '198.51.100.0:40000 - "WebSocket /ws/visitor?token=[redacted]" [accepted]'
    )
    # other lines pass untouched
    assert uvicorn_line("uvicorn.error", "Started server process [%d]", 42) == (
        "Started server process [42]"
    )


def test_visitor_ip_none_and_full() -> None:
    line = '%s - "%s %s HTTP/%s" %d'
    args = ("192.0.2.8:1000", "GET", "/ws/agent?token=t", "1.1", 101)
    for privacy, shown in ((Privacy(visitor_ip="none"), "-"), (Privacy(), "192.0.2.8:1000")):
        record = logging.LogRecord("uvicorn.access", logging.INFO, "", 1, line, args, None)
        ClientLines(privacy).filter(record)
        assert record.getMessage() == f'{shown} - "GET /ws/agent?token=[redacted] HTTP/1.1" 101'
