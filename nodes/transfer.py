"""``transfer``: queue the visitor for a skill group's agents and wait for the human service."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chatflow.engine.node import NodeBase, Target, Text


class TransferNode(NodeBase):
    """Hand the session to a human: queue, agent joins, agent ends, then continue at ``next``."""

    type: Literal["transfer"]
    waits_for_input = True
    may_end = True
    group: str = Field(min_length=1)
    """Skill group id (defined in ``chatflow.yaml``) whose agents serve the visitor."""
    priority: int = Field(default=0, ge=0, le=100)
    """Queue priority: higher is served first; equal priorities are first come, first served."""
    queue_message: str | None = "您前面还有 {{ sys.wait_no }} 位访客，请耐心等待。"
    """Template sent when queued and whenever the position changes (``sys.wait_no`` = visitors ahead)."""
    connected_message: str | None = (
        "客服 {{ sys.staff_nickname }}（工号 {{ sys.staff_no }}）为您服务。"
    )
    """Template sent when an agent joins (``sys.staff_no``, ``sys.staff_nickname``)."""
    timeout: float | None = Field(default=None, gt=0)
    """Seconds to wait in the queue before ``on_timeout``."""
    on_timeout: str | None = None
    """Node to continue at when ``timeout`` passes (default: the session ends)."""
    on_no_agents: str | None = None
    """Node to continue at when nobody in the group is online (default: wait in the queue)."""
    next: str | None = None
    """Node to continue at after the human service ends (default: the session ends)."""

    def targets(self) -> list[Target]:
        out = []
        if self.next:
            out.append(Target(("next",), self.next, "after service", after_input=True))
        if self.on_timeout:
            out.append(Target(("on_timeout",), self.on_timeout, "queue timeout", after_input=True))
        if self.on_no_agents:
            out.append(Target(("on_no_agents",), self.on_no_agents, "no agents", after_input=True))
        return out

    def templates(self) -> list[Text]:
        out = []
        if self.queue_message:
            out.append(Text(("queue_message",), self.queue_message))
        if self.connected_message:
            out.append(Text(("connected_message",), self.connected_message))
        return out
