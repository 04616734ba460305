"""Frames for the workbench about what changed outside the queue: an agent's pins and mutes
(``marks``, to every websocket of that agent) and the merchant's workbench apps (``apps``, to
every websocket of the merchant's accounts).

They travel as live-only frames of the output feed (:mod:`chatflow.engine.feed`) under topics
no session id takes (those are hex), which each
:class:`~chatflow.admin_api.agent_hub.AgentConnection` follows: in-process the feed hands them
to the connections' subscriptions; scaled out, the Redis feed carries them to every worker, like
an agent's ``typing`` notice. Live only: a workbench that is not connected at that moment reads
the marks and apps anew when it connects. Call these on the event loop (the feed is not
thread-safe).
"""

from __future__ import annotations

from typing import Any

from chatflow.engine.feed import OutputFeed


def agent_topic(account_id: int) -> str:
    """What every websocket of the account follows."""
    return f"agent:{account_id}"


def merchant_topic(merchant_id: str) -> str:
    """What every websocket of the merchant's accounts follows."""
    return f"merchant:{merchant_id}"


def tell_agent(feed: OutputFeed, account_id: int, frame: dict[str, Any]) -> None:
    """Send ``frame`` to every open websocket of the account, on any worker."""
    feed.push(agent_topic(account_id), frame)


def tell_merchant(feed: OutputFeed, merchant_id: str, frame: dict[str, Any]) -> None:
    """Send ``frame`` to every open agent websocket of the merchant, on any worker."""
    feed.push(merchant_topic(merchant_id), frame)
