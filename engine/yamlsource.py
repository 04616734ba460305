"""Safe YAML reading with positions: the first stage of every flow, config and test file.

The loader keeps the line and column of every mapping key and value (so each problem can be
reported at its place), refuses duplicate keys, resolves scalars by the YAML 1.2 core schema
(``on``/``off``/``yes``/``no`` and ``9:00`` stay strings, dates stay strings) and bounds the
size of what aliases can expand to, so a "billion laughs" file is refused instead of eaten.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chatflow.engine.errors import LoadError, Problem
from chatflow.engine.yamlerrors import TEMPLATE, explain, place

PathTuple = tuple[str | int, ...]

MAX_BYTES = 2_000_000
"""Largest YAML text accepted."""
MAX_NODES = 200_000
"""Largest number of values a document may expand to (aliases counted every time they are used)."""


def json_path(path: PathTuple) -> str:
    """``('nodes', 'menu', 'options', 0)`` -> ``$.nodes.menu.options[0]``."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            out += f".{part}"
        else:
            out += "[" + repr(part) + "]"
    return out


@dataclass
class Document:
    """Plain JSON-like data read from YAML, with the place of every key and value."""

    data: Any
    source: str = "<string>"
    values: dict[PathTuple, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathTuple, tuple[int, int]] = field(default_factory=dict)
    schema_comment: str | None = None
    text: str = ""
    """The YAML text itself (places a problem on a line inside a multi-line template)."""

    def position(self, path: PathTuple, *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the value (or key) at ``path``, else its nearest parent."""
        probe = tuple(path)
        while True:
            table = self.keys if key else self.values
            if probe in table:
                return table[probe]
            if not key and probe in self.keys:
                return self.keys[probe]
            if not probe:
                return (1, 1)
            probe = probe[:-1]

    def problem(
        self,
        message: str,
        path: PathTuple,
        *,
        severity: str = "error",
        key: bool = False,
        code: str = "",
    ) -> Problem:
        line, column = self.position(path, key=key)
        return Problem(
            message=message,
            path=self.source,
            line=line,
            column=column,
            severity=severity,
            json_path=json_path(path),
            code=code,
        )


class CoreSchemaResolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: only true/false are booleans, no sexagesimal numbers, no timestamps.

    Public for the writer (:mod:`~chatflow.engine.flowdump`), which quotes every string this
    reads as something else."""


CoreSchemaResolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
CoreSchemaResolver.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
CoreSchemaResolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
CoreSchemaResolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    yaml.constructor.SafeConstructor,
    CoreSchemaResolver,
):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        CoreSchemaResolver.__init__(self)


