"""The webhook/IM channel: providers (WeChat, LINE, a bot bridge...) post signed visitor messages
to ``POST /api/v1/channels/{key}/inbound`` and get every output frame back through the outbox
(:mod:`chatflow.channels.webhook_outbox`). See docs/webhook-channel.md.

An inbound message is checked in this order: the channel exists and is enabled, the body is at
most 64 KB, the signature (:mod:`chatflow.channels.webhook_signing`) holds and is fresh, the body
is ``application/json``, the JSON is a valid message (an invalid one is a
``RequestValidationError``, so the API words it as it words every invalid request: each problem
at its path, ``body.text``, in the client's language). Then the provider's message id is
*inserted* under a unique ``(channel, message_id)`` constraint before anything is applied: of
concurrent duplicates exactly one insert wins and applies; the others answer
``200 {duplicate: true}``. The user is mapped to their open session, or a new one on the channel
site's flow after the last ended. The message that opens a session is its trigger, not an input:
recorded as the visitor's first line, kept in ``sys.last_input``, answered by no node (a rating
that opens one is dropped).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session as Db
from sqlmodel import col

from chatflow.channels.errors import ChannelProblem
from chatflow.channels.visitor_frames import MAX_TEXT
from chatflow.channels.web import SiteInfo, VisitorBackend, published_version, start_on_site
from chatflow.channels.webhook_outbox import Destination, Outbox
from chatflow.channels.webhook_signing import HEADER, SignatureError, verify
from chatflow.engine.clock import Clock, as_utc
from chatflow.engine.config import DeploymentConfig
from chatflow.engine.errors import NotFoundError, Problem, RuntimeFlowError
from chatflow.engine.events import Choice, Event, Rating, VisitorEnded, VisitorText
from chatflow.engine.locks import KeyedLocks
from chatflow.engine.records import Channel
from chatflow.engine.runtime import Runtime
from chatflow.engine.stores.channeltables import (
    WebhookInboundRow,
    WebhookSessionRow,
    WebhookUserRow,
)

logger = logging.getLogger("chatflow.channels.webhook")

MAX_BODY = 65_536
JSON = "application/json"
RECLAIM_AFTER = 60.0
"""Seconds after which a message still marked ``received`` (its worker died) may be retried."""
STARTING_FOR = 30.0
"""Seconds a user's new session may take to appear in the store after it was chosen: a missing
session chosen longer ago is gone, not being started."""


@dataclass(frozen=True)
class ChannelInfo:
    key: str
    merchant: str
    site: str
    secret: bytes
    webhook_url: str
    enabled: bool = True


def channels_from_config(
    config: DeploymentConfig, env: Mapping[str, str], source: str = ""
) -> tuple[dict[str, ChannelInfo], list[Problem]]:
    """The configured channels with their secrets; a problem for each secret that is not set."""
    out: dict[str, ChannelInfo] = {}
    problems: list[Problem] = []
    for merchant in config.merchants:
        for channel in merchant.channels:
            secret = env.get(channel.secret_env, "")
            if not secret:
                problems.append(
                    Problem(
                        f"channel {channel.key!r}: environment variable {channel.secret_env} is "
                        "not set (it holds the channel's signing secret)",
                        source,
                        code="secret_env",
                    )
                )
                continue
            out[channel.key] = ChannelInfo(
                channel.key,
                merchant.id,
                channel.site,
                secret.encode(),
                channel.webhook_url,
                channel.enabled,
            )
    return out, problems


def is_json(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` header says JSON (``application/json``, any parameters)."""
    return (content_type or "").partition(";")[0].strip().lower() == JSON


def destinations(channels: Mapping[str, ChannelInfo]) -> dict[str, Destination]:
    return {k: Destination(k, c.webhook_url, c.secret) for k, c in channels.items()}


NEEDS = {"text": "text", "choice": "value", "rate": "score"}
"""A message's type -> the field it needs."""


class InboundMessage(BaseModel):
    """One visitor message from the provider."""

    model_config = ConfigDict(extra="forbid")
    message_id: str = Field(min_length=1, max_length=200)
    """The provider's id of this message: a repeat of it is a duplicate."""
    user_id: str = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
    """The provider's id of the visitor (visible ASCII)."""
    user_name: str | None = Field(default=None, max_length=64)
    """The visitor's display name on the platform: names a new conversation's visitor while
    the merchant's profile of it has no name."""
    type: Literal["text", "choice", "rate", "end"]
    text: str | None = Field(default=None, max_length=MAX_TEXT, validate_default=True)
    value: str | None = Field(default=None, max_length=MAX_TEXT, validate_default=True)
    score: int | None = Field(default=None, ge=0, le=10, validate_default=True)
    timestamp: float
    """When the visitor sent it (UNIX seconds), as the provider saw it."""

    @field_validator("text", "value", "score")
    @classmethod
    def _needed_by_the_type(cls, value: str | int | None, info: ValidationInfo) -> object:
        """The field a message's type needs, refused at its own path when absent or blank."""
        kind = info.data.get("type")  # absent when the type itself was refused
        if NEEDS.get(str(kind)) == info.field_name and (
            value is None or (isinstance(value, str) and not value.strip())
        ):
            raise ValueError(f"required for a {kind!r} message")
        return value

    def event(self, key: str) -> Event:
        cid = self.message_id
        if self.type == "text":
            return VisitorText(key=key, text=self.text or "", client_id=cid)
        if self.type == "choice":
            return Choice(key=key, value=self.value or "", client_id=cid)
        if self.type == "rate":
            return Rating(key=key, score=self.score or 0, client_id=cid)
        return VisitorEnded(key=key, client_id=cid)


