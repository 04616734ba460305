"""Service statistics from conversation records, per agent, per group and in total.

Pure and single-pass: :class:`StatsBuilder` takes conversations one at a time (the admin API
feeds it rows read in batches) and keeps only running sums, so a year of records costs no
memory. Durations are summed as whole microseconds and averaged with :class:`~decimal.Decimal`,
rounded half up (seed 000: average reception time in minutes, one decimal; 2.25 -> 2.3).

Definitions (docs/records-and-stats.md):

- reception time = the time agents served the visitor: from each join to the end of that
  service (a transfer ends it), summed; records older than that: end of the human service (else
  of the conversation) - first join;
- first response = agent joined - first ring (seed 000);
- queue wait = first agent joined (or, when abandoned, when the wait ended) - first queued;
- abandoned = the visitor left the queue without ever being served (left, or the flow gave up
  the wait: nobody online, the queue timeout);
- end reason: after a human service, the way the service ended, unless the visitor or an
  admin ended what followed (:func:`conversation_end_reason`; the statistics count none);
- an agent's figures count the conversations it held last (``agent_account``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from chatflow.engine.clock import as_utc

_ONE_DECIMAL = Decimal("0.1")
_MICROS = Decimal(1_000_000)


class ConversationFacts(Protocol):
    """What the statistics read from a conversation record (``ConversationRow`` has it)."""

    @property
    def group_id(self) -> str | None: ...
    @property
    def agent_account(self) -> str | None: ...
    @property
    def queued_at(self) -> datetime | None: ...
    @property
    def first_ring_at(self) -> datetime | None: ...
    @property
    def agent_joined_at(self) -> datetime | None: ...
    @property
    def service_ended_at(self) -> datetime | None: ...
    @property
    def segment_started_at(self) -> datetime | None: ...
    @property
    def served_micros(self) -> int | None: ...
    @property
    def ended_at(self) -> datetime | None: ...
    @property
    def rating(self) -> int | None: ...
    @property
    def abandoned(self) -> bool: ...
    @property
    def queue_left_at(self) -> datetime | None: ...


def round_half_up(value: Decimal, quantum: Decimal = _ONE_DECIMAL) -> Decimal:
    """``value`` rounded half up (away from zero on a tie) to ``quantum``: 2.25 -> 2.3."""
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def average(total: Decimal | int, count: int, *, unit: Decimal | int = 1) -> Decimal | None:
    """``total / count / unit`` rounded half up to one decimal; None when ``count`` is 0."""
    if count == 0:
        return None
    return round_half_up(Decimal(total) / Decimal(count) / Decimal(unit))


def micros_between(start: datetime | None, end: datetime | None) -> int | None:
    """Whole microseconds from ``start`` to ``end`` (never negative); None if either is missing."""
    first, last = as_utc(start), as_utc(end)
    if first is None or last is None:
        return None
    delta = last - first
    return max(0, (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)


def reception_micros(row: ConversationFacts) -> int | None:
    """Time agents served the visitor; None while an agent serves (the figure is not known yet)
    or when none did."""
    if row.segment_started_at is not None:
        return None
    if row.served_micros is not None:
        return row.served_micros
    # written before service segments were counted (or never served)
    return micros_between(row.agent_joined_at, row.service_ended_at or row.ended_at)


def first_response_micros(row: ConversationFacts) -> int | None:
    return micros_between(row.first_ring_at, row.agent_joined_at)


def queue_wait_micros(row: ConversationFacts) -> int | None:
    """First queued to the first join; unserved, to when the wait ended (the end of the
    conversation in records older than ``queue_left_at``)."""
    until = row.agent_joined_at
    if until is None and left_unserved(row):
        until = row.queue_left_at or row.ended_at
    return micros_between(row.queued_at, until)


def left_unserved(row: ConversationFacts) -> bool:
    """The visitor left the queue without ever being served. Older versions also marked one who
    left a second queue after a service; an agent's join rules that out here."""
    return row.abandoned and row.agent_joined_at is None


SERVICE_END_REASONS: dict[str, str] = {
    "seat": "agent",
    "client": "visitor",
    "admin": "admin",
    "timer": "idle",
}
"""The end reason a human service's end (``closed_by``) stands for."""
WRAP_UP_REASONS = ("flow", "idle")
"""End reasons nobody chose: the flow ran out, or nobody answered it."""


