from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from chatflow.engine.frames import Frame
from chatflow.engine.records import Channel, Recorder, first_response_seconds
from chatflow.engine.stores.recordsdb import (
    ConversationRow,
    MessageRow,
    create_tables,
    records_engine,
)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def engine() -> Iterator[Engine]:
    eng = records_engine("sqlite://")
    create_tables(eng)
    yield eng
    eng.dispose()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def message(seq: int, sender: str, text: str, seconds: float) -> Frame:
    return Frame(seq, "message", {"from": sender, "text": text}, at(seconds).isoformat())


def test_timing_and_transcript_of_a_served_conversation(engine: Engine) -> None:
    rec = Recorder(engine)
    rec.started("s1", merchant="acme", site="acme-web", visitor="v1", flow="presales", at=T0)
    rec.frames("s1", [message(1, "bot", "您好", 0), message(2, "visitor", "3", 5)])
    rec.queued("s1", "presales", at(6))
    rec.rang("s1", "alice01", at(7))
    rec.rang("s1", "bob0001", at(22))  # a re-offer does not move the first ring
    rec.joined("s1", "alice01", at(30))
    rec.frames("s1", [message(3, "agent", "您好，我是 Alice", 40)], agent="alice01")
    rec.frames("s1", [message(3, "agent", "您好，我是 Alice", 40)], agent="alice01")  # replayed
    rec.service_ended("s1", "seat", at(100))
    with Session(engine) as db:  # the flow's survey runs: with the bot again, not the agent
        surveying = db.get(ConversationRow, "s1")
        assert surveying is not None and surveying.status == "bot"
    rec.rated("s1", 5)
    rec.frames("s1", [Frame(4, "ended", {"reason": "flow"}, at(101).isoformat())])
    with Session(engine) as db:
        row = db.get(ConversationRow, "s1")
        lines = db.exec(select(MessageRow).order_by(MessageRow.seq)).all()
    assert row is not None
    assert (row.status, row.closed_by, row.rating, row.abandoned) == ("ended", "seat", 5, False)
    assert first_response_seconds(row) == 23.0
    assert row.first_agent_reply_at is not None and row.agents == ["alice01"]
    assert [(m.seq, m.sender, m.agent_account) for m in lines] == [
        (1, "bot", None),
        (2, "visitor", None),
        (3, "agent", "alice01"),
    ]


def test_leaving_the_queue_is_abandoned(engine: Engine) -> None:
    rec = Recorder(engine)
    rec.started("s2", merchant="acme", site="acme-web", visitor="v2", flow="presales", at=T0)
    rec.queued("s2", "presales", at(1))
    rec.frames("s2", [Frame(1, "ended", {"reason": "visitor"}, at(60).isoformat())])
    with Session(engine) as db:
        row = db.get(ConversationRow, "s2")
    assert row is not None and row.abandoned and row.end_reason == "visitor"
    assert first_response_seconds(row) is None


def test_reception_time_runs_to_the_end_of_the_service_not_of_the_survey(engine: Engine) -> None:
    from chatflow.engine.stats import reception_micros

    rec = Recorder(engine)
    rec.started("s3", merchant="acme", site="acme-web", visitor="v3", flow="presales", at=T0)
    rec.joined("s3", "alice01", at(60))
    rec.service_ended("s3", "seat", at(180))
    rec.frames(
        "s3", [Frame(1, "ended", {"reason": "flow"}, at(900).isoformat())]
    )  # survey took long
    with Session(engine) as db:
        row = db.get(ConversationRow, "s3")
    assert row is not None and reception_micros(row) == 120_000_000


def test_an_agent_line_is_recorded_as_written_by_its_frames_author(engine: Engine) -> None:
    rec = Recorder(engine)
    rec.started("s2", merchant="acme", site="acme-web", visitor="v2", flow="presales", at=T0)
    mine = Frame(1, "message", {"from": "agent", "text": "好的"}, T0.isoformat(), "bob0001")
    rec.frames("s2", [mine], agent="alice01")  # the frame's author wins over the fallback
    with Session(engine) as db:
        line = db.exec(select(MessageRow).where(MessageRow.session_id == "s2")).one()
    assert line.agent_account == "bob0001"
    assert "bob0001" not in mine.dumps() and "author" not in mine.to_json()  # never to visitors


