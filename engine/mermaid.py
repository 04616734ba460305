"""A flow drawn as a Mermaid ``flowchart TD`` (``chatflow graph``), for docs and reviews.

It reads only the node hooks (``targets()``, ``waits_for_input``, ``terminal``), so a new node
type is drawn without changes here. Mermaid ids are generated (``n0``, ``n1``...): a node id
such as ``end`` is a Mermaid keyword. Every label is quoted and escaped with Mermaid entity
codes, so quotes, brackets, ``<``, ``#`` and Chinese text render as written.
"""

from __future__ import annotations

from chatflow.engine.flow import FlowBase
from chatflow.engine.node import NodeBase

_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
    "|": "#124;",
}


def escape(text: str) -> str:
    """Text safe inside a quoted Mermaid label; line breaks become ``<br/>``."""
    out = "".join(_ENTITIES.get(ch, ch) for ch in text)
    return "<br/>".join(line.strip() for line in out.splitlines()) if "\n" in out else out


def _shape(node: NodeBase, label: str) -> str:
    cls = type(node)
    if cls.terminal:
        return f'(["{label}"])'
    if cls.waits_for_input:
        return f'("{label}")'
    if len(node.targets()) > 1:
        return f'{{"{label}"}}'
    return f'["{label}"]'


def to_mermaid(flow: FlowBase) -> str:
    """The flow as Mermaid text: start marker, one box per node, labelled edges, interrupts."""
    ids = {node_id: f"n{i}" for i, node_id in enumerate(flow.nodes)}
    lines = ["flowchart TD"]
    title = flow.name or flow.id
    lines.append(f'  flowstart(("{escape("start: " + title)}"))')
    for node_id, node in flow.nodes.items():
        label = f"<b>{escape(node_id)}</b>"
        if node.label:
            label += f"<br/>{escape(node.label)}"
        label += f"<br/><i>{escape(node.type)}</i>"
        lines.append(f"  {ids[node_id]}{_shape(node, label)}")

    missing: dict[str, str] = {}

    def ref(node_id: str) -> str:
        if node_id in ids:
            return ids[node_id]
        if node_id not in missing:
            missing[node_id] = f"missing{len(missing)}"
            lines.append(f'  {missing[node_id]}["{escape("missing: " + node_id)}"]:::missing')
        return missing[node_id]

    lines.append(f"  flowstart --> {ref(flow.start)}")
    for node_id, node in flow.nodes.items():
        for target in node.targets():
            arrow = f'-->|"{escape(target.label)}"|' if target.label else "-->"
            lines.append(f"  {ids[node_id]} {arrow} {ref(target.node)}")
    for i, interrupt in enumerate(flow.interrupts):
        words = " / ".join(interrupt.keywords)
        lines.append(f'  interrupt{i}{{{{"{escape("anywhere: " + words)}"}}}}')
        lines.append(f"  interrupt{i} -.-> {ref(interrupt.goto)}")
    if missing:
        lines.append("  classDef missing stroke:#c00,stroke-width:2px,stroke-dasharray:4 3")
    return "\n".join(lines) + "\n"
