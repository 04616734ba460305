"""Statistics (seed 000 數據統計): per agent and per group over a date range, the live queue
dashboard, and their Excel/Word exports.

The figures come from :class:`chatflow.engine.stats.StatsBuilder`, fed with the caller's
visible records in batches; definitions are in docs/records-and-stats.md. The live dashboard
asks the runtime through ``app.state.live`` (:class:`~chatflow.admin_api.live.LiveSessions`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import IO, Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlmodel import Session, col, select

from chatflow.admin_api import exports
from chatflow.admin_api.export_texts import Lang, Wording
from chatflow.admin_api.exports import Section, Table, format_time
from chatflow.admin_api.live import LiveSessions, Ringing, live_sessions
from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.recordquery import RecordFilter, iter_records, site_clauses, stats_filter
from chatflow.engine.stats import Figures, StatsBuilder
from chatflow.engine.stores.recordsdb import AccountRow, ConversationRow, GroupRow

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])

Viewer = Annotated[Actor, Depends(require("statistics", "view"))]
Range = Annotated[RecordFilter, Depends(stats_filter)]


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class RatingsOut(BaseModel):
    count: int
    average: float | None
    distribution: dict[str, int]
    """score -> conversations."""


class FiguresOut(BaseModel):
    conversations: int
    served: int
    reception_minutes: float | None
    """Average reception time in minutes, one decimal, rounded half up."""
    first_response_seconds: float | None
    ratings: RatingsOut
    queue_wait_seconds: float | None
    queue_wait_max_seconds: float | None
    abandoned: int

    @classmethod
    def of(cls, figures: Figures) -> FiguresOut:
        return cls(
            conversations=figures.conversations,
            served=figures.served,
            reception_minutes=_number(figures.reception_minutes),
            first_response_seconds=_number(figures.first_response_seconds),
            ratings=RatingsOut(
                count=figures.ratings.count,
                average=_number(figures.ratings.average),
                distribution={str(k): v for k, v in figures.ratings.distribution.items()},
            ),
            queue_wait_seconds=_number(figures.queue_wait_seconds),
            queue_wait_max_seconds=_number(figures.queue_wait_max_seconds),
            abandoned=figures.abandoned,
        )


class AgentFigures(FiguresOut):
    account: str
    nickname: str | None
    staff_no: str | None


class GroupFigures(FiguresOut):
    group_id: str
    name: str | None


class AgentStats(BaseModel):
    start: datetime
    end: datetime
    total: FiguresOut
    agents: list[AgentFigures]


class GroupStats(BaseModel):
    start: datetime
    end: datetime
    total: FiguresOut
    groups: list[GroupFigures]


def build_stats(request: Request, actor: Actor, wanted: RecordFilter) -> StatsBuilder:
    """One pass over the visible records of the range, in batches."""
    builder = StatsBuilder()
    for batch in iter_records(request.app.state.records, actor, wanted):
        builder.extend(batch)
    return builder


def agent_stats(request: Request, actor: Actor, wanted: RecordFilter) -> AgentStats:
    builder = build_stats(request, actor, wanted)
    per_agent = builder.by_agent()
    with Session(request.app.state.records) as db:
        profiles = {
            account: (nickname, staff_no)
            for account, nickname, staff_no in db.exec(
                select(AccountRow.account, AccountRow.nickname, AccountRow.staff_no).where(
                    col(AccountRow.merchant_id) == actor.merchant_id,
                    col(AccountRow.account).in_(list(per_agent)),
                )
            )
        }
    agents = []
    for account, figures in per_agent.items():
        nickname, staff_no = profiles.get(account, (None, None))
        base = FiguresOut.of(figures).model_dump()
        agents.append(AgentFigures(account=account, nickname=nickname, staff_no=staff_no, **base))
    return AgentStats(
        start=wanted.start, end=wanted.end, total=FiguresOut.of(builder.total()), agents=agents
    )


def group_stats(request: Request, actor: Actor, wanted: RecordFilter) -> GroupStats:
    builder = build_stats(request, actor, wanted)
    with Session(request.app.state.records) as db:
        names = dict(
            db.exec(
                select(GroupRow.id, GroupRow.name).where(
                    col(GroupRow.merchant_id) == actor.merchant_id
                )
            ).all()
        )
    groups = [
        GroupFigures(group_id=group, name=names.get(group), **FiguresOut.of(figures).model_dump())
        for group, figures in builder.by_group().items()
    ]
    return GroupStats(
        start=wanted.start, end=wanted.end, total=FiguresOut.of(builder.total()), groups=groups
    )


@router.get("/agents", response_model=AgentStats)
def stats_by_agent(request: Request, actor: Viewer, wanted: Range) -> AgentStats:
    """Per agent (the one that held each conversation last) and in total."""
    return agent_stats(request, actor, wanted)


@router.get("/groups", response_model=GroupStats)
def stats_by_group(request: Request, actor: Viewer, wanted: Range) -> GroupStats:
    """Per skill group and in total; abandoned counts visitors who left the queue."""
    return group_stats(request, actor, wanted)


class GroupQueue(BaseModel):
    group_id: str
    waiting: int
    longest_wait_seconds: float | None


class AgentNow(BaseModel):
    account: str
    status: str
    groups: list[str]
    sessions: int


class RingingOffer(BaseModel):
    session_id: str
    group_id: str
    agent: str
    """The account the offer rings for (it has not accepted yet)."""


class QueueBoard(BaseModel):
    groups: list[GroupQueue]
    agents: list[AgentNow]
    by_status: dict[str, int]
    ringing: list[RingingOffer]
    """Waiting visitors being offered to an agent now (they count in ``waiting`` too)."""


def _visible(request: Request, actor: Actor, session_ids: list[str]) -> set[str]:
    """Those of ``session_ids`` whose conversation is on a site ``actor`` sees."""
    with Session(request.app.state.records) as db:
        statement = select(ConversationRow.session_id).where(
            *site_clauses(actor), col(ConversationRow.session_id).in_(session_ids)
        )
        return set(db.exec(statement).all())


async def _ringing(request: Request, actor: Actor, offers: list[Ringing]) -> list[RingingOffer]:
    """The offers of the caller's sites: a site-scoped account reads each one's site."""
    if offers and actor.site_scope is not None:
        ids = [offer.session_id for offer in offers]
        seen = await asyncio.to_thread(_visible, request, actor, ids)
        offers = [offer for offer in offers if offer.session_id in seen]
    return [RingingOffer(session_id=o.session_id, group_id=o.group, agent=o.agent) for o in offers]


@router.get("/queue", response_model=QueueBoard)
async def queue_board(
    request: Request, actor: Viewer, live: Annotated[LiveSessions, Depends(live_sessions)]
) -> QueueBoard:
    """Now: visitors waiting per group, offers ringing, agents by status (limited to the
    caller's groups; the offers also to its sites)."""
    snapshot = await live.snapshot(actor.merchant_id)
    seen = actor.sees_agent_groups()

    def visible_group(group: str) -> bool:
        return seen is None or group in seen

    groups = [
        GroupQueue(
            group_id=group,
            waiting=count,
            longest_wait_seconds=snapshot.longest_wait_seconds.get(group),
        )
        for group, count in sorted(snapshot.waiting.items())
        if visible_group(group)
    ]
    agents = [
        AgentNow(
            account=agent.account,
            status=agent.status,
            groups=list(agent.groups),
            sessions=agent.sessions,
        )
        for agent in snapshot.agents
        if agent.account == actor.principal.account or any(map(visible_group, agent.groups))
    ]
    by_status: dict[str, int] = {}
    for agent in agents:
        by_status[agent.status] = by_status.get(agent.status, 0) + 1
    offers = [offer for offer in snapshot.ringing if visible_group(offer.group)]
    return QueueBoard(
        groups=groups,
        agents=agents,
        by_status=dict(sorted(by_status.items())),
        ringing=await _ringing(request, actor, offers),
    )


STAT_HEADERS = (
    "conversations", "served", "stats.reception_min", "stats.first_response_s", "ratings",
    "rating_avg", "rating_distribution", "queue_wait_avg_s", "queue_wait_max_s", "stats.abandoned",
)  # fmt: skip
"""Keys of the figures' columns; ``stats.x`` (an average, not one record's ``x``) reads ``x``
in a file for programs (``export_texts.Wording.headings``)."""


def stat_cells(figures: FiguresOut) -> list[object]:
    distribution = ", ".join(f"{k}: {v}" for k, v in figures.ratings.distribution.items())
    return [
        figures.conversations, figures.served, figures.reception_minutes,
        figures.first_response_seconds, figures.ratings.count, figures.ratings.average,
        distribution, figures.queue_wait_seconds, figures.queue_wait_max_seconds,
        figures.abandoned,
    ]  # fmt: skip


def _exporter(actor: Annotated[Actor, Depends(require("exports", "view"))]) -> Actor:
    if not actor.can("statistics", "view"):
        raise ApiProblem(403, "forbidden", "this account may not view statistics")
    return actor


@router.get("/export", response_class=StreamingResponse)
async def export_stats(
    request: Request,
    actor: Annotated[Actor, Depends(_exporter)],
    wanted: Range,
    by: Literal["agent", "group"] = "agent",
    fmt: Annotated[exports.Format, Query(alias="format")] = "xlsx",
    tz: str = "UTC",
    lang: Annotated[Lang | None, Query(description="headings for people; else keys")] = None,
) -> StreamingResponse:
    """The per-agent or per-group statistics with a total row, as Excel or Word."""
    zone = exports.timezone(tz)
    words = Wording(lang)
    span = (format_time(wanted.start, zone), format_time(wanted.end, zone))
    total = words.text("total")

    def rows() -> Iterator[list[object]]:
        if by == "agent":
            per_agent = agent_stats(request, actor, wanted)
            for agent in per_agent.agents:
                yield [agent.account, agent.nickname, agent.staff_no, *stat_cells(agent)]
            yield [total, None, None, *stat_cells(per_agent.total)]
        else:
            per_group = group_stats(request, actor, wanted)
            for group in per_group.groups:
                yield [group.group_id, group.name, *stat_cells(group)]
            yield [total, None, *stat_cells(per_group.total)]

    keys = ("account", "nickname", "staff_no") if by == "agent" else ("group", "name")
    table = Table(words.text(f"by {by}"), words.headings((*keys, *STAT_HEADERS)), rows())

    def build(out: IO[bytes]) -> None:
        if fmt == "xlsx":
            headings = words.headings(("from", "to", "time zone"))
            exports.write_xlsx(out, [table, Table(words.text("range"), headings, [[*span, tz]])])
        else:
            heading = f"{span[0]} - {span[1]} ({tz})"
            title = words.text(f"statistics by {by}")
            exports.write_docx(out, title, [Section(heading, [], [table])])

    days = exports.date_span(wanted.start, wanted.end, zone, end_inclusive=wanted.end_inclusive)
    stem = f"stats-by-{by}"
    return await exports.file_response(
        build, f"{stem}-{days}", fmt, local_name=words.local_name(stem, days)
    )
