from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from chatflow.nodes.business_hours import BusinessHoursNode, is_open

if TYPE_CHECKING:
    from conftest import Make

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")

WEEKDAYS_9_TO_6 = [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"}]


def hours(**fields: Any) -> BusinessHoursNode:
    data = {"type": "business_hours", "schedule": WEEKDAYS_9_TO_6, "open": "o", "closed": "c"}
    return BusinessHoursNode.model_validate({**data, **fields})


def at(text: str, zone: ZoneInfo = SH) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


# 2026-11-23 is a Monday; 2026-11-27 a Friday; 2026-11-28 a Saturday.


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-23 08:59:59", False),
        ("2026-11-23 09:00", True),
        ("2026-11-23 17:59:59", True),
        ("2026-11-23 18:00", False),
        ("2026-11-28 10:00", False),
        ("2026-11-29 10:00", False),
    ],
)
def test_weekly_schedule_is_half_open(moment: str, expected: bool) -> None:
    assert is_open(hours(), at(moment)) is expected


def test_several_ranges_on_one_day() -> None:
    node = hours(
        schedule=[
            {"days": ["mon"], "from": "09:00", "to": "12:00"},
            {"days": ["mon"], "from": "13:30", "to": "18:00"},
        ]
    )
    assert is_open(node, at("2026-11-23 11:59"))
    assert not is_open(node, at("2026-11-23 12:30"))
    assert is_open(node, at("2026-11-23 13:30"))


def test_a_range_crossing_midnight_covers_the_next_morning() -> None:
    node = hours(schedule=[{"days": ["fri"], "from": "22:00", "to": "02:00"}])
    assert not is_open(node, at("2026-11-27 21:59"))
    assert is_open(node, at("2026-11-27 22:00"))
    assert is_open(node, at("2026-11-27 23:59:59"))
    assert is_open(node, at("2026-11-28 00:00"))  # Saturday
    assert is_open(node, at("2026-11-28 01:59"))
    assert not is_open(node, at("2026-11-28 02:00"))
    assert not is_open(node, at("2026-11-28 22:30"))  # Saturday's own evening is not scheduled
    assert not is_open(node, at("2026-11-29 01:00"))  # Sunday morning: no Saturday shift
    assert not is_open(node, at("2026-11-27 01:00"))  # Friday morning: no Thursday shift


def test_24_00_is_the_end_of_the_day_and_00_00_to_is_midnight() -> None:
    node = hours(schedule=[{"days": ["mon"], "from": "08:00", "to": "24:00"}])
    assert is_open(node, at("2026-11-23 23:59:59"))
    assert not is_open(node, at("2026-11-24 00:00"))
    node = hours(schedule=[{"days": ["mon"], "from": "20:00", "to": "00:00"}])
    assert is_open(node, at("2026-11-23 23:59"))
    assert not is_open(node, at("2026-11-24 00:00"))
    node = hours(schedule=[{"days": ["sun"], "from": "00:00", "to": "24:00"}])
    assert is_open(node, at("2026-11-29 00:00")) and is_open(node, at("2026-11-29 23:59"))
    assert not is_open(node, at("2026-11-30 00:00"))


def test_from_24_00_starts_at_the_end_of_the_day() -> None:
    node = hours(schedule=[{"days": ["mon"], "from": "24:00", "to": "06:00"}])
    assert not is_open(node, at("2026-11-23 23:59"))
    assert is_open(node, at("2026-11-24 00:00"))
    assert is_open(node, at("2026-11-24 05:59"))


def test_holidays_are_closed_all_day() -> None:
    node = hours(holidays=["2026-11-24"])
    assert is_open(node, at("2026-11-23 10:00"))
    assert not is_open(node, at("2026-11-24 10:00"))
    assert is_open(node, at("2026-11-25 10:00"))


def test_an_overnight_shift_started_before_a_holiday_runs_to_its_end() -> None:
    node = hours(
        schedule=[{"days": ["mon", "tue", "wed"], "from": "20:00", "to": "02:00"}],
        holidays=["2026-11-24"],
    )
    assert is_open(node, at("2026-11-24 01:00"))  # Monday's shift, on the holiday's morning
    assert not is_open(node, at("2026-11-24 21:00"))  # the holiday's own shift is cancelled
    assert not is_open(node, at("2026-11-25 01:00"))  # ...and so is its tail on Wednesday
    assert is_open(node, at("2026-11-25 21:00"))


