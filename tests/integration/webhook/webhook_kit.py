"""Helpers for the webhook channel tests: the chatflow app under uvicorn on loopback, a receiver
for the outbound deliveries that records what it got and answers as told, a signing provider."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from im_channel_kit import SECRET, im_app, im_deployment
from server_kit import on_this_loop

from chatflow.channels.webhook_signing import sign
from chatflow.engine.clock import FrozenClock

ASGIApp = Callable[..., Any]


def serve(app: ASGIApp, *, lifespan: str = "on") -> AbstractAsyncContextManager[str]:
    """Run ``app`` under uvicorn on a free loopback port; yields its base URL.

    On the test's own loop, not in a thread: the tests read the app's runtime between requests.
    """
    return on_this_loop(app, ws="none", lifespan=lifespan, log_config=None)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Receiver:
    """An ASGI app: records each POST, answers ``plan.pop(0)`` (then ``default``)."""

    plan: list[int] = field(default_factory=list)
    default: int = 200
    got: list[Received] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.got.append(Received(headers, body))
        status = self.plan.pop(0) if self.plan else self.default
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def seqs(self) -> list[tuple[str, int]]:
        return [(r.json["session_id"], r.json["seq"]) for r in self.got]


def deployment(folder: Path, hook_url: str, *, allow_loopback: bool = True) -> Path:
    """The demo deployment plus a site ``demo-im`` running ``im_channel_kit.TALK`` and a webhook
    channel ``im`` on it."""
    channel = {"key": "im", "webhook_url": hook_url}
    return im_deployment(folder, channel, allow_loopback=allow_loopback)


def make_app(folder: Path, config: Path, clock: FrozenClock, **outbox: Any) -> FastAPI:
    app = im_app(config, clock)
    box = app.state.webhook_outbox
    box.backoff = outbox.pop("backoff", lambda n: 0.05)
    box.max_attempts = outbox.pop("max_attempts", 4)
    box.sweep_interval = 0.2
    assert not outbox
    return app


@dataclass
class Provider:
    """Signs and posts inbound messages the way a provider would."""

    client: httpx.AsyncClient
    clock: FrozenClock
    secret: bytes = SECRET.encode()

    def signed(self, message: dict[str, Any], *, at: float | None = None) -> tuple[bytes, str]:
        body = json.dumps({"timestamp": 1795399200, **message}).encode()
        when = int(self.clock.now().timestamp() if at is None else at)
        return body, sign(self.secret, body, when)

    async def post(
        self, message: dict[str, Any], *, signature: str | None = None, key: str = "im"
    ) -> httpx.Response:
        body, good = self.signed(message)
        headers = {"Content-Type": "application/json"}
        if signature != "":
            headers["X-Chatflow-Signature"] = good if signature is None else signature
        return await self.client.post(
            f"/api/v1/channels/{key}/inbound", content=body, headers=headers
        )

    async def post_bytes(
        self,
        body: bytes,
        *,
        key: str = "im",
        content_type: str | None = "application/json",
        lang: str | None = None,
    ) -> httpx.Response:
        """Post ``body`` as it is, signed, with this ``Content-Type`` (None: no such header)."""
        headers = {
            "X-Chatflow-Signature": sign(self.secret, body, int(self.clock.now().timestamp()))
        }
        if content_type is not None:
            headers["Content-Type"] = content_type
        if lang is not None:
            headers["Accept-Language"] = lang
        return await self.client.post(
            f"/api/v1/channels/{key}/inbound", content=body, headers=headers
        )
