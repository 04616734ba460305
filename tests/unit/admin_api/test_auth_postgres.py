"""test_auth.py and test_app_auth.py again, with the records database on PostgreSQL.

Each test gets a fresh schema (the ``postgres_url`` fixture); the originals run on SQLite.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import test_app_auth
import test_auth
from sqlalchemy import Engine
from test_app_auth import client  # noqa: F401  (fixtures, moved to PostgreSQL below)
from test_auth import engine  # noqa: F401

from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.stores.recordsdb import records_engine

SKIP = {"test_failed_logins_are_throttled_per_account_then_per_ip"}
"""20 s of argon2 against in-process limiters: nothing in it touches the database differently."""

for _module in (test_auth, test_app_auth):
    for _name, _test in vars(_module).items():
        if _name.startswith("test_") and callable(_test) and _name not in SKIP:
            globals()[f"test_{_module.__name__[5:]}__{_name[5:]}"] = _test


@pytest.fixture(autouse=True)
def _on_postgres(monkeypatch: pytest.MonkeyPatch, postgres_url: str) -> None:
    def engine_on_postgres(_url: str, **kwargs: Any) -> Engine:
        return records_engine(postgres_url, **kwargs)

    def settings_on_postgres(**fields: Any) -> ServeSettings:
        return dataclasses.replace(ServeSettings(**fields), database_url=postgres_url)

    monkeypatch.setattr(test_auth, "records_engine", engine_on_postgres)
    monkeypatch.setattr(test_app_auth, "ServeSettings", settings_on_postgres)
