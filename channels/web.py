"""The web visitor channel: session creation, the visitor websocket and its REST twin.

Contract (DESIGN part 2, "Visitor channel (web)"): ``POST /api/v1/sites/{key}/sessions`` starts
a session; ``/ws/visitor?token=&after=`` replays every frame with ``seq > after`` from the
store, then streams live; client frames carry an optional client id and are applied once. The
REST twin serves clients without websockets. The tenant side (sites, blacklist, records) comes in
through :class:`VisitorBackend`, so this module knows nothing of the admin layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol
from urllib.parse import urlsplit

from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from chatflow.channels.captcha import Captcha, CaptchaAnswer, Challenge
from chatflow.channels.errors import ChannelProblem
from chatflow.channels.visitor_frames import FrameError, Typing, parse_raw, to_event
from chatflow.channels.visitor_tokens import VisitorTokens
from chatflow.engine.errors import NotFoundError, RuntimeFlowError
from chatflow.engine.events import Choice, VisitorText
from chatflow.engine.feed import OutputFeed
from chatflow.engine.ratelimit import RateLimiter
from chatflow.engine.records import NO_VISIT, WEB, Channel, Visit
from chatflow.engine.runtime import Runtime

logger = logging.getLogger("chatflow.channels.web")

REPLAY_BATCH = 500
_STATUS = {"rate_limited": 429, "session_not_found": 404, "session_ended": 409, "flow_error": 500}
"""The REST twin's status for a client frame's error (any other code is a bad frame: 422)."""


@dataclass(frozen=True)
class SiteInfo:
    merchant: str
    key: str
    name: str
    flow_id: str
    enabled: bool = True
    allowed_origins: tuple[str, ...] = ()
    captcha: bool = False
    """New sessions need a solved slider puzzle (``channels.captcha``)."""
    captcha_image: str | None = None
    """The id of the site's uploaded captcha background; None: the default ones."""


class VisitorBackend(Protocol):
    """What the channel needs from the deployment (sites, flows, blacklist, records, agents)."""

    async def site(self, key: str) -> SiteInfo | None: ...

    async def flow_version(self, site: SiteInfo) -> str | None:
        """The version new sessions of the site start on (its published flow)."""
        ...

    async def blacklisted(self, merchant: str, visitor_id: str) -> bool: ...

    async def started(
        self,
        session_id: str,
        site: SiteInfo,
        visitor_id: str,
        name: str | None = None,
        visit: Visit = NO_VISIT,
        channel: Channel = WEB,
    ) -> None:
        """A session is about to start (called first, so its record exists before its frames);
        ``name`` is what the client calls the visitor, for a profile that has no name yet;
        ``visit`` where a web visitor is (address, browser, page), ``channel`` the channel it
        came through, for the record."""
        ...

    async def typing(self, session_id: str) -> None:
        """The visitor is typing: tell the agents serving the session."""
        ...


AgentMessages = Callable[[Request, str, str], Awaitable[dict[str, Any]]]
"""``(request, session_id, bearer token) -> answer`` for a message posted by an agent."""


@dataclass
class VisitorChannel:
    runtime: Runtime
    feed: OutputFeed
    tokens: VisitorTokens
    backend: VisitorBackend
    session_limiter: RateLimiter
    """Session creation per client IP."""
    message_limiter: RateLimiter
    """Client frames per session."""
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    agent_messages: AgentMessages | None = None
    """The agent API shares ``POST /api/v1/sessions/{id}/messages``: a bearer token that is not a
    visitor token is handed to it (the admin layer wires it; this module knows no agents)."""
    captcha: Captcha | None = None
    """The captcha of captcha sites (the admin layer wires it); without it such a site opens no
    new session."""


MAX_USER_AGENT = 512
"""Characters of the ``User-Agent`` header kept on the record (real ones are ~100-300)."""


