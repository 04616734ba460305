"""Time for the engine: one small protocol, the system clock and a frozen twin for tests.

The runtime, timers and nodes read time only through a :class:`Clock` (nodes via
``NodeContext.now``), so a conversation test or a benchmark can freeze and advance it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, overload


class Clock(Protocol):
    """Where the current time comes from."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to: ``set(when)`` or ``advance(seconds)``."""

    def __init__(self, start: datetime | str | None = None) -> None:
        self._now = _aware(start) if start is not None else datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime | str) -> None:
        """Jump to ``when`` (an aware datetime or an ISO 8601 text with offset)."""
        self._now = _aware(when)

    def advance(self, seconds: float) -> datetime:
        """Move forward ``seconds`` and return the new time."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards; use set() to jump")
        self._now = self._now + timedelta(seconds=seconds)
        return self._now


def _aware(value: datetime | str) -> datetime:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset; write it like 2026-11-23T10:00+08:00")
    return when


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """``moment`` with its offset, a naive one taken as UTC: the records database stores UTC and
    SQLite gives its datetimes back without an offset."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
