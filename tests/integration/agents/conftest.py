"""Fixtures of the agent end-to-end tests: a real server per test (see :mod:`agent_world`).

Argon2 runs with its cheapest parameters here (``cheap_argon2``, as in the admin tests): every
server hashes the deployment's passwords and every agent logs in; the production cost is covered
by the unit tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_world import LiveServer, running


@pytest.fixture
def server(tmp_path: Path, cheap_argon2: None) -> Iterator[LiveServer]:
    with running(tmp_path) as live:
        yield live
