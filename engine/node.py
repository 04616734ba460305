"""The node contract: what every node type of ``nodes/`` provides to the engine.

A node type is one pydantic model (its YAML config, the single source of the JSON Schema, the
reference docs and validation) that also carries its behaviour. The engine never imports
``nodes``; it works through this base class, so a node's knowledge lives in one file:

* static facts for the validator, the Mermaid graph and the docs: :meth:`NodeBase.targets`,
  :meth:`NodeBase.templates`, :meth:`NodeBase.assigns`, :attr:`NodeBase.waits_for_input`,
  :attr:`NodeBase.example`;
* behaviour for the interpreter: :meth:`NodeBase.enter` and :meth:`NodeBase.on_event`, which
  return an :class:`~chatflow.engine.effects.Outcome` and never do I/O.

Every field that names another node is typed :data:`NodeRef`, so the JSON Schema tells editors
and tools which strings are node ids: the field's string schema carries ``"x-node-ref": true``.
On a required field that is the field's own schema (``{"type": "string", "x-node-ref": true,
"description": ...}``); on an optional one it is the string branch of the field's ``anyOf``
(``{"anyOf": [{"type": "string", "x-node-ref": true}, {"type": "null"}], ...}``), the
description and default staying beside the ``anyOf``. A test holds every :meth:`NodeBase.targets`
path and these markers to the same set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from chatflow.engine.yamlsource import PathTuple

if TYPE_CHECKING:
    from chatflow.engine.context import NodeContext
    from chatflow.engine.effects import Outcome
    from chatflow.engine.events import Event

NODE_ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_-]*$"
"""Node ids: letters, digits, ``_`` and ``-``."""
VARIABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
"""Variable names (flow ``vars``, form and survey ``var``, set ``vars``): identifiers."""

NODE_REF_KEY = "x-node-ref"
"""The JSON Schema keyword that marks a string as a node id (see :data:`NodeRef`)."""
NodeRef = Annotated[str, Field(json_schema_extra={NODE_REF_KEY: True})]
"""A field that names another node (``next``, ``on_fail``, ``options[].next``, ``start``, ...)."""


class Model(BaseModel):
    """Base of every config model: unknown fields are errors and docstrings become descriptions."""

    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, frozen=True, populate_by_name=True
    )


class Position(Model):
    """Where the visual editor draws the node."""

    x: float
    """Horizontal position in editor pixels."""
    y: float
    """Vertical position in editor pixels."""


@dataclass(frozen=True)
class Target:
    """A reference from a node to another node: the field it is in and the branch name."""

    path: PathTuple
    """Path of the field inside the node (``("options", 0, "next")``)."""
    node: str
    """The node id it names."""
    label: str
    """Branch name shown on the graph edge (``open``, ``1. 售前``, ``default``)."""
    after_input: bool = False
    """True when this edge is only taken after the visitor said something (or a timer fired)."""


@dataclass(frozen=True)
class Text:
    """A template or expression held in a node field."""

    path: PathTuple
    source: str
    kind: Literal["template", "expression"] = "template"


class NodeBase(Model):
    """Fields every node has, and the hooks the engine calls."""

    type: str
    label: str | None = None
    """Display name, shown in the visual editor and on diagrams."""
    position: Position | None = None
    """Layout position in the visual editor."""

    waits_for_input: ClassVar[bool] = False
    """True when entering this node stops and waits for the visitor (menu, form, bot, ...)."""
    terminal: ClassVar[bool] = False
    """True for ``end``: a session that reaches it is over."""
    may_end: ClassVar[bool] = False
    """True when the node can end the session by itself (e.g. a survey or transfer without next)."""
    example: ClassVar[str] = ""
    """YAML of one node id mapped to a node of this type, for the reference docs (a test
    validates it)."""

    # -- static facts -------------------------------------------------------------------------

    def targets(self) -> list[Target]:
        """Every node id this node may continue at."""
        return []

    def templates(self) -> list[Text]:
        """Every template and expression in the node's fields."""
        return []

    def assigns(self) -> list[str]:
        """Variables this node sets (form ``var``, http ``outputs``, set ``vars``, survey ``var``)."""
        return []

    def groups(self) -> list[tuple[PathTuple, str]]:
        """Skill groups this node hands the session to, with the field each is in.

        By convention a node field named ``group`` holds a skill-group id (``transfer``); a node
        type that names groups elsewhere overrides this.
        """
        value = getattr(self, "group", None)
        return [(("group",), value)] if isinstance(value, str) else []

    # -- behaviour (filled in by each node type) ---------------------------------------------

    def enter(self, ctx: NodeContext) -> Outcome:
        """The session arrives at this node."""
        raise NotImplementedError(f"node type {self.type!r} has no enter()")

    def on_event(self, ctx: NodeContext, event: Event) -> Outcome:
        """An event arrives while the session waits at this node."""
        raise NotImplementedError(f"node type {self.type!r} has no on_event()")
