"""Finds, in the source, every text that can become a problem's ``detail`` (or ``errors[].message``)
and what it reads like once formatted, for the catalogue's completeness test.

A text is the message argument of a call to an error class (``ApiProblem``/``ChannelProblem``,
the errors the channels turn into problems, every ``ChatflowError``: the argument named
``message`` or ``detail`` of the class's ``__init__``), of ``raise ValueError(...)`` in a
validator of admin_api/ or channels/, or of a call in :data:`CARRIERS_OF_TEXT` (the texts a
client reads outside a problem: the agent socket's error frames, batch failures, import rows). An f-string becomes sample texts: a placeholder that is a
parameter of the function it is in takes the values its callers pass (``not_found("site", key)``
gives ``what="site"``), the others a stand-in (``'x'`` for ``!r``, ``7`` otherwise). An
expression that cannot be read this way (``str(exc)``) is *dynamic*: the test lists it by hand.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
AREAS = ("admin_api", "channels", "engine")
SKIPPED = ("admin_api/commands/", "admin_api/problem_language.py")
"""The command line's own errors are printed, never answered over HTTP; the catalogue's
mechanism raises only when the catalogue itself is malformed."""
VALIDATOR_AREAS = ("admin_api/", "channels/")
CARRIERS = {"ApiProblem": "ChannelProblem"}
"""Aliases of the problem class (``ApiProblem = ChannelProblem``)."""
ROOTS = {"ChatflowError", "ChannelProblem", "UploadRejected", "MultipartError", "FrameError"}
ROOTS |= {"SignatureError", "LiveError"}
"""The error classes whose message becomes a problem's detail or a batch failure's (with their
subclasses)."""
CARRIERS_OF_TEXT = {
    "_error": (1, "message"),  # agent_socket: an error frame (code, message, lang)
    "fail": (2, "detail"),  # routes_batch: _Outcome.fail(session_id, code, detail)
    "RowError": (2, "message"),  # quickreply_import: RowError(row, column, message)
    "_Refusal": (3, "message"),  # routes_words: _Refusal(index, word, code, message)
}
"""Calls that are not errors but whose argument (position, name) is an English text the API
answers with, worded by the catalogue."""
MAX_SAMPLES = 64


@dataclass(frozen=True)
class Site:
    where: str
    """``path:line``."""
    source: str
    """The expression as written."""
    samples: tuple[str, ...] | None
    """Texts it formats to; None when it is dynamic."""

    @property
    def key(self) -> str:
        return f"{self.where.partition(':')[0]}:{self.source}"


class Source:
    def __init__(self) -> None:
        self.modules: dict[str, ast.Module] = {}
        for area in AREAS:
            for file in sorted((ROOT / area).rglob("*.py")):
                name = file.relative_to(ROOT).as_posix()
                if not name.startswith(SKIPPED):
                    self.modules[name] = ast.parse(file.read_text(encoding="utf-8"))
        self.parents: dict[ast.AST, ast.AST] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.functions: dict[str, tuple[str, ast.FunctionDef]] = {}
        self.by_callee: dict[str, list[tuple[str, ast.Call]]] = {}
        for path, tree in self.modules.items():
            for statement in tree.body:
                if isinstance(statement, ast.FunctionDef):
                    self.functions.setdefault(statement.name, (path, statement))
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    self.parents[child] = node
                if isinstance(node, ast.ClassDef):
                    self.classes.setdefault(node.name, node)
                if isinstance(node, ast.Call):
                    self.by_callee.setdefault(callee_name(node.func), []).append((path, node))
        self.errors = self._error_classes()

    def _error_classes(self) -> set[str]:
        found = set(ROOTS)
        while True:
            more = {
                name
                for name, cls in self.classes.items()
                if name not in found and any(callee_name(b) in found for b in cls.bases)
            }
            if not more:
                return found
            found |= more

    def calls(self) -> Iterator[tuple[str, ast.Call]]:
        for found in self.by_callee.values():
            yield from found

    def sites(self) -> list[Site]:
        out = []
        for path, call in self.calls():
            arg = self._text_arg(path, call)
            if arg is None or (isinstance(arg, ast.Constant) and arg.value is None):
                continue
            if self._passed_on(arg):
                continue  # an error's init handing its message on: its callers are the sites
            samples = self.samples(path, arg, 0)
            out.append(Site(f"{path}:{call.lineno}", ast.unparse(arg), _tuple(samples)))
        return out

    def _passed_on(self, arg: ast.expr) -> bool:
        init = self._enclosing(arg, ast.FunctionDef)
        cls = self._enclosing(init, ast.ClassDef) if init is not None else None
        return (
            isinstance(arg, ast.Name)
            and init is not None
            and init.name == "__init__"
            and cls is not None
            and cls.name in self.errors
            and arg.id in [p for p, _ in _params(init)]
        )

    def _text_arg(self, path: str, call: ast.Call) -> ast.expr | None:
        name = callee_name(call.func)
        if name in CARRIERS_OF_TEXT:
            return _argument(call, *CARRIERS_OF_TEXT[name])
        if name == "ValueError" and path.startswith(VALIDATOR_AREAS):
            raised = isinstance(self.parents.get(call), ast.Raise)
            return call.args[0] if raised and call.args else None
        if name == "__init__" and isinstance(call.func, ast.Attribute):
            if not (
                isinstance(call.func.value, ast.Call)
                and callee_name(call.func.value.func) == "super"
            ):
                return None
            cls = self._enclosing(call, ast.ClassDef)
            if cls is None or cls.name not in self.errors:
                return None
            parents = [callee_name(b) for b in cls.bases]
            return self._message_of(call, next((p for p in parents if p in self.errors), ""))
        name = CARRIERS.get(name, name)
        return self._message_of(call, name) if name in self.errors else None

    def _message_of(self, call: ast.Call, cls_name: str) -> ast.expr | None:
        """The argument given to the ``message``/``detail`` parameter of the class's init."""
        params = self._init_params(cls_name)
        if params is None:
            return None
        for index, (param, _) in enumerate(params):
            if param in ("message", "detail"):
                return _argument(call, index, param) or params[index][1]
        return None

    def _init_params(self, cls_name: str) -> list[tuple[str, ast.expr | None]] | None:
        cls = self.classes.get(cls_name)
        while cls is not None:
            init = next(
                (f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"),
                None,
            )
            if init is not None:
                return _params(init)[1:]
            cls = next(
                (self.classes[callee_name(b)] for b in cls.bases if callee_name(b) in self.classes),
                None,
            )
        return None

    def _enclosing(self, node: ast.AST, kind: type[ast.AST]) -> Any:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, kind):
                return node
        return None

    def samples(self, path: str, expr: ast.expr, depth: int) -> list[str] | None:
        """What ``expr`` formats to; None when that cannot be read from the source."""
        if depth > 6:
            return None
        if isinstance(expr, ast.Constant):
            return [expr.value] if isinstance(expr.value, str) else [repr(expr.value)]
        if isinstance(expr, ast.JoinedStr):
            parts: list[list[str]] = []
            for value in expr.values:
                if isinstance(value, ast.Constant):
                    parts.append([str(value.value)])
                else:
                    assert isinstance(value, ast.FormattedValue)
                    parts.append(self._placeholder(path, value, depth))
            return joined(parts)
        if isinstance(expr, ast.IfExp):
            body = self.samples(path, expr.body, depth + 1)
            orelse = self.samples(path, expr.orelse, depth + 1)
            return None if body is None or orelse is None else body + orelse
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left = self.samples(path, expr.left, depth + 1)
            right = self.samples(path, expr.right, depth + 1)
            return None if left is None or right is None else joined([left, right])
        if isinstance(expr, ast.Name):
            return self._name_samples(path, expr, depth)
        return None

    def _placeholder(self, path: str, value: ast.FormattedValue, depth: int) -> list[str]:
        found = None
        if isinstance(value.value, ast.Name | ast.IfExp):
            found = self.samples(path, value.value, depth + 1)
        elif isinstance(value.value, ast.Call) and callee_name(value.value.func) in self.functions:
            found = self._returned(callee_name(value.value.func), depth)
        if found is None:
            return ["'x'" if value.conversion == ord("r") else "7"]
        return [repr(s) for s in found] if value.conversion == ord("r") else found

    def _returned(self, function: str, depth: int) -> list[str] | None:
        """What a module-level function of the source returns (``did_you_mean``)."""
        path, definition = self.functions[function]
        found: list[str] = []
        for node in ast.walk(definition):
            if isinstance(node, ast.Return) and node.value is not None:
                returned = self.samples(path, node.value, depth + 1)
                if returned is None:
                    return None
                found += returned
        return found or None

    def _name_samples(self, path: str, name: ast.Name, depth: int) -> list[str] | None:
        function = self._enclosing(name, ast.FunctionDef)
        while function is not None:  # the function the name is in, then the ones around it
            for node in ast.walk(function):
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name.id for t in node.targets
                ):
                    return self.samples(path, node.value, depth + 1)
            params = _params(function)
            names = [p for p, _ in params]
            if name.id in names:
                return self._passed(path, function, names.index(name.id), params, depth)
            function = self._enclosing(function, ast.FunctionDef)
        for node in self.modules[path].body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name.id for t in node.targets
            ):
                return self.samples(path, node.value, depth + 1)
        return None

    def _passed(
        self,
        where: str,
        function: ast.FunctionDef,
        index: int,
        params: list[tuple[str, ast.expr | None]],
        depth: int,
    ) -> list[str] | None:
        """What the callers of ``function`` give its parameter ``index``."""
        callee, offset = function.name, 0
        if function.name == "__init__":
            cls = self._enclosing(function, ast.ClassDef)
            callee, offset = (cls.name if cls else ""), 1
        param, default = params[index]
        found: list[str] = []
        for path, call in self.by_callee.get(callee, []):
            arg = _argument(call, index - offset, param)
            if arg is not None:
                found += self.samples(path, arg, depth + 1) or []
        if default is not None:
            found += self.samples(where, default, depth + 1) or []
        return sorted(set(found)) or None


