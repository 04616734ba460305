"""Small outcome builders shared by node behaviours: rendered messages, staying put, timer names."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from chatflow.engine.context import NodeContext
from chatflow.engine.effects import Outcome, Say

logger = logging.getLogger("chatflow.nodes")


def render(ctx: NodeContext, template: str, extra: Mapping[str, Any] | None = None) -> str:
    """Render for the visitor, ``extra`` laid over the session's variables: a node's own
    ``SetVars`` only applies after it returns, but a form's ``success_message`` must already see
    the answer."""
    return ctx.render(template, extra)


def evaluate(ctx: NodeContext, expression: str, extra: Mapping[str, Any] | None = None) -> Any:
    """``ctx.evaluate`` with ``extra`` laid over the session's variables; raises ``TemplateError``."""
    return ctx.evaluate(expression, extra)


def render_strict(ctx: NodeContext, template: str) -> str:
    """Render and raise ``TemplateError`` instead of falling back: for text that goes to a
    machine (an HTTP request), where the visitor-facing fallback sentence must never end up as a
    phone number in a business API's database."""
    return ctx.render(template, strict=True)


def log_failure(ctx: NodeContext, what: str, error: Exception, **more: Any) -> None:
    """Log a template or expression a node chose to survive, with the session's ids."""
    logger.warning(
        what,
        extra={
            "flow_id": ctx.flow_id,
            "node_id": ctx.node_id,
            "session_id": ctx.session_id,
            "error": str(error),
            **more,
        },
    )


def say(
    ctx: NodeContext,
    template: str | None,
    *,
    options: Sequence[str] = (),
    extra: Mapping[str, Any] | None = None,
) -> tuple[Say, ...]:
    """The rendered message, or nothing when the template is absent or renders blank.

    A conditional template (``{% if vip %}...{% endif %}``) may render to nothing; sending an
    empty bubble would only confuse the visitor.
    """
    if template is None:
        return ()
    text = render(ctx, template, extra)
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
