"""``docs/flow-language.md``, generated from the flow language's models (``chatflow schema --docs``).

Field names, types, defaults and descriptions come from the pydantic models and their
docstrings, so the reference cannot drift from the code (a test compares the committed file with
this output). Each node type's example is its ``example``; the prose lives in
:mod:`~chatflow.engine.refdocs_text`.
"""

from __future__ import annotations

import datetime
import json
import types
import typing
from typing import Any, Literal, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from chatflow.engine import refdocs_text as text
from chatflow.engine.flow import FlowBase, FlowSettings, Interrupt
from chatflow.engine.language import FlowLanguage
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
        rows.append(f"| [`{tag}`](#{tag}) | {_cell(_doc(node_type))} | {waits} | {ends} |")
    return [*rows, ""]


def _node_section(tag: str, node_type: type[NodeBase]) -> list[str]:
    out = [f'<a id="{tag}"></a>', "", f"### `{tag}`", "", _doc(node_type), ""]
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
    for sub in _submodels(node_type, {Position}):
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
        out += [_doc(model), ""]
    return out + _table(model, skip=skip)


def _table(
    model: type[BaseModel], *, skip: tuple[str, ...] = (), only: tuple[str, ...] = ()
) -> list[str]:
    rows = ["| field | type | default | description |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if name in skip or (only and name not in only):
            continue
        shown = field.alias or name
        description = field.description or ""
        if name == "nodes" and issubclass(model, FlowBase):
            kind = "map of node id to [node](#node-types)"
        elif name == "type" and issubclass(model, NodeBase) and model is not NodeBase:
            continue
        elif name == "type":
            kind = "text"
            description = "The node type: one of the [node types](#node-types)."
        else:
            kind = _type_name(field.annotation)
        rows.append(
            f"| `{shown}` | {_cell(kind)} | {_cell(_default(field))} | {_cell(_plain(description))} |"
        )
    return [*rows, ""]


def _doc(model: type) -> str:
    return _plain(model.__doc__ or "")


def _plain(doc: str) -> str:
    return " ".join(doc.replace("``", "`").split())


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return "(see below)"
        return f"`{json.dumps(value, ensure_ascii=False)}`"
    if field.default is PydanticUndefined:
        return "**required**"
    if field.default is None:
        return ""
    return f"`{json.dumps(field.default, ensure_ascii=False)}`"


def _type_name(annotation: Any) -> str:
    """A reader's name for a field type: ``list of text``, ``"a" | "b"``, a link to a model."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (Union, types.UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(names)
    if origin is Literal:
        return " | ".join(f'`"{a}"`' if isinstance(a, str) else f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"map of {_type_name(args[0])} to {_type_name(args[1])}" if args else "map"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    simple = {
        str: "text",
        int: "integer",
        float: "number",
        bool: "boolean",
        datetime.date: "date (YYYY-MM-DD)",
    }
    if annotation is Any:
        return "any"
    if isinstance(annotation, type) and annotation in simple:
        return simple[annotation]
    return str(annotation)


def _submodels(model: type[BaseModel], exclude: set[type[BaseModel]]) -> list[type[BaseModel]]:
    """Models used by a model's fields, depth first, each once."""
    found: list[type[BaseModel]] = []

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in exclude and annotation not in found:
                found.append(annotation)
                for field in annotation.model_fields.values():
                    visit(field.annotation)
            return
        for arg in typing.get_args(annotation):
            visit(arg)

    for field in model.model_fields.values():
        visit(field.annotation)
    return found


def _system_variables() -> list[str]:
    aliases = {target: name for name, target in SYSTEM_ALIASES.items()}
    rows = ["| variable | seed alias | holds |", "|---|---|---|"]
    for name in SYSTEM_VARIABLES:
        alias = aliases.get(f"sys.{name}")
        shown = f"`${{{alias}}}`" if alias else ""
        rows.append(
            f"| `sys.{name}` | {shown} | {_cell(text.SYSTEM_VARIABLE_DOCS.get(name, ''))} |"
        )
    return [*rows, ""]