def callee_name(node: ast.AST) -> str:
    """The name a call goes by: ``f`` of ``f(...)`` and of ``x.f(...)``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _params(function: ast.FunctionDef) -> list[tuple[str, ast.expr | None]]:
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    out = list(zip((a.arg for a in positional), defaults, strict=True))
    out += [(a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    return out


def _argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    if 0 <= index < len(call.args) and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    return None


def joined(parts: list[list[str]]) -> list[str]:
    """Every way to join one text of each part, at most :data:`MAX_SAMPLES`."""
    return ["".join(p) for p in itertools.islice(itertools.product(*parts), MAX_SAMPLES)]


def _tuple(samples: list[str] | None) -> tuple[str, ...] | None:
    return None if samples is None else tuple(dict.fromkeys(samples))


def missing_texts(
    sites: list[Site],
    examples: dict[str, list[str]],
    untranslated: Callable[[str], bool],
    skipped: frozenset[str] | set[str] = frozenset(),
) -> list[str]:
    """``path:line: text`` of each text a site makes (its samples, or its ``examples`` when the
    scan cannot read it) that is ``untranslated``; a site neither gives is named as such."""
    missing = []
    for site in sites:
        if site.key in skipped:
            continue
        if site.key in examples:
            texts: tuple[str, ...] = tuple(examples[site.key])
        elif site.samples is None:
            missing.append(f"{site.where}: {site.source} is not read by the scan: add EXAMPLES")
            continue
        else:
            texts = site.samples
        missing += [f"{site.where}: {text!r}" for text in texts if untranslated(text)]
    return missing
