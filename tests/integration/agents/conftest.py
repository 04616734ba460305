"""Fixtures of the agent end-to-end tests: a real server per test (see :mod:`agent_world`).

Argon2 runs with its cheapest parameters here (as in the admin tests): every server hashes the
deployment's passwords and every agent logs in; the production cost is covered by the unit tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_world import LiveServer, running
from argon2 import PasswordHasher

from chatflow.admin_api import passwords


@pytest.fixture
def cheap_argon2() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
        yield


@pytest.fixture
def server(tmp_path: Path, cheap_argon2: None) -> Iterator[LiveServer]:
    with running(tmp_path) as live:
        yield live
