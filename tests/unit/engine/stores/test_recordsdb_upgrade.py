"""An older records database gets the nullable columns newer code added (SQLite and PostgreSQL),
and the conversations it holds keep their figures."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session

from chatflow.engine.frames import Frame
from chatflow.engine.records import Recorder, Visit
from chatflow.engine.stats import reception_micros
from chatflow.engine.stores.recordsdb import ConversationRow, create_tables, records_engine

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SEGMENT_COLUMNS = ("segment_started_at", "served_micros")
"""What the records gained to count reception time per service segment (transfers)."""


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_an_older_database_gets_new_nullable_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    eng = records_engine(f"sqlite:///{path}")
    create_tables(eng)
    eng.dispose()
    with sqlite3.connect(path) as db:  # as an older version made it: without the column
        db.execute("ALTER TABLE conversation DROP COLUMN service_ended_at")
    eng = records_engine(f"sqlite:///{path}")
    create_tables(eng)
    rec = Recorder(eng)
    rec.started("s4", merchant="acme", site="acme-web", visitor="v4", flow="presales", at=T0)
    rec.service_ended("s4", "seat", T0)
    with Session(eng) as db:
        row = db.get(ConversationRow, "s4")
    eng.dispose()
    assert row is not None and row.service_ended_at is not None


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.sqlite3'}"
    postgres: str = request.getfixturevalue("postgres_url")
    return postgres


@pytest.fixture
def older(url: str) -> Iterator[Engine]:
    """A records database as the version before segments made it, holding two conversations:
    ``done`` (served and ended) and ``live`` (an agent serving it when the server stopped)."""
    eng = records_engine(url)
    create_tables(eng)
    with eng.begin() as connection:
        for column in SEGMENT_COLUMNS:
            connection.execute(text(f'ALTER TABLE conversation DROP COLUMN "{column}"'))
    eng.dispose()
    eng = records_engine(url)
    with eng.begin() as connection:
        for sid, status, ended in (("done", "ended", at(150)), ("live", "with_agent", None)):
            connection.execute(
                text(
                    "INSERT INTO conversation (session_id, merchant_id, site_key, visitor_id,"
                    " flow_id, status, group_id, agent_account, agents, started_at, queued_at,"
                    " agent_joined_at, service_ended_at, ended_at, abandoned) VALUES (:sid,"
                    " 'acme', 'acme-web', 'v', 'presales', :status, 'presales', 'alice01',"
                    " '[\"alice01\"]', :t0, :t0, :joined, :ended, :ended, false)"
                ),
                {"sid": sid, "status": status, "t0": T0, "joined": at(30), "ended": ended},
            )
    eng.dispose()
    eng = records_engine(url)
    yield eng
    eng.dispose()


def test_an_older_database_gets_the_segment_columns_and_keeps_its_figures(older: Engine) -> None:
    create_tables(older)  # what a newer version does at start
    have = {column["name"] for column in inspect(older).get_columns("conversation")}
    assert set(SEGMENT_COLUMNS) <= have
    rec = Recorder(older)
    # the conversation an agent served across the upgrade: transferred, served again, ended
    rec.transferred("live", "vip", at(90))
    rec.joined("live", "bob0001", at(120))
    rec.service_ended("live", "seat", at(180))
    rec.frames("live", [Frame(1, "ended", {"reason": "flow"}, at(200).isoformat())])
    with Session(older) as db:
        done, live = db.get(ConversationRow, "done"), db.get(ConversationRow, "live")
    assert done is not None and live is not None
    assert reception_micros(done) == 120_000_000  # as before: service end - join
    assert reception_micros(live) == 120_000_000  # Alice's 60 s before the transfer, Bob's 60 s
    assert (live.group_id, live.agent_account, live.agent_joined_at) == ("vip", "bob0001", at(30))


VISIT_COLUMNS = ("visitor_ip", "user_agent", "page_url", "page_title", "referrer")
"""What the records gained to say where a web visitor was (records.Visit)."""


def test_an_older_database_gets_the_visit_columns(url: str) -> None:
    eng = records_engine(url)
    create_tables(eng)
    with eng.begin() as connection:  # as the version before visits made it
        for column in VISIT_COLUMNS:
            connection.execute(text(f'ALTER TABLE conversation DROP COLUMN "{column}"'))
        connection.execute(
            text(
                "INSERT INTO conversation (session_id, merchant_id, site_key, visitor_id, flow_id,"
                " status, agents, started_at, abandoned) VALUES ('old', 'acme', 'acme-web', 'v',"
                " 'presales', 'ended', '[]', :t0, false)"
            ),
            {"t0": T0},
        )
    create_tables(eng)  # what a newer version does at start
    have = {column["name"] for column in inspect(eng).get_columns("conversation")}
    visit = Visit("203.0.113.9", "Mozilla/5.0", "https://shop.example.com/", "Shop", None)
    Recorder(eng).started(
        "new", merchant="acme", site="acme-web", visitor="v", flow="presales", at=T0, visit=visit
    )
    with Session(eng) as db:
        old, new = db.get(ConversationRow, "old"), db.get(ConversationRow, "new")
    eng.dispose()
    assert set(VISIT_COLUMNS) <= have
    assert old is not None and (old.visitor_ip, old.user_agent, old.page_url) == (None, None, None)
    assert new is not None and (new.visitor_ip, new.page_title) == ("203.0.113.9", "Shop")


CHANNEL_COLUMNS = ("channel_type", "channel_key")
"""What the records gained to say which channel a conversation came through."""


def test_older_records_get_the_channel_their_webhook_session_or_site_says(url: str) -> None:
    """A webhook conversation has its ``webhook_session`` row from its start to its deletion:
    the upgrade names its channel by it, and every other older record the web channel's."""
    eng = records_engine(url)
    create_tables(eng)
    with eng.begin() as connection:  # as the version before channels made it
        for column in CHANNEL_COLUMNS:
            connection.execute(text(f'ALTER TABLE conversation DROP COLUMN "{column}"'))
        for sid in ("old-web", "old-im"):
            connection.execute(
                text(
                    "INSERT INTO conversation (session_id, merchant_id, site_key, visitor_id,"
                    " flow_id, status, agents, started_at, abandoned) VALUES (:sid, 'acme',"
                    " 'acme-web', 'v', 'presales', 'ended', '[]', :t0, false)"
                ),
                {"sid": sid, "t0": T0},
            )
        connection.execute(
            text(
                "INSERT INTO webhook_session (session_id, channel_key, user_id, queued_seq,"
                " closed, created_at) VALUES ('old-im', 'wechat-bridge', 'u1', 0, false, :t0)"
            ),
            {"t0": T0},
        )
    create_tables(eng)  # what a newer version does at start
    Recorder(eng).started(
        "new", merchant="acme", site="acme-web", visitor="v", flow="presales", at=T0
    )
    with eng.begin() as connection:  # the backfill ran once: a start again leaves rows alone
        connection.execute(
            text("UPDATE conversation SET channel_type = NULL WHERE session_id = 'new'")
        )
    create_tables(eng)
    with Session(eng) as db:
        kept = {
            sid: (row.channel_type, row.channel_key)
            for sid in ("old-web", "old-im", "new")
            if (row := db.get(ConversationRow, sid)) is not None
        }
    eng.dispose()
    assert kept == {
        "old-web": ("web", None),
        "old-im": ("webhook", "wechat-bridge"),
        "new": (None, None),
    }


