"""An older records database gets the nullable columns newer code added (SQLite file)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from chatflow.engine.records import Recorder
from chatflow.engine.stores.recordsdb import ConversationRow, create_tables, records_engine

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


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
