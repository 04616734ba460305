"""The context a node sees: the session's variables, time, randomness and rendering.

Nodes read everything through this protocol (never a global), which makes a frozen clock,
seeded randomness and replay tests possible. The runtime provides the implementation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

T = TypeVar("T")


class NodeContext(Protocol):
    """What a node may read and compute while handling ``enter`` or ``on_event``."""

    @property
    def flow_id(self) -> str: ...

    @property
    def node_id(self) -> str: ...

    @property
    def session_id(self) -> str: ...

    @property
    def now(self) -> datetime:
        """Aware current time from the session's clock."""
        ...

    @property
    def timezone(self) -> ZoneInfo:
        """The flow's timezone (``settings.timezone``)."""
        ...

    @property
    def variables(self) -> Mapping[str, Any]:
        """Flow variables, plus ``sys`` with the system variables."""
        ...

    @property
    def state(self) -> Mapping[str, Any]:
        """Node-local state kept since this node was entered (empty on enter)."""
        ...

    def render(
        self, template: str, extra: Mapping[str, Any] | None = None, *, strict: bool = False
    ) -> str:
        """Render a template with the variables, ``extra`` laid over them (values the node is
        about to set). On failure log it and return a safe fallback for visitors; with
        ``strict`` (text for a machine, such as an HTTP request) raise ``TemplateError``."""
        ...

    def evaluate(self, expression: str, extra: Mapping[str, Any] | None = None) -> Any:
        """Evaluate an expression (``extra`` laid over the variables); raises ``TemplateError``."""
        ...

    def choice(self, items: Sequence[T]) -> T:
        """Pick one item at random, from the session's seeded randomness."""
        ...
