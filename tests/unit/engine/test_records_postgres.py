"""test_records.py and test_directory.py again, with the records database on PostgreSQL.

Each test gets a fresh schema (the ``postgres_url`` fixture); the originals run on SQLite.
"""

from __future__ import annotations

from typing import Any

import pytest
import test_directory
import test_records
from sqlalchemy import Engine
from test_records import engine  # noqa: F401  (the fixture, built on PostgreSQL below)

from chatflow.engine.stores.recordsdb import records_engine

for _module in (test_records, test_directory):
    for _name, _test in vars(_module).items():
        if _name.startswith("test_") and callable(_test):
            globals()[f"test_{_module.__name__[5:]}__{_name[5:]}"] = _test


@pytest.fixture(autouse=True)
def _on_postgres(monkeypatch: pytest.MonkeyPatch, postgres_url: str) -> None:
    def on_postgres(_url: str, **kwargs: Any) -> Engine:
        return records_engine(postgres_url, **kwargs)

    monkeypatch.setattr(test_records, "records_engine", on_postgres)
