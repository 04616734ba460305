"""The agent websocket ``/ws/agent?token=``: the workbench's live line (DESIGN part 2, "Agents").

Connecting logs the agent in to the queue in its account's ``default_status`` (unless it is
online already: a reload or a second tab keeps the state), then re-announces what it has: offers
still ringing and sessions it serves, each with its transcript. From then on the queue's frames
(``offer``, ``assigned``, ``auto_transfer``, ``transferred``, ``session_ended``, ``status``) and the
served sessions' messages arrive as they happen, and so do the changes of the agent's pins and
mutes (``marks``) and of the merchant's workbench apps (``apps``, :mod:`.agent_notices`). The
client sends ``typing`` (shown live to the visitor) and ``ping``. A token that dies closes the
socket with 4401 (:mod:`.agent_hub`). An ``error`` frame's ``message`` is in the language
``lang=`` (the page's) or the handshake's ``Accept-Language`` asks for, worded like the HTTP
problems; its ``code`` stays a code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from sqlmodel import Session

from chatflow.admin_api.agent_hub import AgentConnection
from chatflow.admin_api.agent_notices import agent_topic, merchant_topic
from chatflow.admin_api.auth import AuthService, Principal
from chatflow.admin_api.problem_language import ENGLISH, chosen_language, translate
from chatflow.admin_api.routes_accounts import to_live_queue
from chatflow.admin_api.services import Services
from chatflow.channels.visitor_frames import FrameError, parse_raw
from chatflow.engine.routing import RoutingError
from chatflow.engine.stores.recordsdb import AccountRow

logger = logging.getLogger("chatflow.agents")

router = APIRouter(tags=["agents"])

MAX_FRAME_BYTES = 4_096


def register_in_turn(services: Services, principal: Principal) -> bool:
    """Give the queue the account as last committed, in the admin changes' turn
    (:func:`~chatflow.admin_api.routes_accounts.to_live_queue`), so a PATCH of the account
    landing during the login cannot be overwritten by the login's older read. Runs on a worker
    thread; False if the account is gone, disabled or unreadable."""
    with Session(services.records) as db:
        row = db.get(AccountRow, principal.account_id)
        if row is None or not row.enabled:
            return False
        try:
            return to_live_queue(services, db, row) and row.enabled
        except ValidationError:
            logger.exception("agents.bad_account", extra={"agent_id": principal.account})
            return False


async def register_agent(services: Services, principal: Principal) -> bool:
    """Give the queue the account's current groups and default status; False if it is gone.

    Groups made in the admin API after the server started are configured on the way.
    """
    return await to_thread.run_sync(register_in_turn, services, principal)


def resume(services: Services, connection: AgentConnection) -> None:
    """Announce again the offers ringing for the agent and the sessions it serves."""
    agent = connection.agent_id
    now = services.clock.now().timestamp()
    for view in services.queue.dispatcher.sessions_of(agent):
        if view.offered_to == agent and view.expires_at is not None:
            remaining = max(round(view.expires_at - now, 1), 0.0)
            frame = {"type": "offer", "session_id": view.session_id, "group": view.group}
            connection.push({**frame, "timeout": remaining, "resumed": True})
        elif agent in view.agents and view.phase == "active":
            frame = {"type": "assigned", "session_id": view.session_id, "group": view.group}
            connection.push({**frame, "resumed": True})


async def client_frames(services: Services, connection: AgentConnection, lang: str) -> None:
    """Read the client's frames until it goes away."""
    websocket = connection.websocket
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        raw = message.get("text") or message.get("bytes") or b""
        reply = handle_frame(services, connection, raw, lang)
        if reply is not None:
            connection.push(reply)


def handle_frame(
    services: Services, connection: AgentConnection, raw: str | bytes, lang: str = ENGLISH
) -> dict[str, Any] | None:
    """Apply one client frame; the answer (an ``error`` or ``pong``), if any."""
    try:
        data = parse_raw(raw, MAX_FRAME_BYTES)
    except FrameError as exc:
        return {**exc.frame(), "message": translate(exc.message, lang)}
    kind = data.get("type")
    if kind == "ping":
        return {"type": "pong"}
    if kind == "typing":
        sid = data.get("session_id")
        view = services.queue.dispatcher.session(sid) if isinstance(sid, str) else None
        if view is None or connection.agent_id not in view.agents:
            return _error("not_serving", f"you do not serve session {sid!r}", lang)
        services.feed.push(view.session_id, {"type": "typing", "from": "agent"})
        return None
    return _error(
        "unknown_type", f"unknown frame type {kind!r}; expected one of: typing, ping", lang
    )


def _error(code: str, message: str, lang: str) -> dict[str, Any]:
    """An ``error`` frame; ``message`` (the English text) in ``lang``."""
    return {"type": "error", "code": code, "message": translate(message, lang)}


@router.websocket("/ws/agent")
async def agent_socket(websocket: WebSocket, token: str = "", lang: str = "") -> None:
    services: Services = websocket.app.state.services
    auth: AuthService = websocket.app.state.auth
    language = chosen_language(lang, websocket.headers.get("accept-language"))
    await websocket.accept()
    principal = await asyncio.to_thread(auth.resolve, token)
    if principal is None or not await register_agent(services, principal):
        refused = _error("unauthorized", "the token is invalid or has expired", language)
        await websocket.send_json(refused)
        await websocket.close(code=4401)
        return
    agent = principal.account
    connection = AgentConnection(
        websocket,
        agent,
        principal.account_id,
        token,
        services.runtime,
        services.feed,
        names=services.queue.nickname,
    )
    connection.follow(agent_topic(principal.account_id))
    connection.follow(merchant_topic(principal.merchant_id))
    hub = services.hub
    hub.attach(connection)
    try:
        try:
            await services.queue.attach(agent)
            view = services.queue.dispatcher.agent(agent)
            if view is None or view.status == "offline":
                await services.queue.login(agent)
            else:
                connection.push(hub.status_frame(agent, view.status))
        except (RoutingError, ValueError) as exc:
            connection.push(_error("login_refused", str(exc), language))
            connection.close(4409)
        resume(services, connection)
        logger.info("agents.connected", extra={"agent_id": agent})
        await serve(services, connection, language)
    finally:
        hub.detach(connection)
        await connection.stop()
        logger.info("agents.disconnected", extra={"agent_id": agent})


async def serve(services: Services, connection: AgentConnection, lang: str) -> None:
    """Run the writer and the reader until either ends, then close the socket."""
    tasks = [
        asyncio.create_task(connection.write()),
        asyncio.create_task(client_frames(services, connection, lang)),
    ]
    try:
        _done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, Exception) and not isinstance(result, WebSocketDisconnect):
                logger.debug("agents.socket_ended", extra={"error": repr(result)})
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await connection.websocket.close(code=1000)