def conversation_end_reason(end_reason: str | None, closed_by: str | None) -> str | None:
    """How the conversation ended, as records, their filter and exports say it.

    After a human service the flow may go on (survey, goodbye); when that part ends by itself
    (``flow``, or ``idle``: a survey nobody answers), the conversation ended the way its
    service did: an agent's end stays ``agent``. The record's ``end_reason`` column keeps the
    flow's own reason (the ``ended`` frame's); a visitor or an admin ending it stays theirs."""
    if end_reason in WRAP_UP_REASONS and closed_by in SERVICE_END_REASONS:
        return SERVICE_END_REASONS[closed_by]
    return end_reason


@dataclass(frozen=True)
class Ratings:
    count: int
    average: Decimal | None
    distribution: dict[int, int]
    """score -> how many conversations got it."""


@dataclass(frozen=True)
class Figures:
    """The statistics of one agent, one group or the total."""

    conversations: int
    served: int
    """Conversations an agent joined."""
    reception_minutes: Decimal | None
    """Average reception time, minutes, one decimal (half up)."""
    first_response_seconds: Decimal | None
    """Average first response, seconds, one decimal."""
    ratings: Ratings
    queue_wait_seconds: Decimal | None
    """Average queue wait, seconds, one decimal."""
    queue_wait_max_seconds: Decimal | None
    abandoned: int
    """Conversations the visitor left while queued, never served (none of ``served``)."""


@dataclass
class _Sums:
    conversations: int = 0
    served: int = 0
    reception: list[int] = field(default_factory=lambda: [0, 0])
    first_response: list[int] = field(default_factory=lambda: [0, 0])
    wait: list[int] = field(default_factory=lambda: [0, 0])
    wait_max: int | None = None
    abandoned: int = 0
    scores: Counter[int] = field(default_factory=Counter)

    def add(self, row: ConversationFacts) -> None:
        self.conversations += 1
        if row.agent_joined_at is not None:
            self.served += 1
        for sums, micros in (
            (self.reception, reception_micros(row)),
            (self.first_response, first_response_micros(row)),
        ):
            if micros is not None:
                sums[0] += micros
                sums[1] += 1
        wait = queue_wait_micros(row)
        if wait is not None:
            self.wait[0] += wait
            self.wait[1] += 1
            self.wait_max = wait if self.wait_max is None else max(self.wait_max, wait)
        if left_unserved(row):
            self.abandoned += 1
        if row.rating is not None:
            self.scores[row.rating] += 1

    def figures(self) -> Figures:
        rated = sum(self.scores.values())
        total_score = sum(score * n for score, n in self.scores.items())
        return Figures(
            conversations=self.conversations,
            served=self.served,
            reception_minutes=average(self.reception[0], self.reception[1], unit=_MICROS * 60),
            first_response_seconds=average(*self.first_response, unit=_MICROS),
            ratings=Ratings(rated, average(total_score, rated), dict(sorted(self.scores.items()))),
            queue_wait_seconds=average(*self.wait, unit=_MICROS),
            queue_wait_max_seconds=None
            if self.wait_max is None
            else round_half_up(Decimal(self.wait_max) / _MICROS),
            abandoned=self.abandoned,
        )


class StatsBuilder:
    """Feed conversations with :meth:`add`; read per-agent, per-group and total figures."""

    def __init__(self) -> None:
        self._agents: dict[str, _Sums] = {}
        self._groups: dict[str, _Sums] = {}
        self._total = _Sums()

    def add(self, row: ConversationFacts) -> None:
        self._total.add(row)
        if row.agent_account is not None:
            self._agents.setdefault(row.agent_account, _Sums()).add(row)
        if row.group_id is not None:
            self._groups.setdefault(row.group_id, _Sums()).add(row)

    def extend(self, rows: Iterable[ConversationFacts]) -> StatsBuilder:
        for row in rows:
            self.add(row)
        return self

    def by_agent(self) -> dict[str, Figures]:
        return {key: sums.figures() for key, sums in sorted(self._agents.items())}

    def by_group(self) -> dict[str, Figures]:
        return {key: sums.figures() for key, sums in sorted(self._groups.items())}

    def total(self) -> Figures:
        return self._total.figures()
