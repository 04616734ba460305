from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from chatflow.engine.stats import (
    StatsBuilder,
    average,
    micros_between,
    reception_micros,
    round_half_up,
)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass
class Conv:
    group_id: str | None = "presales"
    agent_account: str | None = "alice01"
    queued_at: datetime | None = None
    first_ring_at: datetime | None = None
    agent_joined_at: datetime | None = None
    service_ended_at: datetime | None = None
    segment_started_at: datetime | None = None
    served_micros: int | None = None
    ended_at: datetime | None = None
    rating: int | None = None
    abandoned: bool = False
    queue_left_at: datetime | None = None


def served(
    join: float, end: float, *, ring: float | None = None, queued: float = 0, **kw: object
) -> Conv:
    return Conv(
        queued_at=at(queued),
        first_ring_at=at(ring if ring is not None else queued),
        agent_joined_at=at(join),
        ended_at=at(end),
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2.25", "2.3"), ("2.35", "2.4"), ("0.05", "0.1"), ("2.24", "2.2"), ("-2.25", "-2.3")],
)
def test_round_half_up_to_one_decimal(value: str, expected: str) -> None:
    assert round_half_up(Decimal(value)) == Decimal(expected)


def test_average_reception_minutes_rounds_half_up_where_float_rounding_would_not() -> None:
    # 120 s and 150 s: 2.25 minutes; round(2.25, 1) is 2.2 in floating point, the seed wants 2.3
    assert round(2.25, 1) == 2.2
    figures = StatsBuilder().extend([served(0, 120), served(0, 150)]).total()
    assert figures.reception_minutes == Decimal("2.3")
    single = StatsBuilder().extend([served(10, 10 + 135)]).total()  # 135 s = 2.25 min
    assert single.reception_minutes == Decimal("2.3")
    assert StatsBuilder().extend([served(0, 0.3 * 60 * 2.5)]).total().reception_minutes == Decimal(
        "0.8"
    )


def test_average_is_exact_on_microseconds() -> None:
    # three waits averaging exactly 0.05 s must give 0.1, not a binary 0.04999...
    rows = [Conv(queued_at=at(0), agent_joined_at=at(s)) for s in (0.01, 0.05, 0.09)]
    assert StatsBuilder().extend(rows).total().queue_wait_seconds == Decimal("0.1")
    assert average(0, 0) is None and average(3, 2) == Decimal("1.5")
    assert micros_between(at(5), at(1)) == 0 and micros_between(None, at(1)) is None


def test_per_agent_per_group_and_total() -> None:
    rows = [
        served(30, 330, ring=7, queued=6, rating=5),  # alice: first response 23 s
        served(20, 80, ring=10, queued=0, rating=3),  # alice: first response 10 s
        served(40, 100, ring=20, queued=10, agent_account="bob0001", group_id="vip", rating=4),
        Conv(queued_at=at(0), ended_at=at(90), abandoned=True, agent_account=None),
        Conv(group_id=None, agent_account=None, ended_at=at(5)),  # the bot answered alone
    ]
    stats = StatsBuilder().extend(rows)
    alice = stats.by_agent()["alice01"]
    assert (alice.conversations, alice.served) == (2, 2)
    assert alice.first_response_seconds == Decimal("16.5")
    assert alice.reception_minutes == Decimal("3.0")  # (300 s + 60 s) / 2 = 3 min
    assert alice.ratings.count == 2 and alice.ratings.average == Decimal("4.0")
    assert alice.ratings.distribution == {3: 1, 5: 1}
    assert alice.queue_wait_seconds == Decimal("22.0") and alice.queue_wait_max_seconds == Decimal(
        "24.0"
    )
    assert list(stats.by_agent()) == ["alice01", "bob0001"]

    presales = stats.by_group()["presales"]
    assert (presales.conversations, presales.served, presales.abandoned) == (3, 2, 1)
    assert presales.queue_wait_max_seconds == Decimal("90.0")  # the abandoned wait counts
    assert presales.queue_wait_seconds == Decimal("44.7")  # (24 + 20 + 90) / 3
    assert set(stats.by_group()) == {"presales", "vip"}

    total = stats.total()
    assert (total.conversations, total.served, total.abandoned) == (5, 3, 1)
    assert total.ratings.distribution == {3: 1, 4: 1, 5: 1}


def test_nothing_to_average_is_none_not_zero() -> None:
    figures = StatsBuilder().total()
    assert figures.conversations == 0 and figures.reception_minutes is None
    assert figures.ratings.average is None and figures.queue_wait_max_seconds is None


def test_reception_is_the_time_agents_served_summed_over_the_service_segments() -> None:
    # joined at 10 s, transferred at 70 s, served again 100 s - 130 s: 90 s, not 120 s
    moved = served(10, 130, service_ended_at=at(130), served_micros=90_000_000)
    assert reception_micros(moved) == 90_000_000
    serving = served(10, 130, served_micros=60_000_000, segment_started_at=at(100))
    assert reception_micros(serving) is None  # an agent serves it now: not known yet
    older = served(10, 130, service_ended_at=at(100))  # written before segments were counted
    assert reception_micros(older) == 90_000_000
    figures = StatsBuilder().extend([moved, serving, older]).total()
    assert figures.reception_minutes == Decimal("1.5")


def test_abandoned_counts_only_visitors_never_served() -> None:
    never = Conv(queued_at=at(0), ended_at=at(90), abandoned=True, agent_account=None)
    # an older version marked a visitor who left a second queue after a service abandoned too
    served_before = served(10, 300, served_micros=60_000_000, abandoned=True)
    total = StatsBuilder().extend([never, served_before]).total()
    assert (total.conversations, total.served, total.abandoned) == (2, 1, 1)
    assert total.queue_wait_max_seconds == 90  # the unserved visitor's wait runs to the end


def test_a_wait_the_flow_gave_up_ends_when_it_did_not_with_the_conversation() -> None:
    """Nobody online (or the queue timeout): the flow went on for minutes after the wait."""
    gave_up = Conv(
        queued_at=at(0), queue_left_at=at(5), ended_at=at(300), abandoned=True, agent_account=None
    )
    total = StatsBuilder().extend([gave_up]).total()
    assert (total.served, total.abandoned, total.queue_wait_max_seconds) == (0, 1, Decimal("5.0"))
