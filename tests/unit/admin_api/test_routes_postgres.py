"""Every route test built on ``records_kit`` again, with the records database on PostgreSQL.

The kit's app gets ``--database`` pointing at a fresh schema per test (the ``postgres_url``
fixture): listing filters, searches (LIKE / ILIKE), JSON columns, time ranges and exports run
the same queries as on SQLite. New kit-based route test modules are picked up by name.
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Any

import pytest
import records_kit
from records_kit import kit_fixture  # noqa: F401  (the fixture "kit", moved to PostgreSQL below)

from chatflow.admin_api.settings import ServeSettings

for _path in sorted(Path(__file__).parent.glob("test_routes_*.py")):
    if _path.stem == Path(__file__).stem or "records_kit" not in _path.read_text("utf-8"):
        continue
    _module = importlib.import_module(_path.stem)
    for _name, _test in vars(_module).items():
        if _name.startswith("test_") and callable(_test):
            globals()[f"test_{_path.stem[12:]}__{_name[5:]}"] = _test


@pytest.fixture(autouse=True)
def _on_postgres(monkeypatch: pytest.MonkeyPatch, postgres_url: str) -> None:
    def settings_on_postgres(**fields: Any) -> ServeSettings:
        return dataclasses.replace(ServeSettings(**fields), database_url=postgres_url)

    monkeypatch.setattr(records_kit, "ServeSettings", settings_on_postgres)
