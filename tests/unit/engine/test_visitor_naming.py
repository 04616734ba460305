"""``content.name_visitor``: the name a channel gives a new conversation's visitor fills the
merchant's profile while it has no name, never replaces one, and two conversations of one
visitor starting at once (two workers) leave one profile. On SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from chatflow.engine.content import name_visitor
from chatflow.engine.stores.contenttables import VisitorRow
from chatflow.engine.stores.recordsdb import MerchantRow, create_tables, records_engine

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'records.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    eng = records_engine(url)
    create_tables(eng)
    with Session(eng) as db:
        db.add(MerchantRow(id="acme"))
        db.commit()
    yield eng
    eng.dispose()


def profiles(engine: Engine) -> list[tuple[str, str | None, datetime]]:
    with Session(engine) as db:
        rows = db.exec(select(VisitorRow).order_by(VisitorRow.visitor_id)).all()
        return [(r.visitor_id, r.name, r.updated_at) for r in rows]


def test_a_name_fills_an_empty_profile_and_never_replaces_one(engine: Engine) -> None:
    assert name_visitor(engine, "acme", "v-1", "王小明", AT)
    assert profiles(engine) == [("v-1", "王小明", AT)]
    later = datetime(2026, 11, 24, tzinfo=UTC)
    assert not name_visitor(engine, "acme", "v-1", "Someone else", later), "named already"
    with Session(engine) as db:  # a profile an agent made with a phone number and no name
        db.add(VisitorRow(merchant_id="acme", visitor_id="v-2", phone="0912", updated_at=AT))
        db.commit()
    assert name_visitor(engine, "acme", "v-2", "李四", later)
    assert profiles(engine) == [("v-1", "王小明", AT), ("v-2", "李四", later)]


def test_conversations_starting_at_once_leave_one_profile(engine: Engine) -> None:
    names = [f"name {i}" for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        named = list(pool.map(lambda n: name_visitor(engine, "acme", "v-9", n, AT), names))
    [(visitor, name, _at)] = profiles(engine)
    assert visitor == "v-9" and name in names
    assert named.count(True) == 1, "one of them named the visitor; the others found it named"
