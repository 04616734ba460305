"""The explicit list of node types: it builds the flow model, the schema and the reference docs.

Registration is this tuple, never an import side effect; a type listed twice is an error.
"""

from __future__ import annotations

from chatflow.engine.language import FlowLanguage
from chatflow.engine.node import NodeBase
from chatflow.nodes.bot import BotNode
from chatflow.nodes.business_hours import BusinessHoursNode
from chatflow.nodes.condition import ConditionNode
from chatflow.nodes.end import EndNode
from chatflow.nodes.form import FormNode
from chatflow.nodes.http import HttpNode
from chatflow.nodes.menu import MenuNode
from chatflow.nodes.message import MessageNode
from chatflow.nodes.set import SetNode
from chatflow.nodes.survey import SurveyNode
from chatflow.nodes.transfer import TransferNode

NODE_TYPES: tuple[type[NodeBase], ...] = (
    MessageNode,
    BusinessHoursNode,
    MenuNode,
    FormNode,
    HttpNode,
    ConditionNode,
    SetNode,
    BotNode,
    TransferNode,
    SurveyNode,
    EndNode,
)
"""Every node type, in the order the docs and the schema list them."""

LANGUAGE = FlowLanguage(NODE_TYPES)
"""The flow language built from :data:`NODE_TYPES`."""
