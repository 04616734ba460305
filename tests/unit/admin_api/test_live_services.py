"""LiveServices: the console's live actions refuse with the workbench's codes and details."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from chatflow.admin_api.agent_access import refused
from chatflow.admin_api.live import LiveError
from chatflow.admin_api.live_services import LiveServices
from chatflow.admin_api.services import Services
from chatflow.engine.routing import (
    AgentUnavailable,
    InvalidTransfer,
    RoutingError,
    UnknownAgent,
    UnknownGroup,
    UnknownSession,
)
from chatflow.engine.session import Session

pytestmark = pytest.mark.anyio


class Runtime:
    async def get(self, session_id: str) -> Session:
        return Session(id=session_id, flow_id="f", flow_version="1", node="n", merchant="acme")


class RefusingQueue:
    def __init__(self, error: RoutingError) -> None:
        self.error = error

    async def transfer(self, session_id: str, **_: Any) -> None:
        raise self.error


REFUSALS = [
    UnknownSession("s1"),
    AgentUnavailable("bob", "full"),
    UnknownAgent("bob"),
    UnknownGroup("acme", "vip", ["presales"]),
    InvalidTransfer("Agent 'bob' already has session 's1'"),
]


@pytest.mark.parametrize("error", REFUSALS, ids=[type(e).__name__ for e in REFUSALS])
async def test_a_refused_transfer_fails_with_the_workbench_code(error: RoutingError) -> None:
    services = SimpleNamespace(runtime=Runtime(), queue=RefusingQueue(error))
    live = LiveServices(cast(Services, services))
    with pytest.raises(LiveError) as caught:
        await live.transfer("acme", "s1", group=None, agent="bob", by="alice")
    problem = refused(error)
    assert (caught.value.code, caught.value.detail) == (problem.code, problem.detail)


async def test_an_agent_not_logged_in_is_reported_offline() -> None:
    services = SimpleNamespace(runtime=Runtime(), queue=RefusingQueue(UnknownAgent("bob")))
    live = LiveServices(cast(Services, services))
    with pytest.raises(LiveError) as caught:
        await live.transfer("acme", "s1", group=None, agent="bob", by="alice")
    assert caught.value.code == "agent_unavailable" and "offline" in caught.value.detail
