"""The webhook outbox against an in-memory sender: order per session, signed bodies, bounded
retries, nothing marked delivered without a 2xx, and a restart that resumes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session as Db
from sqlmodel import col, select

from chatflow.channels.webhook_http import MemorySender, SendResult, Sent
from chatflow.channels.webhook_outbox import Destination, Outbox
from chatflow.channels.webhook_signing import verify
from chatflow.engine.clock import FrozenClock
from chatflow.engine.frames import Frame
from chatflow.engine.stores.channeltables import DeliveryRow, WebhookSessionRow
from chatflow.engine.stores.recordsdb import create_tables, records_engine

pytestmark = pytest.mark.anyio

SECRET = b"outbox-test-secret"
URL = "https://bridge.example/hook"


class Log:
    """A fake output log: frames per session, read like ``Runtime.outputs``."""

    def __init__(self) -> None:
        self.frames: dict[str, list[Frame]] = {}

    def add(self, sid: str, kind: str = "message", **body: Any) -> Frame:
        frames = self.frames.setdefault(sid, [])
        frame = Frame(len(frames) + 1, kind, body, "2026-11-23T02:00:00+00:00")  # type: ignore[arg-type]
        frames.append(frame)
        return frame

    async def read(self, sid: str, after: int, limit: int) -> list[Frame]:
        return [f for f in self.frames.get(sid, []) if f.seq > after][:limit]


@pytest.fixture
def records(tmp_path: Path) -> Iterator[Engine]:
    engine = records_engine(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    create_tables(engine)
    with Db(engine) as db:
        db.add(WebhookSessionRow(session_id="s1", channel_key="wx", user_id="u1"))
        db.add(WebhookSessionRow(session_id="s2", channel_key="wx", user_id="u2"))
        db.commit()
    yield engine
    engine.dispose()


def outbox(records: Engine, log: Log, sender: MemorySender, **options: Any) -> Outbox:
    options = {"backoff": lambda n: 0.01, "max_attempts": 3, **options}
    clock = options.pop("clock", FrozenClock("2026-11-23T10:00:00+08:00"))
    box = Outbox(
        records, log.read, {"wx": Destination("wx", URL, SECRET)}, sender, clock, **options
    )
    box.track("s1", "wx")
    box.track("s2", "wx")
    return box


def rows(records: Engine, sid: str = "s1") -> list[DeliveryRow]:
    with Db(records) as db:
        stmt = (
            select(DeliveryRow).where(DeliveryRow.session_id == sid).order_by(col(DeliveryRow.seq))
        )
        return list(db.exec(stmt).all())


def statuses(sender: MemorySender) -> list[tuple[str, int]]:
    out = []
    for sent in sender.sent:
        body = json.loads(sent.body)
        out.append((body["session_id"], body["seq"]))
    return out


def answers(*results: int | None) -> Any:
    """Answer in turn with these statuses (None = no answer), then 200 forever."""
    queue = list(results)

    async def answer(_: Sent) -> SendResult:
        status = queue.pop(0) if queue else 200
        if status is None:
            return SendResult(None, "refused")
        return SendResult(status, None if 200 <= status < 300 else f"status {status}")

    return answer


async def test_frames_go_out_signed_in_order_and_the_session_closes_after_ended(
    records: Engine,
) -> None:
    log, sender = Log(), MemorySender()
    box = outbox(records, log, sender)
    for text in ["one", "two", "three"]:
        box.on_frames("s1", [log.add("s1", **{"from": "bot", "text": text})])
    box.on_frames("s1", [log.add("s1", "ended", reason="flow")])
    box.on_frames("other", [log.add("other", text="not ours")])
    await box.drain()
    assert statuses(sender) == [("s1", 1), ("s1", 2), ("s1", 3), ("s1", 4)]
    first = sender.sent[0]
    assert verify(SECRET, first.body, first.headers["X-Chatflow-Signature"], 1_795_399_200) > 0
    assert first.headers["X-Chatflow-Delivery"] == "s1:1" and first.url == URL
    assert json.loads(first.body) == {
        "delivery_id": "s1:1",
        "channel": "wx",
        "user_id": "u1",
        "session_id": "s1",
        "seq": 1,
        "frame": {
            "type": "message",
            "seq": 1,
            "from": "bot",
            "text": "one",
            "at": log.frames["s1"][0].at,
        },
    }
    assert [(r.status, r.attempts, r.last_status) for r in rows(records)] == [
        ("delivered", 1, 200)
    ] * 4
    with Db(records) as db:
        meta = db.get(WebhookSessionRow, "s1")
        assert meta is not None and meta.closed and meta.queued_seq == 4
    await box.aclose()


async def test_failures_are_retried_and_a_2xx_finally_delivers(records: Engine) -> None:
    log, sender = Log(), MemorySender(answers(500, None))
    box = outbox(records, log, sender)
    box.on_frames("s1", [log.add("s1", text="a"), log.add("s1", text="b")])
    await box.drain()
    assert statuses(sender) == [("s1", 1), ("s1", 1), ("s1", 1), ("s1", 2)]
    assert [sent.headers["X-Chatflow-Attempt"] for sent in sender.sent] == ["1", "2", "3", "1"]
    first = rows(records)[0]
    assert (first.status, first.attempts, first.last_status, first.last_error) == (
        "delivered",
        3,
        200,
        None,
    )
    await box.aclose()


async def test_a_frame_that_keeps_failing_is_failed_never_delivered(records: Engine) -> None:
    log, sender = Log(), MemorySender(answers(503, 503, 503, 404))
    box = outbox(records, log, sender)
    box.on_frames("s1", [log.add("s1", text="a"), log.add("s1", text="b")])
    await box.drain()
    first, second = rows(records)
    assert (first.status, first.attempts, first.last_status, first.delivered_at) == (
        "failed",
        3,
        503,
        None,
    )
    assert first.last_error == "status 503"
    assert (second.status, second.attempts) == ("delivered", 2)  # 404 once, then 200
    await box.aclose()


async def test_a_refused_url_fails_at_once_and_a_sender_crash_delivers_nothing(
    records: Engine,
) -> None:
    async def blocked(_: Sent) -> SendResult:
        return SendResult(None, "blocked: 10.0.0.1 is private", final=True)

    log = Log()
    box = outbox(records, log, MemorySender(blocked))
    box.on_frames("s1", [log.add("s1", text="a")])
    await box.drain()
    assert [(r.status, r.attempts) for r in rows(records)] == [("failed", 1)]

    async def crash(_: Sent) -> SendResult:
        raise RuntimeError("bug")

    box2 = outbox(records, log, MemorySender(crash))
    box2.on_frames("s2", [log.add("s2", text="b")])
    await box2.drain()
    [row] = rows(records, "s2")
    assert (row.status, row.attempts, row.last_status) == ("failed", 3, None)
    assert "RuntimeError" in (row.last_error or "")
    await box.aclose()
    await box2.aclose()


async def test_a_restart_resumes_pending_and_unqueued_frames(records: Engine) -> None:
    log, down = Log(), MemorySender(answers(500))
    clock = FrozenClock("2026-11-23T10:00:00+08:00")
    first = outbox(records, log, down, clock=clock, backoff=lambda n: 3600.0)
    first.on_frames("s1", [log.add("s1", text="a")])
    while not down.sent:
        await _tick()
    await _tick()
    await first.aclose()  # the process stops while frame 1 waits an hour for its retry
    log.add("s1", text="b")  # saved, but the process died before its listener ran
    [row] = rows(records)
    assert (row.status, row.attempts, row.lease_until) == ("pending", 1, None)

    clock.advance(3600)
    up = MemorySender()
    second = outbox(records, log, up, clock=clock)
    await second.start()
    await second.drain()
    assert statuses(up) == [("s1", 1), ("s1", 2)]
    assert [(r.status, r.attempts) for r in rows(records)] == [("delivered", 2), ("delivered", 1)]
    await second.aclose()


async def test_frames_of_a_session_another_worker_started_are_found(records: Engine) -> None:
    log, sender = Log(), MemorySender()
    box = Outbox(
        records, log.read, {"wx": Destination("wx", URL, SECRET)}, sender, FrozenClock()
    )  # tracks nothing: s2 was started elsewhere
    box.on_frames("s2", [log.add("s2", text="from another worker")])
    box.on_frames("web-1", [log.add("web-1", text="a web session")])
    await box.drain()
    assert statuses(sender) == [("s2", 1)]
    assert "s2" in box.sessions and "web-1" not in box.sessions
    await box.aclose()


async def test_a_row_another_process_is_sending_is_left_alone(records: Engine) -> None:
    log, sender = Log(), MemorySender()
    box = outbox(records, log, sender)
    box.on_frames("s1", [log.add("s1", text="a")])
    await box.drain()
    with Db(records) as db:
        row = db.exec(select(DeliveryRow)).one()
        row.status, row.lease_until = "pending", 4_000_000_000.0
        db.add(row)
        db.commit()
    sender.sent.clear()
    box.wake("s1")
    await box.drain()
    assert sender.sent == []
    await box.aclose()


async def _tick() -> None:
    await asyncio.sleep(0.01)
