"""Small outcome builders shared by node behaviours: rendered messages, staying put, timer names."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from chatflow.engine.context import NodeContext
from chatflow.engine.effects import Outcome, Say
from chatflow.engine.errors import TemplateError
from chatflow.engine.templates import CompiledFlowTemplates

logger = logging.getLogger("chatflow.nodes")

_LOCAL = CompiledFlowTemplates()
"""Templates that ``NodeContext`` cannot render the way a node needs (see :func:`render`).

``NodeContext`` renders over the session's variables as they are, but a node's own ``SetVars``
only applies after it returns (a form's ``success_message`` must already see the answer), and
its fallback text is meant for visitors, not for an API (see :func:`render_strict`). The cache
is keyed by source text, so it holds at most the distinct texts of the loaded flows.
"""


def render(ctx: NodeContext, template: str, extra: Mapping[str, Any] | None = None) -> str:
    """``ctx.render``, but with ``extra`` variables laid over the session's.

    A failure falls back to ``ctx.render``, which logs it with the session's ids and gives the
    visitor the runtime's fallback text, exactly as for any other template.
    """
    if extra:
        try:
            return _LOCAL.render(template, {**ctx.variables, **extra})
        except TemplateError:
            pass
    return ctx.render(template)


def evaluate(ctx: NodeContext, expression: str, extra: Mapping[str, Any] | None = None) -> Any:
    """``ctx.evaluate`` with ``extra`` variables laid over the session's; raises ``TemplateError``."""
    if extra:
        return _LOCAL.evaluate(expression, {**ctx.variables, **extra})
    return ctx.evaluate(expression)


def render_strict(ctx: NodeContext, template: str) -> str:
    """Render over the session's variables and raise ``TemplateError`` instead of falling back.

    For text that goes to a machine (an HTTP request): the visitor-facing fallback sentence
    must never end up as a phone number in a business API's database.
    """
    return _LOCAL.render(template, ctx.variables)


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
