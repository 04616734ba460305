"""Every registered node type has behaviour, not only a config model."""

from __future__ import annotations

import pytest

from chatflow.engine.node import NodeBase
from chatflow.nodes import NODE_TYPES

WAITING = {"menu", "form", "http", "bot", "transfer", "survey"}


@pytest.mark.parametrize("node_type", NODE_TYPES, ids=lambda t: t.__name__)
def test_every_node_type_has_enter(node_type: type[NodeBase]) -> None:
    assert node_type.enter is not NodeBase.enter


@pytest.mark.parametrize("node_type", NODE_TYPES, ids=lambda t: t.__name__)
def test_exactly_the_nodes_that_wait_handle_events(node_type: type[NodeBase]) -> None:
    tag = node_type.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
    assert (node_type.on_event is not NodeBase.on_event) == (tag in WAITING)