IMAGE_INDEXES = {"uq_image_visitor_client", "uq_image_agent_client"}


def image_row(image_id: str, client_id: str) -> dict[str, object]:
    return {
        "id": image_id, "session_id": "s1", "merchant_id": "acme", "sender": "visitor",
        "agent_id": None, "content_type": "image/png", "size": 1, "sha256": "x",
        "client_id": client_id, "created_at": T0,
    }  # fmt: skip


def drop_image_indexes(eng: Engine) -> None:
    with eng.begin() as db:  # as an older version made it: without the unique indexes
        for name in IMAGE_INDEXES:
            db.execute(text(f"DROP INDEX {name}"))


def test_an_older_database_gets_the_new_unique_indexes(url: str) -> None:
    eng = records_engine(url)
    create_tables(eng)
    drop_image_indexes(eng)
    create_tables(eng)
    names = {index["name"] for index in inspect(eng).get_indexes("image")}
    eng.dispose()
    assert names >= IMAGE_INDEXES


def test_rows_that_break_a_new_unique_index_are_kept_and_the_index_left_out(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    eng = records_engine(url)
    create_tables(eng)
    drop_image_indexes(eng)
    insert = text(
        "INSERT INTO image (id, session_id, merchant_id, sender, agent_id, content_type, size,"
        " sha256, client_id, created_at) VALUES (:id, :session_id, :merchant_id, :sender,"
        " :agent_id, :content_type, :size, :sha256, :client_id, :created_at)"
    )
    with eng.begin() as db:  # two resends that raced before the index existed
        db.execute(insert, [image_row("i1", "same"), image_row("i2", "same")])
    create_tables(eng)  # starts anyway
    names = {index["name"] for index in inspect(eng).get_indexes("image")}
    with eng.connect() as db:
        kept = db.execute(text("SELECT count(*) FROM image")).scalar_one()
    eng.dispose()
    assert "uq_image_visitor_client" not in names and "uq_image_agent_client" in names
    assert kept == 2
    assert any(r.getMessage() == "records.index_not_created" for r in caplog.records)
