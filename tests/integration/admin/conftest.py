"""Fixtures of the admin integration tests: the two-merchant world of :mod:`admin_world`.

``world`` is a fresh deployment per test; ``shared_world`` one per test module (the route
matrix and schemathesis use it: their calls make fresh objects, so they do not interfere).

Argon2 at its production cost takes about 0.4 s per hash or login on a CI machine, and a world
makes dozens; these tests run the same code with argon2's cheapest parameters instead
(``cheap_argon2``, in ``tests/conftest.py``). The production parameters are covered by
``tests/unit/admin_api``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from admin_world import World, open_world


@pytest.fixture
def world(tmp_path: Path, cheap_argon2: None) -> Iterator[World]:
    with open_world(tmp_path) as built:
        yield built


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory, cheap_argon2: None) -> Iterator[World]:
    with open_world(tmp_path_factory.mktemp("world")) as built:
        yield built
