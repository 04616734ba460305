"""The queue's refusals as problems: one mapping for the workbench and the console's batch."""

from __future__ import annotations

import pytest

from chatflow.admin_api.agent_access import refused
from chatflow.engine.routing import (
    AgentUnavailable,
    InvalidTransfer,
    LastAgent,
    NotOffered,
    NotServing,
    RoutingError,
    UnknownAgent,
    UnknownGroup,
    UnknownSession,
)

REFUSALS: list[tuple[RoutingError, int, str]] = [
    (AgentUnavailable("bob", "busy"), 409, "agent_unavailable"),
    (UnknownAgent("bob"), 409, "agent_unavailable"),
    (LastAgent("s1", "bob"), 409, "last_agent"),
    (NotOffered("s1", "bob"), 409, "not_offered"),
    (NotServing("s1", "bob"), 409, "not_serving"),
    (UnknownSession("s1"), 409, "not_in_queue"),
    (InvalidTransfer("Give exactly one of to_group or to_agent"), 422, "invalid_transfer"),
    (UnknownGroup("acme", "vip", ["presales"]), 404, "not_found"),
    (RoutingError("something new"), 409, "conflict"),
]


@pytest.mark.parametrize(
    ("error", "status", "code"), REFUSALS, ids=[type(e).__name__ for e, _, _ in REFUSALS]
)
def test_every_refusal_has_its_status_and_code(error: RoutingError, status: int, code: str) -> None:
    problem = refused(error)
    assert (problem.status, problem.code) == (status, code)


def test_an_agent_the_queue_does_not_know_is_offline_with_its_state() -> None:
    """Callers check the agent is the merchant's first: unknown to the queue means logged out."""
    problem = refused(UnknownAgent("bob"))
    assert problem.extra == {"agent": "bob", "state": "offline"}
    assert problem.detail == refused(AgentUnavailable("bob", "offline")).detail


def test_an_unknown_group_reads_like_the_routes_own_404() -> None:
    problem = refused(UnknownGroup("acme", "vip", ["presales", "aftersales"]))
    assert problem.detail == "no group 'vip'"