def test_a_make_up_workday_opens_a_weekend_with_mondays_hours() -> None:
    node = hours(
        schedule=[
            {"days": ["mon"], "from": "08:00", "to": "12:00"},
            {"days": ["tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"},
        ],
        workdays=["2026-11-28"],
    )
    assert is_open(node, at("2026-11-28 08:00"))
    assert not is_open(node, at("2026-11-28 13:00"))  # Monday's hours, not Friday's
    assert not is_open(node, at("2026-11-29 10:00"))


def test_a_workday_borrows_the_first_weekday_with_hours_when_monday_has_none() -> None:
    node = hours(
        schedule=[
            {"days": ["wed"], "from": "10:00", "to": "11:00"},
            {"days": ["tue"], "from": "14:00", "to": "15:00"},
        ],
        workdays=["2026-11-29"],
    )
    assert is_open(node, at("2026-11-29 14:30"))
    assert not is_open(node, at("2026-11-29 10:30"))


def test_a_workday_overnight_shift_has_its_tail_on_the_next_day() -> None:
    node = hours(
        schedule=[{"days": ["mon"], "from": "22:00", "to": "03:00"}], workdays=["2026-11-29"]
    )
    assert is_open(node, at("2026-11-29 23:00"))
    assert is_open(node, at("2026-11-30 02:00"))


def test_a_workday_on_a_weekday_replaces_its_own_hours() -> None:
    node = hours(
        schedule=[
            {"days": ["mon"], "from": "09:00", "to": "12:00"},
            {"days": ["fri"], "from": "13:00", "to": "18:00"},
        ],
        workdays=["2026-11-27"],
    )
    assert is_open(node, at("2026-11-27 10:00"))
    assert not is_open(node, at("2026-11-27 14:00"))


def test_the_moment_is_read_in_the_node_timezone_then_the_flow_timezone() -> None:
    utc_moment = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, 03:00 in Berlin
    assert is_open(hours(), utc_moment, SH)
    assert not is_open(hours(), utc_moment, BERLIN)
    assert not is_open(hours(), utc_moment)  # no zone given: the moment's own (02:00 UTC)
    assert not is_open(hours(timezone="Europe/Berlin"), utc_moment, SH)


def test_dst_zone_uses_local_wall_clock_in_summer_and_winter() -> None:
    node = hours(timezone="Europe/Berlin")
    winter = datetime(2026, 1, 12, 8, 30, tzinfo=UTC)  # Monday 09:30 CET
    summer = datetime(2026, 7, 13, 8, 30, tzinfo=UTC)  # Monday 10:30 CEST
    assert is_open(node, winter) and is_open(node, summer)
    assert not is_open(node, datetime(2026, 1, 12, 7, 30, tzinfo=UTC))  # 08:30 CET
    assert is_open(node, datetime(2026, 7, 13, 7, 30, tzinfo=UTC))  # 09:30 CEST
    assert not is_open(node, datetime(2026, 7, 13, 16, 0, tzinfo=UTC))  # 18:00 CEST


def test_dst_transition_nights_in_berlin() -> None:
    node = hours(
        timezone="Europe/Berlin",
        schedule=[{"days": ["sat"], "from": "23:00", "to": "02:30"}],
    )
    # 2026-03-29 (Sunday): clocks jump 02:00 CET -> 03:00 CEST.
    assert is_open(node, datetime(2026, 3, 29, 0, 59, tzinfo=UTC))  # 01:59 CET
    assert not is_open(node, datetime(2026, 3, 29, 1, 0, tzinfo=UTC))  # 03:00 CEST
    # 2026-10-25 (Sunday): 03:00 CEST -> 02:00 CET; 02:15 happens twice and both are open.
    assert is_open(node, datetime(2026, 10, 25, 0, 15, tzinfo=UTC))  # 02:15 CEST
    assert is_open(node, datetime(2026, 10, 25, 1, 15, tzinfo=UTC))  # 02:15 CET
    assert not is_open(node, datetime(2026, 10, 25, 1, 30, tzinfo=UTC))  # 02:30 CET


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        is_open(hours(), datetime(2026, 11, 23, 10, 0))


def test_enter_goes_open_or_closed_by_the_context_clock(make: Make) -> None:
    data = {"type": "business_hours", "schedule": WEEKDAYS_9_TO_6, "open": "o", "closed": "c"}
    out = make(data, now=at("2026-11-23 10:00")).enter()
    assert out.goto == "o" and out.effects == ()
    assert make(data, now=at("2026-11-23 20:00")).enter().goto == "c"
    tokyo = make(data, now=at("2026-11-23 09:30", ZoneInfo("Asia/Tokyo")))  # 08:30 in Shanghai
    assert tokyo.enter().goto == "c"
    assert (
        make(data, now=at("2026-11-23 08:30"), timezone=ZoneInfo("Asia/Tokyo")).enter().goto == "o"
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"timezone": "Mars/Base"}, "unknown timezone"),
        ({"holidays": ["2026-10-01"], "workdays": ["2026-10-01"]}, "both a holiday"),
        ({"schedule": [{"days": ["mon"], "from": "9:00", "to": "18:00"}]}, "HH:MM"),
        ({"schedule": [{"days": ["mon"], "from": "09:00", "to": "24:01"}]}, "HH:MM"),
        ({"schedule": [{"days": ["mon"], "from": "09:00", "to": "09:00"}]}, "empty"),
        ({"schedule": [{"days": ["monday"], "from": "09:00", "to": "10:00"}]}, "mon"),
        ({"schedule": []}, "at least 1"),
    ],
)
def test_bad_config_is_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        hours(**fields)
