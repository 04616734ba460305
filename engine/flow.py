"""The flow file model: id, start, vars, settings, interrupts and the node graph.

The node union is not known here (``engine`` never imports ``nodes``):
:class:`~chatflow.engine.language.FlowLanguage` makes the concrete flow model from the explicit
list of node types that ``nodes.registry`` passes in.
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from chatflow.engine.node import VARIABLE_PATTERN, Model, NodeBase, NodeRef

FLOW_ID_PATTERN = r"^[a-z0-9_-]+$"


def known_timezone(value: str | None) -> str | None:
    """A field validator: the value is None or an IANA timezone name."""
    if value is not None:
        try:
            ZoneInfo(value)
        except (LookupError, ValueError):
            raise ValueError(
                f"unknown timezone {value!r}; use an IANA name like Asia/Shanghai or UTC"
            ) from None
    return value


class FlowSettings(Model):
    """Settings that apply to the whole flow."""

    timezone: str = "Asia/Shanghai"
    """IANA timezone for business hours and ``sys.now`` (``Asia/Shanghai``, ``Asia/Taipei``, ``UTC``)."""
    idle_timeout: float = Field(default=0, ge=0)
    """Seconds without a visitor reply after our last message (the bot's, or an agent's while one
    serves) before the session ends (0 = never)."""
    agent_idle_timeout: float | None = Field(default=None, ge=0)
    """While an agent serves: seconds without a visitor reply after the agent's last message
    before the session ends (absent = ``idle_timeout``; 0 = never during the service)."""
    idle_message: str | None = None
    """Template sent when the idle timeout ends the session (with the bot or with an agent)."""
    agent_end_message: str | None = None
    """Template sent to the visitor when an agent ends the human service."""

    _known_timezone = field_validator("timezone")(known_timezone)

    def service_idle_timeout(self) -> float:
        """The idle timeout while an agent serves the session (0 = never)."""
        return self.idle_timeout if self.agent_idle_timeout is None else self.agent_idle_timeout


class Interrupt(Model):
    """Global keywords: while the bot owns the session, a visitor message matching one jumps."""

    keywords: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    """Phrases that trigger the jump (matched on the whole message, ignoring case and spaces)."""
    goto: NodeRef
    """Node to jump to."""


class FlowBase(Model):
    """Fields of a flow file other than ``nodes``."""

    id: str = Field(pattern=FLOW_ID_PATTERN)
    """Flow id: lowercase letters, digits, ``_`` and ``-``; unique in a deployment."""
    name: str | None = None
    """Human-readable name."""
    description: str | None = None
    """What the flow is for."""
    start: NodeRef
    """Id of the first node."""
    vars: dict[Annotated[str, Field(pattern=VARIABLE_PATTERN)], Any] = Field(default_factory=dict)
    """Declared variables with their default values."""
    settings: FlowSettings = Field(default_factory=FlowSettings)
    """Flow-wide settings."""
    interrupts: list[Interrupt] = Field(default_factory=list)
    """Global keywords that jump anywhere while the bot owns the session."""

    nodes: dict[str, NodeBase]
    """The node graph: node id -> node (the concrete union is set by ``FlowLanguage``)."""

    def node(self, node_id: str) -> NodeBase:
        """The node with this id (``KeyError`` when absent)."""
        return self.nodes[node_id]

    def groups(self) -> set[str]:
        """Skill groups its ``transfer`` nodes queue for."""
        return {group for node in self.nodes.values() for _, group in node.groups()}

    def known_variables(self) -> set[str]:
        """Variables declared under ``vars`` or set by a node (form, set, http, survey)."""
        names = set(self.vars)
        for node in self.nodes.values():
            names.update(node.assigns())
        return names
