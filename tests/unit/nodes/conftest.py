"""A fake of the runtime's node context: frozen clock, seeded randomness, real templates.

Only the runtime is faked; the node under test and the template sandbox are the real ones.
Test modules use the fixtures only (``make``, ``node``), never import this file: under pytest's
default import mode a conftest is not importable as ``tests.unit...``. ``Session.apply`` carries out the parts of an outcome a node can observe on its next call
(variables and node-local state), so a test can walk a node through a short conversation.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from chatflow.engine.effects import Effect, Outcome, Say, SetVars
from chatflow.engine.errors import TemplateError
from chatflow.engine.events import Event
from chatflow.engine.node import NodeBase
from chatflow.engine.templates import CompiledFlowTemplates
from chatflow.nodes import LANGUAGE

T = TypeVar("T")
E = TypeVar("E", bound=Effect)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
"""A Monday, 10:00 in Shanghai."""


FALLBACK = "[template failed]"
"""What the fake's ``render`` returns for a failing template (the runtime logs and falls back)."""


@dataclass
class FakeContext:
    """Implements ``NodeContext`` the way the runtime does, minus persistence and I/O."""

    flow_id: str = "demo"
    node_id: str = "node"
    session_id: str = "s1"
    now: datetime = NOW
    timezone: ZoneInfo = SHANGHAI
    variables: dict[str, Any] = field(default_factory=dict)
    state: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 7
    templates: CompiledFlowTemplates = field(default_factory=CompiledFlowTemplates)
    render_failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.variables.setdefault("sys", {"session_id": self.session_id, "wait_no": 0})
        self._rng = random.Random(self.seed)

    def _with(self, extra: Mapping[str, Any] | None) -> Mapping[str, Any]:
        return {**self.variables, **extra} if extra else self.variables

    def render(
        self, template: str, extra: Mapping[str, Any] | None = None, *, strict: bool = False
    ) -> str:
        try:
            return self.templates.render(template, self._with(extra))
        except TemplateError:
            if strict:
                raise
            self.render_failures.append(template)
            return FALLBACK

    def evaluate(self, expression: str, extra: Mapping[str, Any] | None = None) -> Any:
        return self.templates.evaluate(expression, self._with(extra))

    def choice(self, items: Sequence[T]) -> T:
        return items[self._rng.randrange(len(items))]


@dataclass
class Session:
    """One node and its context; ``enter``/``send`` call the node and apply what it asked for."""

    node: NodeBase
    ctx: FakeContext

    def enter(self) -> Outcome:
        self.ctx.state = {}
        return self.apply(self.node.enter(self.ctx))

    def send(self, event: Event) -> Outcome:
        return self.apply(self.node.on_event(self.ctx, event))

    def apply(self, outcome: Outcome) -> Outcome:
        for effect in outcome.effects:
            if isinstance(effect, SetVars):
                self.ctx.variables.update(effect.values)
        self.ctx.state = dict(outcome.state) if outcome.waits else {}
        return outcome

    def later(self, seconds: float) -> None:
        self.ctx.now += timedelta(seconds=seconds)

    @staticmethod
    def said(outcome: Outcome) -> list[str]:
        """Texts of the ``Say`` effects, in order."""
        return [e.text for e in outcome.effects if isinstance(e, Say)]

    @staticmethod
    def of(outcome: Outcome, kind: type[E]) -> list[E]:
        """Effects of one type, in order."""
        return [e for e in outcome.effects if isinstance(e, kind)]


Make = Callable[..., Session]
"""Type of the ``make`` fixture."""


def build_node(data: Mapping[str, Any]) -> NodeBase:
    """Build a node through the flow language's registry, as a loaded flow would."""
    model = LANGUAGE.node_types[str(data["type"])]
    return model.model_validate(dict(data))


@pytest.fixture
def node() -> Callable[[Mapping[str, Any]], NodeBase]:
    """``node({...})`` -> a validated node model (for tests of the config rules)."""
    return build_node


@pytest.fixture
def make() -> Callable[..., Session]:
    """``make({...node...}, variables={...}, node_id=..., now=...)`` -> a Session."""

    def build(data: Mapping[str, Any], **ctx: Any) -> Session:
        return Session(build_node(data), FakeContext(**ctx))

    return build
