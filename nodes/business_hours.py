"""``business_hours``: branch on whether now is inside the service time (seed: 服务时间).

The schedule is a list of *shifts*: each range starts on a date and runs ``from``-``to`` in
local wall-clock time, past midnight when ``to`` is earlier. A shift belongs to the date it
starts on, and which shifts a date has depends on the date alone:

* a holiday has none (so it is closed all day, *except* for the tail of an overnight shift that
  started the evening before: the people on that shift work to its end);
* a make-up working day (``workdays``) has Monday's shifts, or those of the first weekday in
  the schedule that has any, whatever weekday it falls on;
* any other date has the shifts of its weekday.

A moment is open when it lies in a shift of its own date or of the day before. Times are wall
clock in the schedule's zone, so DST changes need no special case: ``09:00`` is 09:00 local.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from chatflow.engine.effects import Outcome
from chatflow.engine.flow import known_timezone
from chatflow.engine.node import Model, NodeBase, NodeRef, Target

if TYPE_CHECKING:
    from chatflow.engine.context import NodeContext

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
    """Dates that are closed all day (``2026-10-01``); an overnight range that started the day
    before still runs to its end."""
    workdays: list[date] = Field(default_factory=list)
    """Make-up working days (调休): open on these dates with Monday's hours even on a weekend
    (or the hours of the first weekday in the schedule that has any, when Monday has none)."""
    timezone: str | None = None
    """IANA timezone of the schedule; default: the flow's ``settings.timezone``."""
    open: NodeRef
    """Node to continue at during service time."""
    closed: NodeRef
    """Node to continue at outside service time."""

    _known_timezone = field_validator("timezone")(known_timezone)

    example = """\
hours:
  type: business_hours
  schedule:
    - {days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00"}
    - {days: [sat], from: "22:00", to: "02:00"}   # crosses midnight
  holidays: ["2026-10-01", "2026-10-02"]
  workdays: ["2026-09-27"]                       # a make-up working Sunday
  open: menu
  closed: after_hours
"""

    @model_validator(mode="after")
    def _holiday_or_workday(self) -> BusinessHoursNode:
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            dates = ", ".join(d.isoformat() for d in both)
            raise ValueError(f"{dates} cannot be both a holiday and a make-up working day")
        return self

    def targets(self) -> list[Target]:
        return [Target(("open",), self.open, "open"), Target(("closed",), self.closed, "closed")]

    def enter(self, ctx: NodeContext) -> Outcome:
        return Outcome.go(self.open if is_open(self, ctx.now, ctx.timezone) else self.closed)


_DAY = 24 * 60


def is_open(node: BusinessHoursNode, moment: datetime, zone: ZoneInfo | None = None) -> bool:
    """Whether ``moment`` (aware) is inside the node's service time.

    The node's own ``timezone`` wins, then ``zone`` (the flow's), then the moment's own zone.
    """
    if moment.tzinfo is None:
        raise ValueError("is_open() needs an aware datetime")
    if node.timezone is not None:
        zone = ZoneInfo(node.timezone)
    local = moment.astimezone(zone) if zone is not None else moment
    today = local.date()
    minute = local.hour * 60 + local.minute + local.second / 60
    for day, offset in ((today, 0), (today - timedelta(days=1), _DAY)):
        for start, end in _shifts(node, day):
            if start <= minute + offset < end:
                return True
    return False


def _shifts(node: BusinessHoursNode, day: date) -> list[tuple[int, int]]:
    """The shifts starting on ``day`` as ``[start, end)`` minutes from that day's midnight."""
    if day in node.holidays:
        return []
    weekday = _reference_weekday(node) if day in node.workdays else WEEKDAYS[day.weekday()]
    out = []
    for time_range in node.schedule:
        if weekday in time_range.days:
            start, end = minutes(time_range.from_), minutes(time_range.to)
            out.append((start, end if end > start else end + _DAY))
    return out


def _reference_weekday(node: BusinessHoursNode) -> Weekday:
    """The weekday whose hours a make-up working day borrows: Monday, else the first with hours."""
    scheduled = {day for time_range in node.schedule for day in time_range.days}
    return next(day for day in WEEKDAYS if day in scheduled)
