"""Finds, in the source, every message a flow check can report and what it reads like once
formatted, for the completeness test of admin_api/check_texts.py.

A message is the first argument (or ``message=``) of a call that makes a problem of a flow
(:data:`MESSAGE_CALLS`: the checks' ``self.error``/``self.warning``, ``Document.problem``,
``Problem``, the YAML reader's ``_Bad``) in :data:`FILES`, or of ``raise ValueError(...)`` in a
node model's module (:data:`VALIDATOR_FILES`: pydantic turns it into the problem's message). An
argument that is a local variable stands for each value assigned to it; one that is a parameter
of the function it is in is passed on (the callers are the sites). An f-string becomes sample
texts: a call to a function of the same module is read with its arguments bound (``did_you_mean``
gives ``" Did you mean 'x'?"`` or ``""``), anything else takes a stand-in (``'x'`` for ``!r``,
``7`` otherwise). An expression that cannot be read this way (``err["msg"]``) is *dynamic*: the
test gives it real examples.
"""

from __future__ import annotations

import ast

from problem_scan import ROOT, Site, callee_name, joined

FILES = (
    "engine/checks.py",
    "engine/validate.py",
    "engine/language.py",
    "engine/yamlsource.py",
    "engine/flowversions.py",
    "admin_api/flow_upload.py",
)
"""Where the problems of a flow's check are made (the reader, the parser, the checks, the API's
own id check, and ``chatflow validate``)."""
VALIDATOR_FILES = ("nodes/", "engine/flow.py", "engine/node.py")
MESSAGE_CALLS = {"error", "warning", "problem", "Problem", "_Bad"}

Samples = list[str] | None
"""What an expression formats to; None when the source does not say."""


class Module:
    def __init__(self, path: str) -> None:
        self.path = path
        self.tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.functions: dict[str, ast.FunctionDef] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.FunctionDef):
                self.functions.setdefault(node.name, node)

    def enclosing(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef):
                return node
        return None

    def sites(self, validators: bool) -> list[Site]:
        out: list[Site] = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            arg = self._message(node, validators)
            if arg is None:
                continue
            function = self.enclosing(node)
            if isinstance(arg, ast.Name) and function is not None:
                assigned = _assignments(function, arg.id)
                if not assigned and arg.id in _params(function):
                    continue  # a wrapper handing its message on: its callers are the sites
                for value in assigned:
                    out.append(self._site(value, function))
                if assigned:
                    continue
            out.append(self._site(arg, function))
        return out

    def _message(self, call: ast.Call, validators: bool) -> ast.expr | None:
        name = callee_name(call.func)
        if validators:
            raised = isinstance(self.parents.get(call), ast.Raise)
            return call.args[0] if name == "ValueError" and raised and call.args else None
        if name not in MESSAGE_CALLS:
            return None
        for keyword in call.keywords:
            if keyword.arg == "message":
                return keyword.value
        return call.args[0] if call.args and not isinstance(call.args[0], ast.Starred) else None

    def _site(self, expr: ast.expr, function: ast.FunctionDef | None) -> Site:
        samples = self.samples(expr, function, {}, 0)
        kept = None if samples is None else tuple(dict.fromkeys(samples))
        return Site(f"{self.path}:{expr.lineno}", ast.unparse(expr), kept)

    def samples(
        self,
        expr: ast.expr,
        function: ast.FunctionDef | None,
        bound: dict[str, Samples],
        depth: int,
    ) -> Samples:
        if depth > 8:
            return None
        if isinstance(expr, ast.Constant):
            return [expr.value] if isinstance(expr.value, str) else [repr(expr.value)]
        if isinstance(expr, ast.JoinedStr):
            parts: list[list[str]] = []
            for value in expr.values:
                if isinstance(value, ast.Constant):
                    parts.append([str(value.value)])
                    continue
                assert isinstance(value, ast.FormattedValue)
                inner = self.samples(value.value, function, bound, depth + 1)
                quoted = value.conversion == ord("r")
                if inner is None:
                    parts.append(["'x'" if quoted else "7"])
                else:
                    parts.append([repr(s) for s in inner] if quoted else inner)
            return joined(parts)
        if isinstance(expr, ast.IfExp):
            return _either(
                self.samples(expr.body, function, bound, depth + 1),
                self.samples(expr.orelse, function, bound, depth + 1),
            )
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left = self.samples(expr.left, function, bound, depth + 1)
            right = self.samples(expr.right, function, bound, depth + 1)
            return None if left is None or right is None else joined([left, right])
        if isinstance(expr, ast.Name):
            if expr.id in bound:
                return bound[expr.id]
            assigned = _assignments(function, expr.id) if function is not None else []
            if any(isinstance(value, ast.Name) for value in assigned):
                return None  # added to as it goes (``message += ...``)
            found: list[str] = []
            for value in assigned:
                more = self.samples(value, function, bound, depth + 1)
                if more is None:
                    return None
                found += more
            return found or None
        if isinstance(expr, ast.Call) and callee_name(expr.func) in self.functions:
            return self._returned(expr, function, bound, depth)
        return None

    def _returned(
        self,
        call: ast.Call,
        function: ast.FunctionDef | None,
        bound: dict[str, Samples],
        depth: int,
    ) -> Samples:
        """What a function of this module returns, its parameters bound to the call's
        arguments."""
        callee = self.functions[callee_name(call.func)]
        params = _params(callee)
        if params[:1] == ["self"] and isinstance(call.func, ast.Attribute):
            params = params[1:]
        inner: dict[str, Samples] = {}
        for param, arg in zip(params, call.args, strict=False):
            inner[param] = self.samples(arg, function, bound, depth + 1)
        for keyword in call.keywords:
            if keyword.arg is not None:
                inner[keyword.arg] = self.samples(keyword.value, function, bound, depth + 1)
        found: list[str] = []
        for node in ast.walk(callee):
            if isinstance(node, ast.Return) and node.value is not None:
                more = self.samples(node.value, callee, inner, depth + 1)
                if more is None:
                    return None
                found += more
        return found or None


def sites() -> list[Site]:
    """Every message site of the check, in source order."""
    out: list[Site] = []
    for path in FILES:
        out += Module(path).sites(validators=False)
    validator_paths = sorted(
        file.relative_to(ROOT).as_posix()
        for prefix in VALIDATOR_FILES
        for file in ((ROOT / prefix).glob("*.py") if prefix.endswith("/") else [ROOT / prefix])
    )
    for path in validator_paths:
        out += Module(path).sites(validators=True)
    return out


def _assignments(function: ast.FunctionDef | None, name: str) -> list[ast.expr]:
    """The values ``name`` is given in ``function`` (an augmented one as the whole name: no
    sample of it can be read)."""
    if function is None:
        return []
    out: list[ast.expr] = []
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            out.append(node.value)
        elif isinstance(node, ast.AugAssign) and callee_name(node.target) == name:
            out.append(node.target)
    return out


def _params(function: ast.FunctionDef) -> list[str]:
    args = function.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


def _either(first: Samples, second: Samples) -> Samples:
    return None if first is None or second is None else first + second
