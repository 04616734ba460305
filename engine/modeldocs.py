"""Markdown tables of pydantic models, for the generated references (the flow language's and
``chatflow.yaml``'s): field names, reader's type names, defaults and the fields' docstrings."""

from __future__ import annotations

import datetime
import json
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, Union

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined


def doc(model: type) -> str:
    return plain(model.__doc__ or "")


def plain(text: str) -> str:
    """A docstring as one Markdown line (reST ``code`` as `code`)."""
    return " ".join(text.replace("``", "`").split())


def cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return "(see below)" if _is_bare(value) else f"`{value.model_dump_json()}`"
        return f"`{json.dumps(value, ensure_ascii=False)}`"
    if field.default is PydanticUndefined:
        return "**required**"
    if field.default is None:
        return ""
    return f"`{json.dumps(field.default, ensure_ascii=False)}`"


def type_name(annotation: Any) -> str:
    """A reader's name for a field type: ``list of text``, ``"a" | "b"``, a link to a model."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0])
    if origin in (Union, types.UnionType):
        names = [type_name(a) for a in args if a is not type(None)]
        return " or ".join(names)
    if origin is Literal:
        return " | ".join(f'`"{a}"`' if isinstance(a, str) else f"`{a}`" for a in args)
    if origin is list:
        return f"list of {type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"map of {type_name(args[0])} to {type_name(args[1])}" if args else "map"
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


def submodels(model: type[BaseModel], exclude: set[type[BaseModel]]) -> list[type[BaseModel]]:
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


def _is_bare(value: BaseModel) -> bool:
    """True when ``value`` is its model with every field at its default (its own section says
    what those are), False when the default sets fields (a `Rate` of 20 per 60 s)."""
    try:
        return value == type(value)()
    except ValidationError:  # required fields: the default is its own values
        return False


Describe = Callable[[str, FieldInfo], "tuple[str, str] | None"]
"""A field's (type, description) in place of the usual, or None to leave the field out."""


def table(
    model: type[BaseModel],
    *,
    skip: tuple[str, ...] = (),
    only: tuple[str, ...] = (),
    describe: Describe | None = None,
) -> list[str]:
    """A model's fields as a Markdown table: field, type, default, description."""
    rows = ["| field | type | default | description |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if name in skip or (only and name not in only):
            continue
        kind, description = type_name(field.annotation), field.description or ""
        if describe is not None:
            special = describe(name, field)
            if special is None:
                continue
            kind, description = special
        rows.append(
            f"| `{field.alias or name}` | {cell(kind)} | {cell(default(field))} "
            f"| {cell(plain(description))} |"
        )
    return [*rows, ""]
