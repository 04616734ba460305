"""The flow language: the flow model built from an explicit list of node types.

``nodes.registry`` builds the one :class:`FlowLanguage`; everything that needs to know the node
types (parsing, the JSON Schema, the reference docs, the validator) asks it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Union

from pydantic import BaseModel, Field, ValidationError, create_model

from chatflow.engine.errors import DefinitionError, Problem
from chatflow.engine.flow import FlowBase
from chatflow.engine.node import NODE_ID_PATTERN, NodeBase
from chatflow.engine.yamlsource import Document, PathTuple


class FlowLanguage:
    """Node types by tag, the concrete flow model, and parsing with placed problems."""

    def __init__(self, node_types: tuple[type[NodeBase], ...]) -> None:
        self.node_types: dict[str, type[NodeBase]] = {}
        for node_type in node_types:
            tag = _tag_of(node_type)
            if tag in self.node_types:
                raise ValueError(f"node type {tag!r} is registered twice")
            self.node_types[tag] = node_type
        union: Any = Annotated[Union[tuple(node_types)], Field(discriminator="type")]  # noqa: UP007
        node_id = Annotated[str, Field(pattern=NODE_ID_PATTERN)]
        self.flow_model: type[FlowBase] = create_model(
            "Flow",
            __base__=FlowBase,
            __doc__="A session service flow: a graph of nodes run by the interpreter.",
            nodes=(
                dict[node_id, union],
                Field(min_length=1, description="The node graph: node id -> node."),
            ),
        )

    def parse(self, doc: Document) -> FlowBase:
        """Validate a loaded document as a flow, or raise with every problem at its place."""
        try:
            return self.flow_model.model_validate(doc.data)
        except ValidationError as exc:
            raise DefinitionError(
                f"{doc.source} is not a valid flow", self.problems(doc, exc)
            ) from None

    def problems(self, doc: Document, exc: ValidationError) -> list[Problem]:
        """Pydantic errors of a flow document as problems placed at their line and column."""
        return model_problems(doc, exc, self._model_at, node_types=list(self.node_types))

    def _model_at(self, data: Any, path: PathTuple) -> type[BaseModel] | None:
        """The model class that validates the mapping at ``path`` (for 'expected one of')."""
        if len(path) >= 2 and path[0] == "nodes":
            node = data.get("nodes", {}).get(path[1]) if isinstance(data, dict) else None
            tag = node.get("type") if isinstance(node, dict) else None
            model = self.node_types.get(tag) if isinstance(tag, str) else None
            return _descend(model, node, path[2:]) if model else None
        return _descend(self.flow_model, data, path)


def _tag_of(node_type: type[NodeBase]) -> str:
    annotation = node_type.model_fields["type"].annotation
    args: tuple[Any, ...] = getattr(annotation, "__args__", ())
    if len(args) != 1 or not isinstance(args[0], str):
        raise ValueError(f"{node_type.__name__}.type must be a Literal of one string")
    tag: str = args[0]
    return tag


ModelAt = Callable[[Any, PathTuple], type[BaseModel] | None]
"""Which model validates the mapping at a path of the data (for 'expected one of')."""


def locate_model(model: type[BaseModel]) -> ModelAt:
    """A ``model_at`` for :func:`model_problems` over a plain model (config, test file)."""
    return lambda data, path: _descend(model, data, path)


def _descend(model: type[BaseModel] | None, data: Any, path: PathTuple) -> type[BaseModel] | None:
    """Follow ``path`` through nested model fields (lists and dicts of models included)."""
    for part in path:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _model_in(field.annotation)
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def model_problems(
    doc: Document,
    exc: ValidationError,
    model_at: ModelAt | None = None,
    *,
    node_types: Sequence[str] = (),
) -> list[Problem]:
    """Turn pydantic errors into problems at their place, saying what was expected.

    ``node_types`` are the tags a node's ``type`` may have (named when a node has none).
    """
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = _yaml_path(doc.data, tuple(err["loc"]))
        kind = err["type"]
        message = err["msg"]
        key = False
        if kind == "extra_forbidden":
            key = True
            message = f"unknown field {loc[-1]!r}"
            model = model_at(doc.data, loc[:-1]) if model_at else None
            if model is not None:
                names = [f.alias or name for name, f in model.model_fields.items()]
                message += f"; expected one of: {', '.join(names)}"
        elif kind == "missing":
            message = f"missing required field {loc[-1]!r}"
            loc = loc[:-1]
        elif kind == "union_tag_invalid":
            ctx = err.get("ctx") or {}
            message = _unknown_type(str(ctx.get("tag")), node_types, ctx.get("expected_tags"))
            loc = (*loc, "type")
        elif kind == "union_tag_not_found":
            message = f"the node has no 'type'; add one of: {', '.join(node_types)}"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
            key = err.get("input") is None and (*loc,) in doc.keys  # 'user:' left empty
        elif kind == "string_pattern_mismatch":
            message = f"{message} (got {err.get('input')!r})"
        elif kind == "string_type" and isinstance(err.get("input"), int | float):
            message = _quote_it(doc, loc, err["input"])
        problems.append(doc.problem(message, loc, key=key, code=kind))
    return problems


_SCALAR = re.compile(r"[^\s,\]}#]+")


def _quote_it(doc: Document, loc: PathTuple, value: float | bool) -> str:
    """A number (or true/false) where text belongs: YAML read it so; quoting keeps it text.
    The value is shown as written (``2.50``, not ``2.5``) when its place in the text says so."""
    line, column = doc.position(loc)
    lines = doc.text.splitlines()
    written = _SCALAR.match(lines[line - 1], column - 1) if 0 < line <= len(lines) else None
    raw = (
        written.group()
        if written
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )
    example = f'"{raw}"'
    if loc and isinstance(loc[-1], str):
        example = f"{loc[-1]}: {example}"
    what = "a true/false value" if isinstance(value, bool) else "a number"
    return f"write the text in quotes: {example} (YAML reads {raw} as {what})"


def _unknown_type(tag: str, node_types: Sequence[str], expected: Any) -> str:
    """``unknown node type 'mesage'; did you mean 'message'? Valid types: message, ...``."""
    if not node_types:
        return f"unknown node type {tag!r}; expected one of: {expected}"
    types = ", ".join(node_types)
    close = difflib.get_close_matches(tag, list(node_types), n=1, cutoff=0.6)
    if close:
        return f"unknown node type {tag!r}; did you mean {close[0]!r}? Valid types: {types}"
    return f"unknown node type {tag!r}; valid types: {types}"


def _yaml_path(data: Any, loc: tuple[Any, ...]) -> PathTuple:
    """Drop the union tags pydantic inserts into locations, so a location is a YAML path."""
    out: list[str | int] = []
    cursor = data
    for part in loc:
        if isinstance(cursor, dict):
            if part in cursor:
                out.append(part)
                cursor = cursor[part]
            elif cursor.get("type") == part or (
                isinstance(part, str) and part.startswith(("function-", "list[", "dict["))
            ):
                continue
            else:
                out.append(part)
                cursor = None
        elif isinstance(cursor, list) and isinstance(part, int) and 0 <= part < len(cursor):
            out.append(part)
            cursor = cursor[part]
        elif isinstance(part, str | int):
            out.append(part)
            cursor = None
    return tuple(out)
