"""The records database behaves the same on SQLite and PostgreSQL (``records_url``)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import String, cast, text
from sqlmodel import Session, col, select

from chatflow.engine.stores.recordsdb import (
    ConversationRow,
    MerchantRow,
    SiteRow,
    create_tables,
    records_engine,
    startup_lock,
)

SHANGHAI = timezone(timedelta(hours=8))


def conversation(sid: str, **fields: object) -> ConversationRow:
    values: dict[str, object] = {
        "session_id": sid,
        "merchant_id": "acme",
        "site_key": "acme-web",
        "visitor_id": "v1",
        "flow_id": "presales",
    }
    values.update(fields)
    return ConversationRow.model_validate(values)


def test_aware_datetimes_come_back_in_utc_and_compare_as_instants(records_url: str) -> None:
    url = records_url
    if url.startswith("postgresql"):  # a server or role in another zone changes nothing
        url = url.replace("options=", "options=-ctimezone%3DAsia/Shanghai%20")
    engine = records_engine(url)
    try:
        create_tables(engine)
        started = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
        with Session(engine) as db:
            db.add(conversation("s1", started_at=started))
            db.add(conversation("s2", started_at=started + timedelta(hours=1)))
            db.commit()
        with Session(engine) as db:
            row = db.get(ConversationRow, "s1")
            assert row is not None
            assert row.started_at == started and row.started_at.utcoffset() == timedelta(0)
            since = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
            later = db.exec(select(ConversationRow).where(col(ConversationRow.started_at) >= since))
            assert [r.session_id for r in later] == ["s2"]
    finally:
        engine.dispose()


def test_json_columns_round_trip_and_match_as_text(records_url: str) -> None:
    engine = records_engine(records_url)
    try:
        create_tables(engine)
        with Session(engine) as db:
            db.add(MerchantRow(id="acme"))
            db.add(SiteRow(key="w", merchant_id="acme", flow_id="f", groups=["售前", "vip"]))
            db.add(conversation("s1", agents=["alice01", "bob_01"]))
            db.add(conversation("s2", agents=["bob0101"]))
            db.commit()
        with Session(engine) as db:
            site = db.get(SiteRow, "w")
            assert site is not None and site.groups == ["售前", "vip"]
            # records search: "served by" matches the JSON text of the agents list
            as_text = cast(col(ConversationRow.agents), String)
            found = db.exec(
                select(ConversationRow).where(as_text.like('%"bob\\_01"%', escape="\\"))
            )
            assert [r.session_id for r in found] == ["s1"]
    finally:
        engine.dispose()


def test_like_escapes_and_ilike_ignores_case(records_url: str) -> None:
    engine = records_engine(records_url)
    try:
        create_tables(engine)
        with Session(engine) as db:
            db.add(conversation("a", visitor_id="100%_Sure"))
            db.add(conversation("b", visitor_id="100xxSure"))
            db.commit()
        with Session(engine) as db:
            visitor = col(ConversationRow.visitor_id)
            exact = db.exec(select(ConversationRow).where(visitor.like("%0\\%\\_S%", escape="\\")))
            assert [r.session_id for r in exact] == ["a"]
            anycase = db.exec(
                select(ConversationRow).where(visitor.ilike("%sure")).order_by(visitor)
            )
            assert [r.session_id for r in anycase] == ["a", "b"]
    finally:
        engine.dispose()


def test_workers_creating_tables_at_once_take_turns(postgres_url: str) -> None:
    engines = [records_engine(postgres_url) for _ in range(3)]
    errors: list[BaseException] = []

    def start(engine_index: int) -> None:
        try:
            with startup_lock(engines[engine_index]):
                create_tables(engines[engine_index])  # re-entrant inside the lock
        except BaseException as exc:
            errors.append(exc)

    try:
        threads = [threading.Thread(target=start, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        with Session(engines[0]) as db:
            assert db.exec(select(MerchantRow)).all() == []
    finally:
        for engine in engines:
            engine.dispose()


@pytest.mark.parametrize("scheme", ["postgresql://", "postgres://"])
def test_plain_postgresql_urls_use_psycopg_3(scheme: str) -> None:
    engine = records_engine(f"{scheme}nobody@127.0.0.1:1/none")
    try:
        assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()


def test_the_postgresql_session_time_zone_is_utc(postgres_url: str) -> None:
    engine = records_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW timezone")).scalar() == "UTC"
    finally:
        engine.dispose()