@dataclass
class WebhookChannel:
    runtime: Runtime
    backend: VisitorBackend
    records: Engine
    channels: dict[str, ChannelInfo]
    outbox: Outbox
    clock: Clock
    _users: KeyedLocks = field(default_factory=KeyedLocks)

    def channel(self, key: str) -> ChannelInfo:
        """The channel that takes messages at ``key``; 404 or 403 when there is none."""
        info = self.channels.get(key)
        if info is None:
            raise ChannelProblem(404, "channel_not_found", f"no channel {key!r}")
        if not info.enabled:
            raise ChannelProblem(403, "channel_disabled", "this channel takes no messages")
        return info

    async def receive(
        self,
        key: str,
        body: bytes,
        signature: str | None,
        content_type: str | None = JSON,
    ) -> dict[str, Any]:
        info = self.channel(key)
        try:
            verify(info.secret, body, signature, self.clock.now().timestamp())
        except SignatureError as exc:
            logger.warning("webhook.bad_signature", extra={"channel": key, "why": exc.reason})
            raise ChannelProblem(401, "bad_signature", exc.message, reason=exc.reason) from None
        if not is_json(content_type):
            raise ChannelProblem(
                415,
                "unsupported_media_type",
                "send the message as JSON (Content-Type: application/json)",
            )
        try:
            message = InboundMessage.model_validate_json(body)
        except ValidationError as exc:
            # the app's one handler of invalid requests words it: the path under "body", the
            # message in plain words (no "Value error, "), in the client's language
            errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
            raise RequestValidationError(errors) from None
        now = self.clock.now().timestamp()
        if not await asyncio.to_thread(self._claim, key, message, now):
            return {"accepted": True, "duplicate": True}
        try:
            session_id, applied = await self._apply(info, message)
        except ChannelProblem as exc:
            final = exc.status in (403, 404)
            await asyncio.to_thread(self._settle, key, message, None, exc.code, final)
            raise
        except Exception as exc:
            await asyncio.to_thread(self._settle, key, message, None, repr(exc), False)
            if isinstance(exc, RuntimeFlowError):
                raise ChannelProblem(500, "flow_error", "the flow failed on this message") from None
            raise
        await asyncio.to_thread(self._settle, key, message, session_id, None, True)
        return {"accepted": True, "duplicate": False, "session_id": session_id, "applied": applied}

    async def _apply(self, info: ChannelInfo, message: InboundMessage) -> tuple[str | None, bool]:
        event = message.event(f"webhook:{info.key}:{message.message_id}")
        async with self._users.hold(f"{info.key}\n{message.user_id}"):
            session_id, opened = await self._session_for(info, message, event)
            if session_id is None:
                return None, False
            if opened:  # the message started the conversation: it answers nothing
                return session_id, True
            applied = await self.runtime.apply(session_id, event)
        return session_id, applied

    async def _session_for(
        self, info: ChannelInfo, message: InboundMessage, event: Event
    ) -> tuple[str | None, bool]:
        """The user's open session, and whether ``event`` opened it: a new session unless the
        message only ends a conversation. A message that opens one is its trigger
        (docs/webhook-channel.md): recorded before the flow's first words, never the answer to
        its first question, as on the web where the visitor types only once the flow has started."""
        for _try in range(20):
            current, chosen_at = await asyncio.to_thread(self._current, info.key, message.user_id)
            if current is not None and chosen_at is not None:
                try:
                    if not (await self.runtime.get(current)).ended:
                        return current, False
                except NotFoundError:
                    # Just chosen: another worker is starting it right now. Chosen long ago:
                    # it is gone (deleted with its record, or past retention); start anew.
                    age = self.clock.now().timestamp() - as_utc(chosen_at).timestamp()
                    if age < STARTING_FOR and _try < 10:
                        await asyncio.sleep(0.05)
                        continue
            if message.type == "end":
                return None, False
            site, version = await self._admit(info, message.user_id)
            new = uuid.uuid4().hex
            if await asyncio.to_thread(self._replace, info, message.user_id, current, new):
                self.outbox.track(new, info.key)
                opening = event if isinstance(event, VisitorText | Choice) else None
                await self._start(info, message, new, site, version, opening)
                return new, True
        raise ChannelProblem(503, "busy", "the conversation is being changed; retry")

    async def _admit(self, info: ChannelInfo, user_id: str) -> tuple[SiteInfo, str]:
        """What a new session needs: the site, its flow version, a user not blacklisted."""
        site = await self.backend.site(info.site)
        if site is None:
            raise ChannelProblem(404, "site_not_found", f"the channel's site {info.site!r} is gone")
        if not site.enabled:
            raise ChannelProblem(
                403,
                "site_disabled",
                f"the channel's site {info.site!r} is disabled: it takes no new conversations",
            )
        if await self.backend.blacklisted(site.merchant, f"{info.key}:{user_id}"):
            raise ChannelProblem(403, "blacklisted", "this user may not be served")
        return site, await published_version(self.backend, site)

    async def _start(
        self,
        info: ChannelInfo,
        message: InboundMessage,
        session_id: str,
        site: SiteInfo,
        version: str,
        opening: VisitorText | Choice | None,
    ) -> None:
        await start_on_site(
            self.backend,
            self.runtime,
            site,
            version,
            session_id=session_id,
            visitor_id=f"{info.key}:{message.user_id}",
            channel_id=info.key,
            visitor_name=message.user_name,
            opening=opening,
            channel=Channel("webhook", info.key),
        )

    # -- the records database ----------------------------------------------------------------

    def _claim(self, key: str, message: InboundMessage, now: float) -> bool:
        """Insert-first dedupe: True for the one caller that may apply this message."""
        row = WebhookInboundRow(
            channel_key=key, message_id=message.message_id, user_id=message.user_id, received_at=now
        )
        try:
            with Db(self.records) as db:
                db.add(row)
                db.commit()
            return True
        except IntegrityError:
            pass
        retry = (col(WebhookInboundRow.status) == "failed") | (
            (col(WebhookInboundRow.status) == "received")
            & (col(WebhookInboundRow.received_at) < now - RECLAIM_AFTER)
        )
        stmt = (
            update(WebhookInboundRow)
            .where(
                col(WebhookInboundRow.channel_key) == key,
                col(WebhookInboundRow.message_id) == message.message_id,
                retry,
            )
            .values(status="received", received_at=now, error=None)
        )
        with self.records.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    def _settle(
        self,
        key: str,
        message: InboundMessage,
        session_id: str | None,
        error: str | None,
        final: bool,
    ) -> None:
        status = ("applied" if error is None else "refused") if final else "failed"
        stmt = (
            update(WebhookInboundRow)
            .where(
                col(WebhookInboundRow.channel_key) == key,
                col(WebhookInboundRow.message_id) == message.message_id,
            )
            .values(status=status, session_id=session_id, error=error)
        )
        with self.records.begin() as conn:
            conn.execute(stmt)

    def _current(self, key: str, user_id: str) -> tuple[str | None, datetime | None]:
        """The user's session and when it was made theirs; (None, None) for a new user."""
        with Db(self.records) as db:
            row = db.get(WebhookUserRow, (key, user_id))
            return (row.session_id, row.updated_at) if row else (None, None)

    def _replace(self, info: ChannelInfo, user_id: str, old: str | None, new: str) -> bool:
        """Make ``new`` the user's session if it still is ``old`` (None: there was none); a
        compare-and-set in the database, so of two workers racing only one wins."""
        at = self.clock.now()
        try:
            with Db(self.records) as db:
                if old is None:
                    user = WebhookUserRow(
                        channel_key=info.key, user_id=user_id, session_id=new, updated_at=at
                    )
                    db.add(user)
                else:
                    swap = (
                        update(WebhookUserRow)
                        .where(
                            col(WebhookUserRow.channel_key) == info.key,
                            col(WebhookUserRow.user_id) == user_id,
                            col(WebhookUserRow.session_id) == old,
                        )
                        .values(session_id=new, updated_at=at)
                    )
                    if db.connection().execute(swap).rowcount != 1:
                        db.rollback()
                        return False
                meta = WebhookSessionRow(
                    session_id=new, channel_key=info.key, user_id=user_id, created_at=at
                )
                db.add(meta)
                db.commit()
            return True
        except IntegrityError:
            return False


def build_router(channel: WebhookChannel) -> APIRouter:
    router = APIRouter(tags=["webhook channel"])

    @router.post("/api/v1/channels/{key}/inbound")
    async def inbound(key: str, request: Request) -> dict[str, Any]:
        """A visitor message from the provider, signed (docs/webhook-channel.md)."""
        channel.channel(key)  # an unknown or disabled channel reads no body
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            raise ChannelProblem(413, "too_large", f"a message may be at most {MAX_BODY} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise ChannelProblem(413, "too_large", f"a message may be at most {MAX_BODY} bytes")
        return await channel.receive(
            key, bytes(body), request.headers.get(HEADER), request.headers.get("content-type")
        )

    return router
