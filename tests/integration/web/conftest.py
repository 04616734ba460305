"""An app on the demo deployment, with a frozen clock inside business hours."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.clock import FrozenClock

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the demo deployment (so tests may edit it) with the shipped flows."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    config = (ROOT / "examples/demo/chatflow.yaml").read_text(encoding="utf-8")
    path = tmp_path / "chatflow.yaml"
    path.write_text(config.replace("flows: ../../flows", "flows: ./flows"), encoding="utf-8")
    return path


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock("2026-11-23T10:00:00+08:00")  # a Monday, inside the demo's hours


@pytest.fixture
def client(demo: Path, tmp_path: Path, clock: FrozenClock) -> Iterator[TestClient]:
    settings = ServeSettings(config=demo, data=tmp_path / "data")
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client
