"""Shared fixtures. Services (Redis, PostgreSQL) are required under CI=true, skipped otherwise."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

REDIS_URL = os.environ.get("CHATFLOW_TEST_REDIS", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get(
    "CHATFLOW_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_checked: dict[str, str | None] = {}


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (``@pytest.mark.anyio``) run on asyncio, the loop chatflow serves on."""
    return "asyncio"


def require_service(name: str, problem: str | None) -> None:
    """A missing service fails the test under ``CI=true`` and skips it elsewhere."""
    if problem is None:
        return
    message = f"{name} is not reachable: {problem}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{message} (CI=true: services are required)", pytrace=False)
    pytest.skip(message)


def _redis_problem() -> str | None:
    if "redis" not in _checked:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
        try:
            client.ping()
            _checked["redis"] = None
        except redis.RedisError as exc:
            _checked["redis"] = f"{REDIS_URL}: {exc}"
        finally:
            client.close()
    return _checked["redis"]


def _postgres_problem() -> str | None:
    if "postgres" not in _checked:
        try:
            import psycopg

            with psycopg.connect(_libpq(POSTGRES_URL), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            _checked["postgres"] = None
        except Exception as exc:  # ImportError (no psycopg) counts as "not reachable"
            _checked["postgres"] = f"{POSTGRES_URL}: {exc}"
    return _checked["postgres"]


def _libpq(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (``postgresql+psycopg://`` -> ``postgresql://``)."""
    return "postgresql://" + url.split("://", 1)[1]


@pytest.fixture
def redis_url() -> str:
    """The test Redis; use ``redis_prefix`` to keep a test's keys apart."""
    require_service("Redis", _redis_problem())
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    import redis

    prefix = f"cftest:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1_000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL of a fresh PostgreSQL schema (``search_path``), dropped afterwards.

    Engines opened on it must be disposed by the test (they are, warnings being errors).
    """
    require_service("PostgreSQL", _postgres_problem())
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{joiner}options=-csearch_path%3D{schema}"
    with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute("SET lock_timeout = '10s'")
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="module")
def cheap_argon2() -> Iterator[None]:
    """Argon2 at its cheapest parameters for a test module (production ones cost ~0.4 s a hash).

    For the tests that build deployments and log agents in by the dozen; the production
    parameters are covered by ``tests/unit/admin_api``.
    """
    from argon2 import PasswordHasher

    from chatflow.admin_api import passwords

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
        yield


@pytest.fixture(params=["sqlite", "postgresql"])
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The records database URL, once on SQLite (a file under tmp_path) and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))
