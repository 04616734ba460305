"""Semantic checks of one parsed flow: the part of ``chatflow validate`` that a schema cannot do.

It runs after the flow parsed (so every node is a typed model) and works only through the node
hooks of :class:`~chatflow.engine.node.NodeBase` (``targets``, ``templates``, ``assigns``,
``groups``, ``waits_for_input``, ``terminal``, ``may_end``): node references, reachability, loops
that never wait for the visitor, a path to an end, variables and templates, skill groups.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace

from chatflow.engine.errors import Problem
from chatflow.engine.exprerrors import explain as explain_expression
from chatflow.engine.exprerrors import place as place_in_file
from chatflow.engine.flow import FlowBase
from chatflow.engine.language import FlowLanguage
from chatflow.engine.node import NodeBase, Target, Text
from chatflow.engine.templates import ENV, SYSTEM_VARIABLES, SyntaxProblem, analyse
from chatflow.engine.yamlsource import Document, PathTuple

MAX_LISTED = 20
"""How many valid choices a message lists before it says 'and N more'."""


def choices(names: Iterable[str]) -> str:
    """``a, b, c`` (at most :data:`MAX_LISTED`, then ``and N more``)."""
    items = list(names)
    shown = ", ".join(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        shown += f" and {len(items) - MAX_LISTED} more"
    return shown or "(none)"


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` for the closest option, or nothing."""
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def field_name(path: PathTuple) -> str:
    """A field's path inside a node as its YAML reads: ``next``, ``options[0].next``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class GroupScope:
    """Skill groups a deployment config defines for the merchants that run a flow."""

    groups: frozenset[str]
    where: str
    """Which config and merchants the groups come from, for the message."""


def check_flow(
    doc: Document,
    flow: FlowBase,
    language: FlowLanguage,
    *,
    group_scopes: Collection[GroupScope] = (),
    text: str | None = None,
) -> list[Problem]:
    """Every semantic problem of a parsed flow, placed in its document.

    ``text`` is the YAML text, used only to place syntax errors inside multi-line templates;
    the document's own text when absent.
    """
    return _FlowChecker(doc, flow, language, text).run(group_scopes)


class _FlowChecker:
    def __init__(
        self, doc: Document, flow: FlowBase, language: FlowLanguage, text: str | None
    ) -> None:
        self.doc = doc
        self.text = doc.text if text is None else text
        self.flow = flow
        self.language = language
        self.problems: list[Problem] = []
        self.edges: dict[str, list[Target]] = {nid: n.targets() for nid, n in flow.nodes.items()}

    def error(self, message: str, path: PathTuple, *, key: bool = False, code: str = "") -> None:
        self.problems.append(self.doc.problem(message, path, key=key, code=code))

    def warning(self, message: str, path: PathTuple, *, key: bool = False, code: str = "") -> None:
        self.problems.append(
            self.doc.problem(message, path, severity="warning", key=key, code=code)
        )

    def run(self, group_scopes: Collection[GroupScope]) -> list[Problem]:
        self.references()
        reachable = self.reachability()
        self.end_reachable(reachable)
        self.busy_loops()
        self.variables()
        if group_scopes:
            self.groups(group_scopes)
        return self.problems

    # -- node references ------------------------------------------------------------------------

    def unknown_node(self, name: str, what: str) -> str:
        nodes = list(self.flow.nodes)
        return (
            f"{what} {name!r}, but there is no such node; existing nodes: {choices(nodes)}."
            f"{did_you_mean(name, nodes)} Fix the id or add a node {name!r} under 'nodes'."
        )

    def references(self) -> None:
        # An empty id is a connection not made (the visual editor blanks the references to a
        # node it deletes): said as such, not as a node named '' that does not exist.
        if not self.flow.start:
            self.error(
                "the flow has no start node: set 'start' to the node conversations begin at",
                ("start",),
                code="no-target",
            )
        elif self.flow.start not in self.flow.nodes:
            self.error(
                self.unknown_node(self.flow.start, "start is"), ("start",), code="unknown-node"
            )
        for i, interrupt in enumerate(self.flow.interrupts):
            if not interrupt.goto:
                self.error(
                    f"interrupt {i + 1} has no node to jump to: set its 'goto'",
                    ("interrupts", i, "goto"),
                    code="no-target",
                )
            elif interrupt.goto not in self.flow.nodes:
                self.error(
                    self.unknown_node(interrupt.goto, "interrupt goto is"),
                    ("interrupts", i, "goto"),
                    code="unknown-node",
                )
        for node_id, targets in self.edges.items():
            for target in targets:
                if not target.node:
                    self.error(
                        f"node {node_id!r} has no next node: connect "
                        f"{field_name(target.path)!r} to the node it continues at",
                        ("nodes", node_id, *target.path),
                        code="no-target",
                    )
                elif target.node not in self.flow.nodes:
                    self.error(
                        self.unknown_node(target.node, f"node {node_id!r} continues at"),
                        ("nodes", node_id, *target.path),
                        code="unknown-node",
                    )

    # -- graph ----------------------------------------------------------------------------------

    def roots(self) -> list[str]:
        """Where a session can be: the start, and every interrupt target (reachable anywhere)."""
        roots = [self.flow.start] + [i.goto for i in self.flow.interrupts]
        return [r for r in roots if r in self.flow.nodes]

    def reachability(self) -> set[str]:
        seen: set[str] = set()
        stack = self.roots()
        while stack:
            node_id = stack.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            stack.extend(t.node for t in self.edges[node_id] if t.node in self.flow.nodes)
        if self.flow.start in self.flow.nodes:
            for node_id in self.flow.nodes:
                if node_id not in seen:
                    self.warning(
                        f"node {node_id!r} is unreachable from start {self.flow.start!r}: no "
                        "next, branch or interrupt leads to it. Link it from another node or "
                        "delete it.",
                        ("nodes", node_id),
                        key=True,
                        code="unreachable",
                    )
        return seen

    def end_reachable(self, reachable: set[str]) -> None:
        if self.flow.start not in self.flow.nodes:
            return
        if any(_ends(self.flow.nodes[n]) for n in reachable):
            return
        enders = [tag for tag, cls in self.language.node_types.items() if cls.terminal]
        others = [t for t, c in self.language.node_types.items() if c.may_end and not c.terminal]
        self.error(
            f"no path from start {self.flow.start!r} reaches a node that ends the session; "
            f"add a node of type {' or '.join(enders) or 'end'} (or {', '.join(others)} "
            "without 'next') and link to it.",
            ("start",),
            code="no-end",
        )

    def busy_loops(self) -> None:
        """Cycles through edges that run without waiting: each event would hit the step limit."""
        graph: dict[str, list[str]] = {}
        for node_id, node in self.flow.nodes.items():
            if type(node).waits_for_input:
                graph[node_id] = []
                continue
            graph[node_id] = [
                t.node
                for t in self.edges[node_id]
                if not t.after_input and t.node in self.flow.nodes
            ]
        waiting = [tag for tag, cls in self.language.node_types.items() if cls.waits_for_input]
        order = {node_id: i for i, node_id in enumerate(self.flow.nodes)}
        for component in strongly_connected(graph):
            first = min(component, key=order.__getitem__)
            if len(component) == 1 and first not in graph[first]:
                continue
            cycle = _cycle_through(first, graph, set(component))
            self.error(
                f"these nodes loop without waiting for the visitor: {' -> '.join(cycle)}; one "
                "message would run round until the step limit stops the session. Put a node "
                f"that waits ({', '.join(waiting)}) in the loop, or lead it to an end.",
                ("nodes", first),
                key=True,
                code="busy-loop",
            )

    # -- templates and variables ---------------------------------------------------------------

    def texts(self) -> list[tuple[PathTuple, Text]]:
        out: list[tuple[PathTuple, Text]] = []
        settings = self.flow.settings
        for name in ("idle_message", "agent_end_message"):
            source = getattr(settings, name)
            if source:
                out.append((("settings", name), Text((), source)))
        for node_id, node in self.flow.nodes.items():
            out.extend((("nodes", node_id, *t.path), t) for t in node.templates())
        return out

    def reserved_variables(self) -> None:
        """``sys`` is the system variables' name: a flow variable of that name could never be read."""
        message = (
            "'sys' is reserved for the system variables (sys.visitor_id, sys.last_input...); "
            "a variable named sys would never be read. Choose another name."
        )
        if "sys" in self.flow.vars:
            self.error(message, ("vars", "sys"), key=True, code="reserved-variable")
        for node_id, node in self.flow.nodes.items():
            if "sys" in node.assigns():
                self.error(message, _assigning_field(node_id, node), code="reserved-variable")

    def variables(self) -> None:
        self.reserved_variables()
        declared = self.flow.known_variables()
        known = sorted(declared)
        for path, text in self.texts():
            facts = analyse(text.source, expression=text.kind == "expression")
            if facts.problem is not None:
                self.template_syntax(path, text, facts.problem)
                continue
            for name in sorted(facts.variables):
                if name in declared or name in ENV.globals:
                    continue
                if name == "sys":
                    self.system_attributes(path, facts.sys_attributes)
                    continue
                self.error(
                    f"variable {name!r} is used in this {text.kind} but never declared or set; "
                    f"declare it under 'vars' (vars: {{{name}: ''}}) or set it with a form, "
                    f"set, http or survey node. Known variables: {choices(known)}."
                    f"{did_you_mean(name, known)} System variables are written sys.<name>.",
                    path,
                    code="undeclared-variable",
                )

    def system_attributes(self, path: PathTuple, attributes: Iterable[str]) -> None:
        for attr in sorted(attributes):
            if attr not in SYSTEM_VARIABLES:
                self.error(
                    f"unknown system variable 'sys.{attr}'; expected one of: "
                    f"{', '.join('sys.' + v for v in SYSTEM_VARIABLES)}."
                    f"{did_you_mean(attr, SYSTEM_VARIABLES)}",
                    path,
                    code="unknown-system-variable",
                )

    def template_syntax(self, path: PathTuple, text: Text, syntax: SyntaxProblem) -> None:
        inner = syntax.line
        offset: int | None = None
        if syntax.unknown is not None:
            what, name = syntax.unknown
            known = sorted(ENV.filters if what == "filter" else ENV.tests)
            message = (
                f"unknown {what} {name!r} in this {text.kind}; "
                f"known {what}s: {choices(known)}.{did_you_mean(name, known)}"
            )
        elif text.kind == "expression" and (found := explain_expression(text.source)):
            message = f"expression does not parse: {found.message}"
            offset = found.offset
            if offset is not None:
                inner = text.source.count("\n", 0, offset) + 1
        else:
            message = (
                f"{text.kind} does not parse: {syntax.message} (line {inner} of the {text.kind}); "
                "templates use Jinja2 syntax: {{ name }}, {% if ... %}...{% endif %}"
            )
        problem = self.doc.problem(message, path, code="template-syntax")
        line, column = _inner_position(self.text, problem.line, problem.column, inner)
        if offset is not None:  # the character in the expression, when it is written as it is
            at = place_in_file(self.text, problem.line, problem.column, text.source, offset)
            line, column = at or (line, column)
        self.problems.append(replace(problem, line=line, column=column))

    # -- skill groups ---------------------------------------------------------------------------

    def groups(self, scopes: Collection[GroupScope]) -> None:
        allowed: set[str] = set()
        for scope in scopes:
            allowed |= scope.groups
        where = "; ".join(scope.where for scope in scopes)
        for node_id, node in self.flow.nodes.items():
            for path, group in node.groups():
                if group not in allowed:
                    self.error(
                        f"skill group {group!r} is not defined for the merchants that run this "
                        f"flow ({where}); defined groups: {choices(sorted(allowed))}."
                        f"{did_you_mean(group, allowed)} Add it under the merchant's 'groups' in "
                        "chatflow.yaml or fix the name.",
                        ("nodes", node_id, *path),
                        code="unknown-group",
                    )


