"""A transfer that gives up (nobody of the group online, or its queue timeout) and the flow goes
on: through ``Services`` into the records, with the real runtime, queue, record writer and
recorder on SQLite, on a frozen clock. The record is the bot's again at once, counted as having
left the queue unserved (docs/records-and-stats.md), and the visitor is not told to wait first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from records_desk_kit import T0, Desk, agent, open_desk

from chatflow.engine.config import Group
from chatflow.engine.events import VisitorEnded
from chatflow.engine.stats import StatsBuilder, left_unserved, queue_wait_micros

pytestmark = pytest.mark.anyio

FLOW = """\
id: nobody
start: to_presales
nodes:
  to_presales:
    type: transfer
    group: presales
    timeout: 120
    on_timeout: phone
    on_no_agents: phone
    next: bye
  phone:
    type: form
    prompt: 请留下您的电话，我们稍后联系您。
    var: phone
    next: again
  again: {type: transfer, group: presales, next: bye}
  bye: {type: end, message: 再见！}
"""


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    """Acme's presales group with one agent, alice01, not logged in."""
    agents = [agent("alice01", "presales", "Alice")]
    async with open_desk(tmp_path, FLOW, [Group(id="presales")], agents) as opened:
        yield opened


async def test_nobody_online_the_record_is_the_bots_again(desk: Desk) -> None:
    await desk.start("s1")
    row = desk.record("s1")
    assert (row.status, row.group_id, row.queued_at) == ("bot", "presales", T0)
    assert left_unserved(row) and row.queue_left_at == T0
    assert queue_wait_micros(row) == 0
    assert await desk.texts("s1") == ["请留下您的电话，我们稍后联系您。"]  # no "0 位访客" first
    assert desk.services.queue.dispatcher.session("s1") is None
    await desk.later(200)  # the visitor takes a while with the form: not queue wait
    await desk.say("s1", "p", "13800000000")  # the second transfer: nobody again, it waits
    row = desk.record("s1")
    assert (row.status, row.abandoned) == ("queued", False)
    await desk.later(30)
    await desk.services.runtime.apply("s1", VisitorEnded(key="bye"))
    await desk.settle()
    row = desk.record("s1")
    assert (row.status, row.end_reason) == ("ended", "visitor")
    assert left_unserved(row) and row.queue_left_at == T0 + timedelta(seconds=230)
    figures = StatsBuilder().extend([row]).by_group()["presales"]
    assert (figures.conversations, figures.served, figures.abandoned) == (1, 0, 1)


async def test_the_queue_timeout_the_record_is_the_bots_again(desk: Desk) -> None:
    await desk.services.queue.login("alice01")
    await desk.services.queue.set_status("alice01", "rest")  # online, not taking visitors
    await desk.start("s1")
    assert desk.record("s1").status == "queued"
    assert await desk.texts("s1") == ["您前面还有 0 位访客，请耐心等待。"]
    await desk.later(120)
    row = desk.record("s1")
    assert (row.status, row.queue_left_at) == ("bot", T0 + timedelta(seconds=120))
    await desk.later(300)
    await desk.services.runtime.apply("s1", VisitorEnded(key="bye"))
    await desk.settle()
    row = desk.record("s1")
    assert left_unserved(row) and queue_wait_micros(row) == 120_000_000
