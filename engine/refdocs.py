"""``docs/flow-language.md``, generated from the flow language's models (``chatflow schema --docs``).

Field names, types, defaults and descriptions come from the pydantic models and their
docstrings, so the reference cannot drift from the code (a test compares the committed file with
this output). Each node type's example is its ``example``; the prose lives in
:mod:`~chatflow.engine.refdocs_text`.
"""

from __future__ import annotations

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from chatflow.engine import refdocs_text as text
from chatflow.engine.flow import FlowBase, FlowSettings, Interrupt
from chatflow.engine.language import FlowLanguage
from chatflow.engine.modeldocs import cell, doc, submodels, table, type_name
from chatflow.engine.node import NodeBase, Position
from chatflow.engine.templates import SYSTEM_ALIASES, SYSTEM_VARIABLES

DOC_NAME = "flow-language.md"
HEADER = (
    "<!-- Generated from the node models by `chatflow schema --docs --write` "
    "(engine/refdocs.py, prose in engine/refdocs_text.py); do not edit by hand. -->"
)
_COMMON = ("type", "label", "position")


def reference(language: FlowLanguage) -> str:
    """The whole reference page as Markdown."""
    out = [HEADER, "", "# Flow language reference", "", text.INTRO]
    out += ["## A flow file", "", text.FLOW_EXAMPLE]
    out += _model_section("Top-level fields", language.flow_model, level=3, anchor="flow")
    out += _model_section("`settings`", FlowSettings, level=3)
    out += _model_section("`interrupts[]`", Interrupt, level=3)
    out += ["## Templates, expressions and variables", "", text.TEMPLATES]
    out += _system_variables()
    out += ["## Fields of every node", ""]
    out += _table(NodeBase, only=_COMMON)
    out += [
        "`type` picks the node type; the node id (the key under `nodes`) is letters, digits, "
        "`_` and `-`.",
        "",
    ]
    out += [text.NODE_REFS]
    out += _model_section("`position`", Position, level=3)
    out += ["## Node types", ""]
    out += _summary(language)
    for tag, node_type in language.node_types.items():
        out += _node_section(tag, node_type)
    out += ["## What `chatflow validate` checks", "", text.CHECKS]
    return "\n".join(out).rstrip() + "\n"


def _summary(language: FlowLanguage) -> list[str]:
    rows = [
        "| type | what it does | waits for the visitor | can end the session |",
        "|---|---|---|---|",
    ]
    for tag, node_type in language.node_types.items():
        waits = "yes" if node_type.waits_for_input else ""
        ends = "yes" if node_type.terminal or node_type.may_end else ""
        rows.append(f"| [`{tag}`](#{tag}) | {cell(doc(node_type))} | {waits} | {ends} |")
    return [*rows, ""]


def _node_section(tag: str, node_type: type[NodeBase]) -> list[str]:
    out = [f'<a id="{tag}"></a>', "", f"### `{tag}`", "", doc(node_type), ""]
    flags = []
    if node_type.waits_for_input:
        flags.append("waits for the visitor")
    if node_type.terminal:
        flags.append("ends the session")
    elif node_type.may_end:
        flags.append("may end the session")
    if flags:
        out += [f"*{'; '.join(flags).capitalize()}.*", ""]
    out += _table(node_type, skip=_COMMON)
    if node_type.example:
        out += ["```yaml", node_type.example.rstrip(), "```", ""]
    for sub in submodels(node_type, {Position}):
        out += _model_section(f"`{sub.__name__}`", sub, level=4)
    return out


def _model_section(
    title: str,
    model: type[BaseModel],
    *,
    level: int,
    skip: tuple[str, ...] = (),
    anchor: str | None = None,
) -> list[str]:
    name = anchor or model.__name__.lower()
    out = [f'<a id="{name}"></a>', "", f"{'#' * level} {title}", ""]
    if not issubclass(model, FlowBase):
        out += [doc(model), ""]
    return out + _table(model, skip=skip)


def _table(
    model: type[BaseModel], *, skip: tuple[str, ...] = (), only: tuple[str, ...] = ()
) -> list[str]:
    def describe(name: str, field: FieldInfo) -> tuple[str, str] | None:
        if name == "nodes" and issubclass(model, FlowBase):
            return "map of node id to [node](#node-types)", field.description or ""
        if name == "type" and issubclass(model, NodeBase):
            if model is not NodeBase:
                return None  # the section's title says it
            return "text", "The node type: one of the [node types](#node-types)."
        return type_name(field.annotation), field.description or ""

    return table(model, skip=skip, only=only, describe=describe)


def _system_variables() -> list[str]:
    aliases = {target: name for name, target in SYSTEM_ALIASES.items()}
    rows = ["| variable | seed alias | holds |", "|---|---|---|"]
    for name in SYSTEM_VARIABLES:
        alias = aliases.get(f"sys.{name}")
        shown = f"`${{{alias}}}`" if alias else ""
        rows.append(f"| `sys.{name}` | {shown} | {cell(text.SYSTEM_VARIABLE_DOCS.get(name, ''))} |")
    return [*rows, ""]
