"""Fixtures of the webhook channel tests (the helpers are in ``webhook_kit``)."""

from __future__ import annotations

import pytest
from im_channel_kit import START

from chatflow.engine.clock import FrozenClock


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)