def test_transcript_times_are_stored_exactly_as_the_orm_stores_them(engine: Engine) -> None:
    """Lines go to the database by driver-level executemany: their ``at`` must be the very value
    the ORM writes (SQLite keeps text, so a different format would sort and compare wrongly)."""
    rec = Recorder(engine)
    rec.started("s1", merchant="acme", site="acme-web", visitor="v1", flow="presales", at=T0)
    beijing = timezone(timedelta(hours=8))
    moments = [T0, T0.astimezone(beijing) + timedelta(microseconds=250)]  # whole second, offset
    rec.frames("s1", [Frame(n, "message", {"from": "bot", "text": "hi"}, m.isoformat())
                      for n, m in enumerate(moments, 1)])  # fmt: skip
    with Session(engine) as db:
        for n, moment in enumerate(moments, 101):
            db.add(MessageRow(session_id="orm", merchant_id="acme", seq=n, sender="bot",
                              text="hi", at=moment))  # fmt: skip
        db.commit()
        raw = db.connection().exec_driver_sql("SELECT session_id, at FROM message ORDER BY seq")
        stored = [row[1] for row in raw]
        lines = db.exec(select(MessageRow).where(MessageRow.session_id == "s1")).all()
    assert stored[:2] == stored[2:]
    assert [line.at for line in sorted(lines, key=lambda m: m.seq)] == moments


def test_an_image_is_a_readable_line_that_names_the_image(engine: Engine) -> None:
    """Image messages carry ``image`` (its URL) and no ``text``: the line must not be blank."""
    rec = Recorder(engine)
    rec.started("s1", merchant="acme", site="acme-web", visitor="v1", flow="presales", at=T0)
    url = "/api/v1/images/" + "a" * 43
    mine = "/api/v1/images/" + "b" * 43
    rec.frames(
        "s1",
        [
            Frame(1, "message", {"from": "visitor", "image": url, "id": "c-1"}, T0.isoformat()),
            Frame(2, "message", {"from": "agent", "image": mine}, at(5).isoformat(), "alice01"),
            message(3, "visitor", "收到", 6),
        ],
    )
    with Session(engine) as db:
        lines = db.exec(select(MessageRow).order_by(MessageRow.seq)).all()
    assert [(m.sender, m.agent_account, m.text) for m in lines] == [
        ("visitor", None, f"[图片] {url}"),
        ("agent", "alice01", f"[图片] {mine}"),
        ("visitor", None, "收到"),
    ]


def test_a_survey_is_a_bot_line_that_keeps_its_scale(engine: Engine) -> None:
    """The survey's invitation is a line too (its prompt), so the visitor's "2" after it reads as
    a rating; its scale rides beside it, the same whether the ORM or the batch writes it."""
    rec = Recorder(engine)
    rec.started("s1", merchant="acme", site="acme-web", visitor="v1", flow="presales", at=T0)
    scale = {"style": "number", "levels": 3, "labels": ["差", "一般", "好"]}
    survey = Frame(1, "survey", {**scale, "prompt": "请评价本次服务"}, T0.isoformat())
    rec.frames("s1", [survey, message(2, "visitor", "2", 5)])
    with Session(engine) as db:
        db.add(MessageRow(session_id="orm", merchant_id="acme", seq=1, sender="bot", text="x"))
        db.commit()
        lines = db.exec(select(MessageRow).where(MessageRow.session_id == "s1")).all()
        raw = db.connection().exec_driver_sql("SELECT survey FROM message ORDER BY id")
        stored = [row[0] for row in raw]  # the survey, the visitor's "2", the ORM's line
    assert [(m.seq, m.sender, m.text, m.survey) for m in sorted(lines, key=lambda m: m.seq)] == [
        (1, "bot", "请评价本次服务", scale),
        (2, "visitor", "2", None),
    ]
    # a line without a survey holds SQL NULL (not JSON null), however it was written
    assert stored[0] is not None and stored[1:] == [None, None]


