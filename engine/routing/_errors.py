"""What the dispatcher refuses, as typed errors the API maps to problem+json.

Every operation checks before it changes anything, so a refused operation leaves the queue as it
was::

    ChatflowError
    └── RoutingError              the dispatcher refused an operation
        ├── UnknownGroup          no such group in the merchant
        ├── UnknownAgent          no such agent in the merchant
        ├── UnknownSession        the session is not queued or served
        ├── NotOffered            accept/decline by an agent the session is not ringing for
        ├── NotServing            the agent (or anyone) does not serve the session
        ├── AgentUnavailable      transfer/invite target is offline, not free or full
        ├── LastAgent             the only agent of a conversation cannot just leave it
        └── InvalidTransfer       no target, two targets, or the session's own agent
"""

from __future__ import annotations

from chatflow.engine.errors import ChatflowError


class RoutingError(ChatflowError):
    """The dispatcher refused an operation; nothing was changed."""


class UnknownGroup(RoutingError):
    def __init__(self, merchant: str, group: str, known: list[str]) -> None:
        choices = ", ".join(sorted(known)) or "none"
        super().__init__(
            f"Unknown group {group!r} in merchant {merchant!r}. Available groups: {choices}"
        )
        self.merchant = merchant
        self.group = group


class UnknownAgent(RoutingError):
    def __init__(self, agent_id: str) -> None:
        super().__init__(f"Unknown agent {agent_id!r} (not logged in, or of another merchant)")
        self.agent_id = agent_id


class UnknownSession(RoutingError):
    def __init__(self, session_id: str) -> None:
        super().__init__(f"Session {session_id!r} is neither queued nor served")
        self.session_id = session_id


class NotOffered(RoutingError):
    def __init__(self, session_id: str, agent_id: str) -> None:
        super().__init__(f"Session {session_id!r} is not ringing for agent {agent_id!r}")
        self.session_id = session_id
        self.agent_id = agent_id


class NotServing(RoutingError):
    def __init__(self, session_id: str, agent_id: str | None) -> None:
        who = f"agent {agent_id!r}" if agent_id else "no agent"
        super().__init__(f"Session {session_id!r} is not served by {who}")
        self.session_id = session_id
        self.agent_id = agent_id


class AgentUnavailable(RoutingError):
    """``reason`` is the agent's status (``offline``, ``busy``...) or ``full``."""

    def __init__(self, agent_id: str, reason: str) -> None:
        super().__init__(f"Agent {agent_id!r} cannot take the session: {reason}")
        self.agent_id = agent_id
        self.reason = reason


class LastAgent(RoutingError):
    def __init__(self, session_id: str, agent_id: str) -> None:
        super().__init__(
            f"Agent {agent_id!r} is the only agent of session {session_id!r}; "
            "end the service or transfer it instead"
        )
        self.session_id = session_id
        self.agent_id = agent_id


class InvalidTransfer(RoutingError):
    pass


class QueueUnavailable(RoutingError):
    """The shared queue (scale-out) did not apply a command in time: Redis is unreachable or too
    slow. A command that timed out may still be applied later."""
