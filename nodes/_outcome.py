"""Small outcome builders shared by node behaviours: rendered messages, staying put, timer names."""

from __future__ import annotations

from collections.abc import Sequence

from chatflow.engine.context import NodeContext
from chatflow.engine.effects import Outcome, Say


def say(ctx: NodeContext, template: str | None, *, options: Sequence[str] = ()) -> tuple[Say, ...]:
    """The rendered message, or nothing when the template is absent or renders blank.

    A conditional template (``{% if vip %}...{% endif %}``) may render to nothing; sending an
    empty bubble would only confuse the visitor.
    """
    if template is None:
        return ()
    text = ctx.render(template)
    if not text.strip():
        return ()
    return (Say(text, options=tuple(options)),)


def stay(ctx: NodeContext) -> Outcome:
    """Keep waiting with the node's state unchanged (an event this node does not care about)."""
    return Outcome.wait(state=ctx.state)


def timer_name(ctx: NodeContext, purpose: str) -> str:
    """A timer name owned by this node: ``<node id>:<purpose>``.

    Node ids cannot contain ``:``, so the name never collides with the runtime's own timers, and
    a timer left pending by a node the session has since left is ignored by whichever node is
    current when it fires (the name is not theirs).
    """
    return f"{ctx.node_id}:{purpose}"