def _ends(node: NodeBase) -> bool:
    return type(node).terminal or type(node).may_end


def strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (a flow may have thousands of nodes)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = graph[node]
            if child < len(successors):
                work.append((node, child + 1))
                succ = successors[child]
                if succ not in index:
                    work.append((succ, 0))
                elif succ in on_stack:
                    low[node] = min(low[node], index[succ])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out


def _cycle_through(first: str, graph: dict[str, list[str]], members: set[str]) -> list[str]:
    """A shortest cycle from ``first`` back to itself inside one component (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [first]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for succ in graph[node]:
                if succ == first:
                    path = [node]
                    while path[-1] != first:
                        path.append(previous[path[-1]])
                    return [*reversed(path), first]
                if succ in members and succ not in previous:
                    previous[succ] = node
                    following.append(succ)
        frontier = following
    return [first, first]


def _inner_position(text: str, line: int, column: int, inner: int) -> tuple[int, int]:
    """The file line of line ``inner`` of a template whose value starts at (line, column).

    A block scalar (``|``) starts on the next line and keeps lines one to one; other scalars
    start on their own line (folded lines make this approximate, hence the message's 'line N').
    """
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return line, column
    block = lines[line - 1][column - 1 : column] in ("|", ">")
    target = line + inner if block else line + inner - 1
    if target == line or not 0 < target <= len(lines):
        return line, column
    text = lines[target - 1]
    return target, len(text) - len(text.lstrip()) + 1


def _assigning_field(node_id: str, node: NodeBase) -> PathTuple:
    """The path of the field of ``node`` that names the variable ``sys`` (else the node)."""
    for name in type(node).model_fields:
        value = getattr(node, name)
        if value == "sys":
            return ("nodes", node_id, name)
        if isinstance(value, Mapping) and "sys" in value:
            return ("nodes", node_id, name, "sys")
    return ("nodes", node_id)
