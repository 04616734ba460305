"""The records queries on both databases: keyset paging, search, scope (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from chatflow.admin_api.auth import Principal
from chatflow.admin_api.permissions import Actor
from chatflow.admin_api.recordquery import (
    RecordFilter,
    count_records,
    iter_records,
    page_records,
    record_clauses,
)
from chatflow.engine.stats import StatsBuilder
from chatflow.engine.stores.contenttables import VisitorRow
from chatflow.engine.stores.recordsdb import (
    ConversationRow,
    MerchantRow,
    MessageRow,
    create_tables,
    records_engine,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)
POSTGRES = os.environ.get(
    "CHATFLOW_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_engine() -> Iterator[Engine]:
    try:
        import psycopg

        libpq = "postgresql://" + POSTGRES.split("://", 1)[1]
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(libpq, autocommit=True, connect_timeout=2) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except Exception as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"PostgreSQL is required under CI=true: {exc}")
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    engine = records_engine(f"{POSTGRES}?options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        made = records_engine(f"sqlite:///{tmp_path / 'records.sqlite3'}")
        try:
            create_tables(made)
            yield made
        finally:
            made.dispose()
    else:
        for made in _postgres_engine():
            create_tables(made)
            yield made


def actor(
    account: str = "owner01", scope: str = "all", groups: frozenset[str] = frozenset()
) -> Actor:
    return Actor(Principal(1, account, "acme", "admin", "O", "1"), {}, None, scope, groups)


def seed(engine: Engine) -> None:
    with Session(engine) as db:
        db.add_all([MerchantRow(id="acme"), MerchantRow(id="other")])
        db.commit()
        for n in range(10):
            at = T0 + timedelta(hours=n // 3)  # three conversations share each start time
            agent = "alice_01" if n % 2 else "bob01"
            db.add(
                ConversationRow(
                    session_id=f"s{n:02d}",
                    merchant_id="acme",
                    site_key="acme-web",
                    visitor_id=f"v{n}",
                    flow_id="f",
                    status="ended",
                    group_id="presales" if n < 5 else "vip",
                    agent_account=agent,
                    agents=[agent],
                    started_at=at,
                    queued_at=at,
                    first_ring_at=at + timedelta(seconds=1),
                    agent_joined_at=at + timedelta(seconds=2),
                    ended_at=at + timedelta(seconds=137),
                    rating=n % 5 + 1,
                )
            )
            db.add(
                MessageRow(
                    session_id=f"s{n:02d}",
                    merchant_id="acme",
                    seq=1,
                    sender="visitor",
                    text=f"Order {n} 退款 50%",
                    at=at,
                )
            )
        db.add(
            ConversationRow(
                session_id="x1",
                merchant_id="other",
                site_key="other-web",
                visitor_id="v1",
                flow_id="f",
                started_at=T0,
                agent_account="alice01",
            )
        )
        db.add(VisitorRow(merchant_id="acme", visitor_id="v3", name="Wang XiaoMing"))
        db.commit()


WHOLE = RecordFilter(start=T0 - timedelta(days=1), end=T0 + timedelta(days=1))


def test_keyset_batches_return_each_record_once_newest_first_across_ties(engine: Engine) -> None:
    seed(engine)
    batches = list(iter_records(engine, actor(), WHOLE, batch=4))
    assert [len(b) for b in batches] == [4, 4, 2]
    ids = [r.session_id for b in batches for r in b]
    assert ids == ["s09", "s08", "s07", "s06", "s05", "s04", "s03", "s02", "s01", "s00"]
    assert list(iter_records(engine, actor(), WHOLE, batch=5))[-1][-1].session_id == "s00"
    first = batches[-1][-1]
    assert first.started_at == T0 and first.agents == ["bob01"]  # aware UTC, JSON decoded
    with Session(engine) as db:
        paged = page_records(db, record_clauses(actor(), WHOLE), limit=3, offset=3)
    assert [r.session_id for r in paged] == ["s06", "s05", "s04"]


def test_search_is_case_insensitive_and_literal(engine: Engine) -> None:
    seed(engine)

    def found(q: str) -> int:
        wanted = RecordFilter(start=WHOLE.start, end=WHOLE.end, q=q)
        with Session(engine) as db:
            return count_records(db, record_clauses(actor(), wanted))

    assert found("order 3") == 1 and found("ORDER") == 10 and found("退款") == 10
    assert found("xiaoming") == 1  # the visitor profile
    assert found("0%") == 10 and found("5_%") == 0  # % and _ are literal


def test_agent_scope_reads_the_json_list_of_agents(engine: Engine) -> None:
    seed(engine)
    with Session(engine) as db:
        mine = count_records(db, record_clauses(actor("alice_01", "self"), WHOLE))
        # "alice_01" must not match "aliceX01": the underscore is escaped in the JSON LIKE
        near = count_records(db, record_clauses(actor("alice01", "self"), WHOLE))
        group = count_records(
            db, record_clauses(actor("nobody", "groups", frozenset({"vip"})), WHOLE)
        )
    assert (mine, near, group) == (5, 0, 5)


def test_statistics_over_the_batches(engine: Engine) -> None:
    seed(engine)
    stats = StatsBuilder()
    for batch in iter_records(engine, actor(), WHOLE, batch=3):
        stats.extend(batch)
    total = stats.total()
    assert total.conversations == 10 and str(total.reception_minutes) == "2.3"  # 135 s
    assert str(total.first_response_seconds) == "1.0"
