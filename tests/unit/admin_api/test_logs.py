from __future__ import annotations

import logging

from chatflow.admin_api.logs import KeyValueFormatter


def test_structured_fields_follow_the_event_name() -> None:
    record = logging.LogRecord(
        "chatflow.engine", logging.INFO, "x.py", 1, "engine.step", None, None
    )
    record.session_id = "s1"
    record.node_id = "menu"
    record.note = "two words"
    line = KeyValueFormatter("%(message)s").format(record)
    assert line == "engine.step node_id=menu note='two words' session_id=s1"
