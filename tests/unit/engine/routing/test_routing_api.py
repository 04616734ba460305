"""The public names of chatflow.engine.routing: changing them is a contract change."""

from __future__ import annotations

import sys
from pathlib import Path

import chatflow.engine.routing as routing


def test_public_api_is_locked() -> None:
    assert routing.__all__ == [
        "MAX_RINGING",
        "Accepted",
        "AgentNotifier",
        "AgentRested",
        "AgentUnavailable",
        "AgentView",
        "Assigned",
        "CollaboratorLeft",
        "CommandLog",
        "Decision",
        "Dispatcher",
        "Ended",
        "GroupView",
        "InvalidTransfer",
        "Invited",
        "LastAgent",
        "NoAgents",
        "NotOffered",
        "NotServing",
        "Offer",
        "OfferExpired",
        "OfferWithdrawn",
        "PositionChanged",
        "QueueService",
        "QueueState",
        "QueueUnavailable",
        "RoutingError",
        "SessionView",
        "StatusChanged",
        "Transferred",
        "UnknownAgent",
        "UnknownGroup",
        "UnknownSession",
        "WithdrawReason",
    ]
    assert all(hasattr(routing, name) for name in routing.__all__)


def test_the_engine_core_imports_no_outer_layer() -> None:
    for name in list(sys.modules):
        if name.startswith("chatflow.engine.routing"):
            text = Path(sys.modules[name].__file__ or "").read_text(encoding="utf-8")
            for outer in ("chatflow.nodes", "chatflow.channels", "chatflow.admin_api"):
                assert outer not in text, (name, outer)
