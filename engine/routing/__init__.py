"""Routing: the human queue that matches waiting visitors to agents (an engine service).

:class:`Dispatcher` is the pure state machine (time passed in, decisions returned);
:class:`QueueService` wraps it for the runtime (``Handoff``) and the agent workbench, turning
decisions into session events and agent websocket frames; every change is a command on a
:class:`QueueState`, which a :class:`CommandLog` (``log_redis``) shares between workers. See ``docs/routing.md``.
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
    QueueUnavailable,
    RoutingError,
    UnknownAgent,
    UnknownGroup,
    UnknownSession,
)
from chatflow.engine.routing._state import MAX_RINGING, AgentView, GroupView, SessionView
from chatflow.engine.routing.queue_state import QueueState
from chatflow.engine.routing.service import AgentNotifier, CommandLog, QueueService

__all__ = [
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