def test_a_transfer_names_the_new_group_and_keeps_the_first_times(engine: Engine) -> None:
    rec = Recorder(engine)
    rec.started("s1", merchant="acme", site="acme-web", visitor="v1", flow="presales", at=T0)
    rec.queued("s1", "presales", at(6))
    rec.joined("s1", "alice01", at(30))
    rec.transferred("s1", "vip", at(60))  # alice hands it to the vip group's queue
    with Session(engine) as db:
        moved = db.get(ConversationRow, "s1")
    assert moved is not None and (moved.group_id, moved.status) == ("vip", "queued")
    assert moved.agent_account == "alice01"  # held it last, until a vip agent joins
    rec.joined("s1", "bob0001", at(90))
    rec.frames("s1", [Frame(1, "ended", {"reason": "flow"}, at(200).isoformat())])
    rec.transferred("s1", "presales", at(210))  # too late: an ended record keeps its group
    with Session(engine) as db:
        row = db.get(ConversationRow, "s1")
    assert row is not None
    assert (row.group_id, row.status, row.agent_account) == ("vip", "ended", "bob0001")
    assert (row.queued_at, row.agent_joined_at) == (at(6), at(30))
    assert row.agents == ["alice01", "bob0001"] and not row.abandoned


def test_leaving_the_new_groups_queue_is_abandoned_there(engine: Engine) -> None:
    rec = Recorder(engine)
    rec.started("s1", merchant="acme", site="acme-web", visitor="v1", flow="presales", at=T0)
    rec.queued("s1", "presales", at(6))
    rec.transferred("s1", "vip", at(30))  # an admin moved it before anyone took it
    rec.frames("s1", [Frame(1, "ended", {"reason": "visitor"}, at(60).isoformat())])
    with Session(engine) as db:
        row = db.get(ConversationRow, "s1")
    assert row is not None and (row.group_id, row.abandoned) == ("vip", True)


def test_a_second_queueing_keeps_the_first_one(engine: Engine) -> None:
    """A flow's second transfer node queues the conversation again after a first service: the
    queue wait still runs from the first queueing to the first join, never below zero."""
    from chatflow.engine.stats import queue_wait_micros

    rec = Recorder(engine)
    rec.started("s1", merchant="acme", site="acme-web", visitor="v1", flow="presales", at=T0)
    rec.queued("s1", "presales", at(6))
    rec.joined("s1", "alice01", at(30))
    rec.service_ended("s1", "seat", at(90))
    rec.queued("s1", "vip", at(120))  # the flow goes on to another transfer node
    with Session(engine) as db:
        row = db.get(ConversationRow, "s1")
    assert row is not None and (row.group_id, row.status) == ("vip", "queued")
    assert (row.queued_at, row.agent_joined_at) == (at(6), at(30))
    assert queue_wait_micros(row) == 24_000_000


def test_reception_counts_each_agents_service_not_the_wait_between(engine: Engine) -> None:
    """Alice serves 60 s, hands the visitor to the vip queue, where Bob joins after 60 s and
    serves 90 s: the reception time is 150 s, not the 210 s from Alice's join to Bob's end."""
    from chatflow.engine.stats import reception_micros

    rec = Recorder(engine)
    rec.started("s1", merchant="acme", site="acme-web", visitor="v1", flow="presales", at=T0)
    rec.queued("s1", "presales", at(6))
    rec.joined("s1", "alice01", at(30))
    rec.transferred("s1", "vip", at(90))
    with Session(engine) as db:
        waiting = db.get(ConversationRow, "s1")
    assert waiting is not None and reception_micros(waiting) == 60_000_000  # served so far
    rec.joined("s1", "bob0001", at(150))
    with Session(engine) as db:
        serving = db.get(ConversationRow, "s1")
    assert serving is not None and reception_micros(serving) is None  # Bob is still at it
    rec.service_ended("s1", "seat", at(240))
    rec.frames("s1", [Frame(1, "ended", {"reason": "flow"}, at(300).isoformat())])
    with Session(engine) as db:
        row = db.get(ConversationRow, "s1")
    assert row is not None and reception_micros(row) == 150_000_000
    assert (row.agent_joined_at, row.service_ended_at, row.closed_by) == (at(30), at(240), "seat")


