"""The runtime's :class:`~chatflow.engine.context.NodeContext`: what a node sees during one step.

The interpreter moves one :class:`RunContext` from node to node while it applies an event.
Rendering never fails toward the visitor: a template error is logged with flow, node and
session ids, and the visitor gets the template's plain text (or a generic sentence) instead.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from chatflow.engine.errors import TemplateError
from chatflow.engine.flowcache import LoadedFlow
from chatflow.engine.session import Session

T = TypeVar("T")

logger = logging.getLogger("chatflow.engine.runtime")

FALLBACK_TEXT = "抱歉，这条消息暂时无法显示。"
"""What the visitor sees when a template fails and has no plain text of its own."""

_TEMPLATE_PARTS = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\$\{[^}]*\}", re.DOTALL)


def fallback_text(template: str) -> str:
    """The template's plain text without its placeholders, or :data:`FALLBACK_TEXT`."""
    plain = " ".join(_TEMPLATE_PARTS.sub(" ", template).split())
    return plain if plain.strip(" ，,。.:：") else FALLBACK_TEXT


class RunContext:
    """A :class:`~chatflow.engine.context.NodeContext` over a session being changed."""

    def __init__(self, session: Session, flow: LoadedFlow, now: datetime) -> None:
        self._session = session
        self._flow = flow
        self._now = now.astimezone(flow.timezone)
        self._node_id = session.node
        self._state: Mapping[str, Any] = session.state
        self._variables: dict[str, Any] | None = None

    # -- moved by the interpreter ----------------------------------------------------------------

    def at(self, node_id: str, state: Mapping[str, Any]) -> None:
        """Point the context at ``node_id`` with its node-local ``state``."""
        self._node_id = node_id
        self._state = state

    def changed(self) -> None:
        """Variables or ``sys`` values changed: rebuild the template variables on next use."""
        self._variables = None

    # -- NodeContext -----------------------------------------------------------------------------

    @property
    def flow_id(self) -> str:
        return self._flow.id

    @property
    def node_id(self) -> str:
        return self._node_id

    @property
    def session_id(self) -> str:
        return self._session.id

    @property
    def now(self) -> datetime:
        return self._now

    @property
    def timezone(self) -> ZoneInfo:
        return self._flow.timezone

    @property
    def variables(self) -> Mapping[str, Any]:
        if self._variables is None:
            s = self._session
            values = dict(s.variables)
            values["sys"] = {
                "session_id": s.id,
                "visitor_id": s.sys.visitor_id,
                "channel_id": s.sys.channel_id,
                "channel_name": s.sys.channel_name,
                "wait_no": s.sys.wait_no,
                "staff_no": s.sys.staff_no,
                "staff_nickname": s.sys.staff_nickname,
                "now": self._now,
                "last_input": s.sys.last_input,
            }
            self._variables = values
        return self._variables

    @property
    def state(self) -> Mapping[str, Any]:
        return self._state

    def _with(self, extra: Mapping[str, Any] | None) -> Mapping[str, Any]:
        return {**self.variables, **extra} if extra else self.variables

    def render(
        self, template: str, extra: Mapping[str, Any] | None = None, *, strict: bool = False
    ) -> str:
        try:
            return self._flow.templates.render(template, self._with(extra))
        except TemplateError as exc:
            if strict:
                raise TemplateError(
                    exc.message, flow_id=self._flow.id, node_id=self._node_id
                ) from None
            logger.warning(
                "engine.template_failed",
                extra={
                    "flow_id": self._flow.id,
                    "node_id": self._node_id,
                    "session_id": self._session.id,
                    "error": exc.message,
                    "template": template[:200],
                },
            )
            return fallback_text(template)

    def evaluate(self, expression: str, extra: Mapping[str, Any] | None = None) -> Any:
        try:
            return self._flow.templates.evaluate(expression, self._with(extra))
        except TemplateError as exc:
            raise TemplateError(exc.message, flow_id=self._flow.id, node_id=self._node_id) from None

    def choice(self, items: Sequence[T]) -> T:
        if not items:
            raise IndexError("choice() from an empty list")
        draw = random.Random(f"{self._session.id}:{self._session.next_id()}")
        return items[draw.randrange(len(items))]