_FastLoader: Any = None
try:
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    pass
else:

    class _CLoader(CParser, yaml.constructor.SafeConstructor, CoreSchemaResolver):
        """The same loader on libyaml: about six times faster (``chatflow validate`` on big trees)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            CoreSchemaResolver.__init__(self)

    _FastLoader = _CLoader


def _compose(text: str) -> tuple[yaml.constructor.SafeConstructor, yaml.Node | None]:
    """Parse into nodes with libyaml when present. When libyaml finds a problem (or is absent)
    the pure-Python loader parses again, so problems read and are placed exactly the same."""
    if _FastLoader is not None:
        fast = _FastLoader(text)
        try:
            return fast, fast.get_single_node()
        except yaml.YAMLError:
            pass
    loader = _Loader(text)
    try:
        return loader, loader.get_single_node()
    except BaseException:
        loader.dispose()
        raise


def _scalar(loader: yaml.constructor.SafeConstructor, node: yaml.ScalarNode) -> Any:
    try:
        return _scalar_value(loader, node)
    except (ValueError, KeyError):  # an explicit tag on a value it cannot hold: !!int x
        kind = node.tag.rsplit(":", 1)[-1]
        raise _Bad(f"{node.value!r} is not a valid {kind}; remove the !!{kind} tag", node) from None


def _scalar_value(loader: yaml.constructor.SafeConstructor, node: yaml.ScalarNode) -> Any:
    tag = node.tag
    value = node.value
    if tag == "tag:yaml.org,2002:int":
        text = value.replace("_", "")
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)
    if tag == "tag:yaml.org,2002:float":
        return float(value.replace(".", "", 1) if value[-1:].isalpha() else value)  # .inf, .nan
    if tag in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:str"):
        return loader.construct_object(node)
    if tag == "tag:yaml.org,2002:timestamp":
        return str(value)
    raise _Bad(f"unsupported YAML tag {tag!r}; write the value as plain text", node)


class _Bad(Exception):
    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.message = message
        self.node = node


def _count(node: yaml.Node, memo: dict[int, int], depth: int = 0) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    if depth > 200:
        raise _Bad("the document nests more than 200 levels deep", node)
    memo[key] = 1  # a recursive alias counts once here and is refused by the walker
    total = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _count(k, memo, depth + 1) + _count(v, memo, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            total += _count(item, memo, depth + 1)
    memo[key] = total
    return total


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _build(
    loader: yaml.constructor.SafeConstructor,
    node: yaml.Node,
    path: PathTuple,
    doc: Document,
    active: set[int],
) -> Any:
    doc.values[path] = _mark(node)
    if id(node) in active:
        raise _Bad("a recursive alias (an anchor that contains itself) is not allowed", node)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(loader, node)
    active.add(id(node))
    try:
        if isinstance(node, yaml.SequenceNode):
            return [
                _build(loader, item, (*path, i), doc, active) for i, item in enumerate(node.value)
            ]
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or (
                    isinstance(key_node, yaml.ScalarNode)
                    and key_node.value == "<<"
                    and not key_node.style
                ):
                    raise _Bad("merge keys (<<) are not supported; write the fields out", key_node)
                if not isinstance(key_node, yaml.ScalarNode):
                    if isinstance(key_node, yaml.MappingNode) and node.flow_style:
                        # text: {{ name }} is a flow mapping whose key is a mapping
                        raise _Bad(TEMPLATE.format(), node)
                    raise _Bad("a mapping key must be plain text", key_node)
                key = key_node.value if key_node.tag != "tag:yaml.org,2002:null" else ""
                if key in out:
                    first = doc.keys[(*path, key)]
                    raise _Bad(
                        f"duplicate key {key!r} (first defined at line {first[0]}); "
                        "each key may appear once in a mapping",
                        key_node,
                    )
                doc.keys[(*path, key)] = _mark(key_node)
                out[key] = _build(loader, value_node, (*path, key), doc, active)
            return out
    finally:
        active.discard(id(node))
    raise _Bad(f"unexpected YAML node {node!r}", node)


_SCHEMA_LINE = re.compile(r"^\s*#\s*yaml-language-server:\s*\$schema=(\S+)", re.MULTILINE)


def loads(text: str, source: str = "<string>") -> Document:
    """Read one YAML document into a :class:`Document`; raise :class:`LoadError` with its place."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise LoadError(
            f"{source} is larger than {MAX_BYTES} bytes",
            [Problem(f"file is larger than {MAX_BYTES} bytes; split it", source, 1, 1)],
        )
    doc = Document(data=None, source=source, text=text)
    match = _SCHEMA_LINE.search(text)
    if match:
        doc.schema_comment = match.group(1)
    loader: yaml.constructor.SafeConstructor | None = None
    try:
        loader, root = _compose(text)
        if root is None:
            doc.data = None
            return doc
        if _count(root, {}) > MAX_NODES:
            raise _Bad(f"the document expands to more than {MAX_NODES} values (alias bomb?)", root)
        doc.data = _build(loader, root, (), doc, set())
        return doc
    except _Bad as bad:
        line, column = _mark(bad.node)
        raise LoadError(
            f"cannot read {source}", [Problem(bad.message, source, line, column, code="yaml")]
        ) from None
    except yaml.MarkedYAMLError as exc:
        explained = explain(exc, text)
        line, column = place(exc, text, explained)
        message = explained or (
            " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
        )
        raise LoadError(
            f"cannot read {source}",
            [Problem(f"YAML syntax: {message}", source, line, column, code="yaml")],
        ) from None
    except yaml.YAMLError as exc:
        raise LoadError(
            f"cannot read {source}", [Problem(f"YAML: {exc}", source, 1, 1, code="yaml")]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()  # type: ignore[attr-defined]


def load_path(path: str | Path) -> Document:
    """Read a YAML file; an unreadable or non-UTF-8 file is a :class:`LoadError` too."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise LoadError(
            f"cannot read {p}",
            [Problem(f"cannot read file: {exc.strerror}", str(p), code="unreadable")],
        ) from None
    if len(raw) > MAX_BYTES:
        raise LoadError(
            f"{p} is too large", [Problem(f"file is larger than {MAX_BYTES} bytes", str(p), 1, 1)]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"cannot read {p}",
            [Problem(f"file is not UTF-8 (byte {exc.start})", str(p), 1, 1, code="yaml")],
        ) from None
    return loads(text, str(p))


def walk(data: Any, path: PathTuple = ()) -> Iterator[tuple[PathTuple, Any]]:
    """Every (path, value) pair below ``data``, depth first."""
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from walk(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from walk(v, (*path, i))
