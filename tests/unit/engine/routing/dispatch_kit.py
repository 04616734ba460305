"""Helpers of the dispatcher tests: pick decisions of one kind out of what a call returned."""

from __future__ import annotations

from typing import TypeVar

from chatflow.engine.routing import Decision, Offer

T = TypeVar("T")


def of(kind: type[T], decisions: list[Decision]) -> list[T]:
    return [d for d in decisions if isinstance(d, kind)]


def offers(decisions: list[Decision]) -> list[tuple[str, str]]:
    """``(session, agent)`` of each offer, in order."""
    return [(o.session_id, o.agent_id) for o in of(Offer, decisions)]
