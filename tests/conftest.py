"""Shared fixtures. Services (Redis, PostgreSQL) are required under CI=true, skipped otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (``@pytest.mark.anyio``) run on asyncio, the loop chatflow serves on."""
    return "asyncio"
