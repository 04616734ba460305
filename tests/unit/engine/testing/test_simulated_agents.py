"""The simulated queue: online groups, first in line at once, agents only when told."""

from __future__ import annotations

import pytest

from chatflow.engine.events import AgentJoined, Event, NoAgents, QueuePosition
from chatflow.engine.testing import SimulatedAgents

pytestmark = pytest.mark.anyio


class Sink:
    def __init__(self) -> None:
        self.events: list[tuple[str, Event]] = []

    async def deliver(self, session_id: str, event: Event) -> None:
        self.events.append((session_id, event))


@pytest.mark.parametrize(
    ("online", "offline", "answer"),
    [
        (None, (), QueuePosition),
        (["vip"], (), QueuePosition),
        ([], (), NoAgents),
        (["sales"], (), NoAgents),
        (None, ["vip"], NoAgents),
    ],
)
async def test_enqueue_answers_from_the_online_groups(
    online: list[str] | None, offline: list[str], answer: type[Event]
) -> None:
    sink = Sink()
    agents = SimulatedAgents(online, offline=offline).bind(sink)
    await agents.enqueue("s1", "acme", "vip", 0)
    ((sid, event),) = sink.events
    assert sid == "s1" and type(event) is answer
    if isinstance(event, QueuePosition):
        assert event.ahead == 0
    assert agents.queued == {"s1": "vip"}
    await agents.leave("s1")
    assert agents.queued == {}


async def test_agents_act_only_through_the_events_they_build() -> None:
    agents = SimulatedAgents().bind(Sink())
    joined = agents.joins("s1", "1001", "Alice")
    assert isinstance(joined, AgentJoined)
    assert (joined.agent_id, joined.staff_no, joined.nickname) == ("agent-1001", "1001", "Alice")
    said = agents.says("s1", "hello")
    assert (said.agent_id, said.text) == ("agent-1001", "hello")
    ended = agents.ends("s1")
    assert ended.closed_by == "seat"
    assert len({joined.key, said.key, ended.key}) == 3


async def test_enqueue_needs_a_bound_sink() -> None:
    with pytest.raises(RuntimeError, match="bind"):
        await SimulatedAgents().enqueue("s1", "", "vip", 0)
