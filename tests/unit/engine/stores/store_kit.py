"""Sessions, frames and timers for the store tests (the contract suite and the Redis-only one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chatflow.engine.frames import Frame
from chatflow.engine.session import Session, Timer

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def session(sid: str = "s1", *, version: int = 1, **fields: object) -> Session:
    made = Session(id=sid, flow_id="demo", flow_version="v1", node="ask", version=version)
    for name, value in fields.items():
        setattr(made, name, value)
    return made


def frames(first: int, count: int) -> list[Frame]:
    return [
        Frame(n, "message", {"from": "bot", "text": f"m{n}"}, T0.isoformat())
        for n in range(first, first + count)
    ]


def timer(name: str, seconds: float, tid: str = "1") -> Timer:
    return Timer(name, tid, T0 + timedelta(seconds=seconds), "ask")


OLDER_AGENT_LINE = (
    '{"type":"message","seq":2,"from":"agent","text":"您好","at":"2026-11-23T02:00:00+00:00"}'
)
"""An agent's line as the log kept it before it kept the author: the visitor's wire text."""