def web_url(value: str) -> str | None:
    """An absolute http(s) URL without its fragment (never sent to servers, often a token);
    blank is none. Anything else (``javascript:``, relative, with spaces) is refused."""
    value = value.strip()
    if not value:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:  # a malformed IPv6 host
        raise ValueError("not a URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError("must not hold spaces or control characters")
    return value.split("#", 1)[0]


WebUrl = Annotated[str, Field(max_length=2048), AfterValidator(web_url)]
PageTitle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class PageIn(BaseModel):
    """The page the chat was opened on, as the widget or the chat link tells it."""

    url: WebUrl | None = None
    """The page's address (http(s), at most 2048 characters; the fragment is dropped)."""
    title: PageTitle | None = None
    """The page's title (at most 200 characters once blanks around are cut)."""
    referrer: WebUrl | None = None
    """Where the visitor came to the page from, as ``url``."""


class NewSession(BaseModel):
    visitor_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.:@-]+$")
    """A stable id of the visitor (from the host site or the widget); a new one when absent."""
    name: str | None = Field(default=None, max_length=64)
    """The visitor's name, if known (the host page's member name): it fills the merchant's
    profile of the visitor while that has no name, and never replaces one."""
    data: dict[str, str | int | float | bool] = Field(default_factory=dict, max_length=32)
    """Values for the flow's declared variables (others are ignored)."""
    page: PageIn | None = None
    """The page the chat was opened on: kept on the conversation's record, for agents."""
    captcha: CaptchaAnswer | None = None
    """The solved puzzle (``GET /api/v1/sites/{key}/captcha``), on a site that asks for one."""


def visit_of(request: Request, page: PageIn | None) -> Visit:
    """Where the visitor is: the client address (the visitor's own once the app resolves a
    trusted proxy's forwarding), the browser's ``User-Agent`` and the page the chat is on."""
    agent = request.headers.get("user-agent", "").strip()[:MAX_USER_AGENT]
    page = page or PageIn()
    return Visit(
        ip=request.client.host if request.client else None,
        user_agent=agent or None,
        page_url=page.url,
        page_title=page.title or None,
        referrer=page.referrer,
    )


class SessionCreated(BaseModel):
    session_id: str
    visitor_token: str


class EventsOut(BaseModel):
    events: list[dict[str, Any]]
    last_seq: int


def origin_allowed(origin: str | None, site: SiteInfo, host: str | None) -> bool:
    """Same-origin pages are always allowed; others only when the site lists them."""
    if not origin:
        return True  # non-browser clients send no Origin
    if host and urlsplit(origin).netloc == host:
        return True
    if not site.allowed_origins:
        return True
    return origin.rstrip("/") in {o.rstrip("/") for o in site.allowed_origins}


_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?")


def chat_page_policy(site: SiteInfo | None) -> str:
    """The chat page's Content-Security-Policy: its own files only, and framed only by the
    site's allowed origins (any page when the site lists none, as for its websocket)."""
    if site is None:
        ancestors = "'self'"
    elif not site.allowed_origins:
        ancestors = "*"
    else:
        listed = [o.rstrip("/") for o in site.allowed_origins if _ORIGIN.fullmatch(o.rstrip("/"))]
        ancestors = " ".join(["'self'", *listed])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {ancestors}"
    )


async def published_version(backend: VisitorBackend, site: SiteInfo) -> str:
    """The flow version new sessions of the site start on; 503 while none is published."""
    version = await backend.flow_version(site)
    if version is None:
        raise ChannelProblem(503, "flow_unavailable", "the site's flow is not published")
    return version


async def start_on_site(
    backend: VisitorBackend,
    runtime: Runtime,
    site: SiteInfo,
    version: str,
    *,
    session_id: str,
    visitor_id: str,
    channel_id: str,
    variables: Mapping[str, Any] | None = None,
    visitor_name: str | None = None,
    visit: Visit = NO_VISIT,
    opening: VisitorText | Choice | None = None,
    channel: Channel = WEB,
) -> None:
    """Start a conversation on a site, for any channel: its record first (so the record is there
    before its first frames), then the site's flow, with the site's merchant, key and name.
    ``visitor_name`` is what the channel's client calls the visitor; a blank one is none.
    ``visit`` is where a web visitor is; a channel without a browser has none. ``opening`` is
    the message that opened the conversation (an IM user writing first): recorded, not an answer.
    ``channel`` is the channel the record names: the web channel unless said otherwise."""
    name = (visitor_name or "").strip() or None
    await backend.started(session_id, site, visitor_id, name, visit, channel)
    await runtime.start(
        site.flow_id,
        session_id=session_id,
        version=version,
        merchant=site.merchant,
        site_key=site.key,
        visitor_id=visitor_id,
        channel_id=channel_id,
        channel_name=site.name,
        variables=variables,
        opening=opening,
    )


