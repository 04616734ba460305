"""Routing: the human queue that matches waiting visitors to agents (an engine service).

:class:`Dispatcher` is the pure state machine (time passed in, decisions returned);
:class:`QueueService` wraps it for the runtime (``Handoff``) and the agent workbench, turning
decisions into session events and agent websocket frames. See ``docs/routing.md``.
"""

from __future__ import annotations

from chatflow.engine.routing._decisions import (
    Accepted,
    AgentRested,
    Assigned,
    CollaboratorLeft,
    Decision,
    Ended,
    Invited,
    NoAgents,
    Offer,
    OfferExpired,
    OfferWithdrawn,
    PositionChanged,
    StatusChanged,
    Transferred,
    WithdrawReason,
)
from chatflow.engine.routing._dispatcher import Dispatcher
from chatflow.engine.routing._errors import (
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
from chatflow.engine.routing._state import MAX_RINGING, AgentView, GroupView, SessionView
from chatflow.engine.routing.service import AgentNotifier, QueueService

__all__ = [
    "MAX_RINGING",
    "Accepted",
    "AgentNotifier",
    "AgentRested",
    "AgentUnavailable",
    "AgentView",
    "Assigned",
    "CollaboratorLeft",
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
    "RoutingError",
    "SessionView",
    "StatusChanged",
    "Transferred",
    "UnknownAgent",
    "UnknownGroup",
    "UnknownSession",
    "WithdrawReason",
]
