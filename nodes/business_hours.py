"""``business_hours``: branch on whether now is inside the service time (seed: 服务时间)."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from chatflow.engine.node import Model, NodeBase, Target

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")


def minutes(clock: str) -> int:
    """``"09:30"`` -> 570; ``"24:00"`` -> 1440."""
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


class TimeRange(Model):
    """Opening hours on some weekdays; ``to`` before ``from`` crosses midnight."""

    days: list[Weekday] = Field(min_length=1)
    """Weekdays the range starts on: mon, tue, wed, thu, fri, sat, sun."""
    from_: str = Field(alias="from")
    """Opening time, ``HH:MM`` (24-hour clock)."""
    to: str
    """Closing time, ``HH:MM``; ``24:00`` is the end of the day; earlier than ``from`` = next day."""

    @field_validator("from_", "to")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"{value!r} is not a time; write HH:MM from 00:00 to 24:00")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> TimeRange:
        if self.from_ == self.to:
            raise ValueError(
                f"the range {self.from_}-{self.to} is empty; 'from' must differ from 'to'"
            )
        return self


class BusinessHoursNode(NodeBase):
    """Continue at ``open`` inside the service time and at ``closed`` outside it."""

    type: Literal["business_hours"]
    schedule: list[TimeRange] = Field(min_length=1)
    """Weekly opening hours."""
    holidays: list[date] = Field(default_factory=list)
    """Dates that are closed all day (``2026-10-01``)."""
    workdays: list[date] = Field(default_factory=list)
    """Make-up working days (调休): open on these dates with Monday's hours even on a weekend."""
    timezone: str | None = None
    """IANA timezone of the schedule; default: the flow's ``settings.timezone``."""
    open: str
    """Node to continue at during service time."""
    closed: str
    """Node to continue at outside service time."""

    def targets(self) -> list[Target]:
        return [Target(("open",), self.open, "open"), Target(("closed",), self.closed, "closed")]