def build_router(channel: VisitorChannel) -> APIRouter:
    router = APIRouter(tags=["visitor"])

    @router.post(
        "/api/v1/sites/{site_key}/sessions", status_code=201, response_model=SessionCreated
    )
    async def create_session(site_key: str, body: NewSession, request: Request) -> SessionCreated:
        """Start a conversation on a site; the flow runs at once."""
        ip = request.client.host if request.client else "unknown"
        wait = channel.session_limiter.hit(f"ip:{ip}")
        if wait:
            raise ChannelProblem(429, "throttled", "too many new sessions", retry_after=wait)
        site = await channel.backend.site(site_key)
        if site is None:
            raise ChannelProblem(404, "site_not_found", f"no site {site_key!r}")
        if not site.enabled:
            raise ChannelProblem(403, "site_disabled", "this site no longer takes conversations")
        if not origin_allowed(request.headers.get("origin"), site, request.headers.get("host")):
            raise ChannelProblem(403, "origin_not_allowed", "this page may not open the chat")
        if site.captcha:
            check_captcha(site, body.captcha)
        visitor_id = body.visitor_id or f"v-{uuid.uuid4().hex}"
        if await channel.backend.blacklisted(site.merchant, visitor_id):
            raise ChannelProblem(
                403,
                "blacklisted",
                "抱歉，暂时无法为您提供在线服务。Sorry, we cannot serve you online.",
            )
        version = await published_version(channel.backend, site)
        flow = await channel.runtime.flows.get(site.flow_id, version)
        declared = {k: v for k, v in body.data.items() if k in flow.flow.vars}
        session_id = uuid.uuid4().hex
        await start_on_site(
            channel.backend,
            channel.runtime,
            site,
            version,
            session_id=session_id,
            visitor_id=visitor_id,
            channel_id=site.key,
            variables=declared,
            visitor_name=body.name,
            visit=visit_of(request, body.page),
        )
        return SessionCreated(session_id=session_id, visitor_token=channel.tokens.issue(session_id))

    def wired_captcha() -> Captcha:
        """The channel's captcha; a captcha site without one fails closed (503)."""
        if channel.captcha is None:
            raise ChannelProblem(503, "captcha_unavailable", "the captcha is not available")
        return channel.captcha

    def check_captcha(site: SiteInfo, answer: CaptchaAnswer | None) -> None:
        captcha = wired_captcha()
        if answer is None:
            raise ChannelProblem(403, "captcha_required", "solve the captcha first")
        if not captcha.check(site.key, answer):
            raise ChannelProblem(403, "captcha_failed", "the captcha was not solved; try a new one")

    @router.get("/api/v1/sites/{site_key}/captcha", response_model=Challenge)
    async def get_captcha(site_key: str, request: Request) -> Challenge:
        """A slider puzzle to solve before a new session on a captcha site (docs/widget.md)."""
        ip = request.client.host if request.client else "unknown"
        wait = channel.session_limiter.hit(f"captcha-ip:{ip}")
        if wait:
            raise ChannelProblem(429, "throttled", "too many captchas", retry_after=wait)
        site = await channel.backend.site(site_key)
        if site is None or not site.enabled:
            raise ChannelProblem(404, "site_not_found", f"no site {site_key!r}")
        if not site.captcha:
            raise ChannelProblem(404, "captcha_off", "this site asks no captcha")
        return await wired_captcha().challenge(site.key, site.captcha_image)

    def session_for(token: str, session_id: str | None = None) -> str:
        sid = channel.tokens.session_of(token)
        if sid is None or (session_id is not None and sid != session_id):
            raise ChannelProblem(401, "unauthorized", "the visitor token is not valid")
        return sid

    def bearer(authorization: str | None) -> str:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise ChannelProblem(
                401, "unauthorized", "send 'Authorization: Bearer <visitor_token>'"
            )
        return authorization[7:].strip()

    @router.post("/api/v1/sessions/{session_id}/messages", status_code=202)
    async def post_message(
        session_id: str,
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """Send a client frame (same JSON as over the websocket); an agent's token posts
        ``{text}`` as the agent (see docs/agent-api.md)."""
        token = bearer(authorization)
        if channel.agent_messages is not None and channel.tokens.session_of(token) is None:
            return await channel.agent_messages(request, session_id, token)
        sid = session_for(token, session_id)
        try:
            data = parse_raw(await request.body())
            result = await apply_frame(channel, sid, data)
        except FrameError as exc:
            raise ChannelProblem(_STATUS.get(exc.code, 422), exc.code, exc.message) from None
        return {"accepted": True, **result}

    @router.get("/api/v1/sessions/{session_id}/events", response_model=EventsOut)
    async def get_events(
        session_id: str,
        after: Annotated[int, Query(ge=0)] = 0,
        wait: Annotated[float, Query(ge=0, le=25)] = 0,
        authorization: Annotated[str | None, Header()] = None,
    ) -> EventsOut:
        """Frames with ``seq > after``; ``wait`` seconds long-polls when there are none yet.
        A session that is gone (deleted, or past retention) is ``404 session_not_found``."""
        sid = session_for(bearer(authorization), session_id)
        with channel.feed.subscribe(sid) as sub:
            frames = await channel.runtime.outputs(sid, after, REPLAY_BATCH)
            if not frames and (await channel.runtime.find([sid]))[0] is None:
                raise ChannelProblem(404, "session_not_found", "the session is gone")
            if not frames and wait:
                await sub.wait(wait)
                frames = await channel.runtime.outputs(sid, after, REPLAY_BATCH)
        events = [f.to_json() for f in frames]
        return EventsOut(events=events, last_seq=frames[-1].seq if frames else after)

    @router.websocket("/ws/visitor")
    async def visitor_socket(websocket: WebSocket, token: str = "", after: int = 0) -> None:
        await websocket.accept()
        sid = channel.tokens.session_of(token)
        if sid is None:
            await websocket.send_json(
                FrameError("unauthorized", "the visitor token is not valid").frame()
            )
            await websocket.close(code=4401)
            return
        try:
            session = await channel.runtime.get(sid)
        except NotFoundError:
            await websocket.send_json(
                FrameError("session_not_found", "the session is gone").frame()
            )
            await websocket.close(code=4404)
            return
        site = await channel.backend.site(session.site_key)
        if site is not None and not origin_allowed(
            websocket.headers.get("origin"), site, websocket.headers.get("host")
        ):
            await websocket.send_json(
                FrameError("origin_not_allowed", "origin not allowed").frame()
            )
            await websocket.close(code=4403)
            return
        await serve_socket(channel, websocket, sid, max(after, 0))

    return router


async def apply_frame(
    channel: VisitorChannel, session_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Apply one client frame; raise :class:`FrameError` for anything the client must hear."""
    event = to_event(data)
    if isinstance(event, Typing):
        await channel.backend.typing(session_id)
        return {}
    client_id = str(data.get("id", ""))
    wait = channel.message_limiter.hit(f"session:{session_id}")
    if wait:
        raise FrameError("rate_limited", f"too many messages; wait {wait:.0f} s", client_id)
    try:
        applied = await channel.runtime.apply(session_id, event)
    except NotFoundError:
        raise FrameError("session_not_found", "the session is gone", client_id) from None
    except RuntimeFlowError as exc:
        logger.error(
            "channels.flow_failed",
            extra={"session_id": session_id, "flow_id": exc.flow_id, "node_id": exc.node_id},
        )
        raise FrameError(
            "flow_error",
            "抱歉，系统暂时出了点问题，请稍后再试。Sorry, something went wrong.",
            client_id,
        ) from None
    if not applied:
        session = await channel.runtime.get(session_id)
        if session.status == "ended":
            raise FrameError("session_ended", "the conversation has ended", client_id)
    return {"applied": applied}


async def serve_socket(
    channel: VisitorChannel, websocket: WebSocket, session_id: str, after: int
) -> None:
    """Replay then stream frames, while applying client frames; ends when either side closes."""
    last = after

    async def sender() -> None:
        nonlocal last
        with channel.feed.subscribe(session_id, live=True) as sub:
            frames = await channel.runtime.outputs(session_id, last, REPLAY_BATCH)
            while True:
                for frame in frames:
                    await websocket.send_text(frame.dumps())
                    last = frame.seq
                for live in sub.take_live():  # typing notices: not logged, never replayed
                    await websocket.send_json(live)
                if len(frames) < REPLAY_BATCH:
                    if sub.closed or channel.closing.is_set():
                        return
                    await sub.wait(30)
                    handed = sub.take_saved(last)  # frames just saved, if they follow on
                    if handed is not None:
                        frames = handed
                        continue
                frames = await channel.runtime.outputs(session_id, last, REPLAY_BATCH)

    async def receiver() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            if raw is None:
                raw = message.get("bytes") or b""
            try:
                await apply_frame(channel, session_id, parse_raw(raw))
            except FrameError as exc:
                await websocket.send_json(exc.frame())

    tasks = [asyncio.create_task(sender()), asyncio.create_task(receiver())]
    try:
        _done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task
    finally:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code=1001 if channel.closing.is_set() else 1000)
    logger.info("channels.visitor_disconnected", extra={"session_id": session_id, "last_seq": last})
