"""Flow versions ready to run: parsed once, templates compiled once, kept per (flow, version).

The runtime pins each session to the content version its flow had when it started; this cache
turns a stored version's YAML into a :class:`LoadedFlow` on first use. ``engine`` cannot import
``nodes``, so the :class:`~chatflow.engine.language.FlowLanguage` is passed in.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from chatflow.engine.errors import NotFoundError
from chatflow.engine.flow import FlowBase
from chatflow.engine.language import FlowLanguage
from chatflow.engine.stores.base import SessionStore
from chatflow.engine.templates import CompiledFlowTemplates
from chatflow.engine.text import normalise
from chatflow.engine.yamlsource import loads


@dataclass
class LoadedFlow:
    """One flow version with what running it needs, built once."""

    flow: FlowBase
    version: str
    templates: CompiledFlowTemplates = field(default_factory=CompiledFlowTemplates)
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    interrupts: dict[str, str] = field(default_factory=dict)
    """Normalised interrupt keyword -> node to jump to (the first listed wins)."""

    @classmethod
    def build(cls, flow: FlowBase, version: str = "") -> LoadedFlow:
        interrupts: dict[str, str] = {}
        for interrupt in flow.interrupts:
            for keyword in interrupt.keywords:
                interrupts.setdefault(normalise(keyword), interrupt.goto)
        return cls(
            flow=flow,
            version=version,
            timezone=ZoneInfo(flow.settings.timezone),
            interrupts=interrupts,
        )

    @property
    def id(self) -> str:
        return self.flow.id

    def interrupt_for(self, text: str) -> str | None:
        """The node an interrupt keyword in ``text`` (the whole text) jumps to, else None."""
        if not self.interrupts:
            return None
        return self.interrupts.get(normalise(text))


class FlowCache:
    """Loads flow versions from the store through the flow language, least recently used out."""

    def __init__(self, store: SessionStore, language: FlowLanguage, size: int = 256) -> None:
        self._store = store
        self._language = language
        self._size = size
        self._flows: OrderedDict[tuple[str, str], LoadedFlow] = OrderedDict()

    def parse(self, yaml_text: str, source: str = "<string>") -> FlowBase:
        """Parse a flow text; raises ``DefinitionError`` with every problem placed."""
        return self._language.parse(loads(yaml_text, source))

    def remember(self, loaded: LoadedFlow) -> None:
        key = (loaded.id, loaded.version)
        self._flows[key] = loaded
        self._flows.move_to_end(key)
        while len(self._flows) > self._size:
            self._flows.popitem(last=False)

    async def get(self, flow_id: str, version: str) -> LoadedFlow:
        key = (flow_id, version)
        loaded = self._flows.get(key)
        if loaded is not None:
            self._flows.move_to_end(key)
            return loaded
        text = await self._store.get_flow_version(flow_id, version)
        if text is None:
            raise NotFoundError(f"flow version {version!r} is not in the store", flow_id=flow_id)
        loaded = LoadedFlow.build(self.parse(text, f"{flow_id}@{version}"), version)
        self.remember(loaded)
        return loaded
