"""Node types: one module per YAML ``type``, each a config model with its behaviour.

``registry`` lists them explicitly and builds the flow language from the list.
"""

from __future__ import annotations

from chatflow.nodes.registry import LANGUAGE, NODE_TYPES

__all__ = ["LANGUAGE", "NODE_TYPES"]