def test_a_transfer_to_an_agent_ends_the_first_agents_service_too(engine: Engine) -> None:
    from chatflow.engine.stats import reception_micros

    rec = Recorder(engine)
    rec.started("s1", merchant="acme", site="acme-web", visitor="v1", flow="presales", at=T0)
    rec.queued("s1", "presales", at(6))
    rec.joined("s1", "alice01", at(30))
    rec.transferred("s1", None, at(90))  # to Bob himself: rings him, the group stays
    rec.joined("s1", "bob0001", at(100))
    rec.service_ended("s1", "seat", at(130))
    with Session(engine) as db:
        row = db.get(ConversationRow, "s1")
    assert row is not None and row.group_id == "presales"
    assert reception_micros(row) == 90_000_000


def test_the_conversation_end_ends_a_service_nobody_ended(engine: Engine) -> None:
    """The runtime's end frame may be written before the queue's service end (both come from
    one save): the service then ends with the conversation, and counts once."""
    from chatflow.engine.stats import reception_micros

    rec = Recorder(engine)
    rec.started("s1", merchant="acme", site="acme-web", visitor="v1", flow="presales", at=T0)
    rec.queued("s1", "presales", at(6))
    rec.joined("s1", "alice01", at(30))
    rec.frames("s1", [Frame(1, "ended", {"reason": "visitor"}, at(90).isoformat())])
    rec.service_ended("s1", "client", at(90))
    with Session(engine) as db:
        row = db.get(ConversationRow, "s1")
    assert row is not None and reception_micros(row) == 60_000_000
    assert (row.closed_by, row.abandoned) == ("client", False)


def test_a_served_visitor_who_leaves_the_new_queue_is_not_abandoned(engine: Engine) -> None:
    """Abandoned means left without ever being served; a visitor Alice served, then handed to
    a queue they left, was served (and counted so), with Alice's minute as reception time."""
    from chatflow.engine.stats import StatsBuilder, reception_micros

    rec = Recorder(engine)
    rec.started("s1", merchant="acme", site="acme-web", visitor="v1", flow="presales", at=T0)
    rec.queued("s1", "presales", at(6))
    rec.joined("s1", "alice01", at(30))
    rec.transferred("s1", "vip", at(90))
    rec.frames("s1", [Frame(1, "ended", {"reason": "visitor"}, at(200).isoformat())])
    with Session(engine) as db:
        row = db.get(ConversationRow, "s1")
    assert row is not None and (row.status, row.group_id, row.abandoned) == ("ended", "vip", False)
    assert reception_micros(row) == 60_000_000
    total = StatsBuilder().extend([row]).total()
    assert (total.served, total.abandoned) == (1, 0)


def test_a_record_keeps_the_channel_its_conversation_came_through(engine: Engine) -> None:
    """(On PostgreSQL too: test_records_postgres.py.)"""
    rec = Recorder(engine)
    rec.started("web", merchant="acme", site="acme-web", visitor="v1", flow="f", at=T0)
    hook = Channel("webhook", "wechat-bridge")
    rec.started("im", merchant="acme", site="acme-web", visitor="v2", flow="f", at=T0, channel=hook)
    rec.run_batch(  # as the record writer batches a start with its first frames
        [
            ("started", ("im2",), {"merchant": "acme", "site": "acme-web", "visitor": "v3",
                                   "flow": "f", "at": T0, "channel": hook}),
            ("frames", ("im2", [message(1, "visitor", "hi", 1)]), {}),
        ]
    )  # fmt: skip
    with Session(engine) as db:
        kept = {
            row.session_id: (row.channel_type, row.channel_key)
            for row in db.exec(select(ConversationRow)).all()
        }
    assert kept == {
        "web": ("web", None),
        "im": ("webhook", "wechat-bridge"),
        "im2": ("webhook", "wechat-bridge"),
    }
