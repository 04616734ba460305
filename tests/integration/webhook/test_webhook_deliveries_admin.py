"""The admin routes over the webhook channels (admin_api/routes_channels.py), end to end on
loopback: a real receiver fails and then answers 2xx, an admin sees the failures with their
counts, pages and filters the deliveries, and sends a failed one again. Another merchant's
channel is 404; the signing secret and the webhook URL's path and query are never shown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session as Db
from sqlmodel import col, select
from webhook_kit import SECRET, Provider, Receiver, deployment, make_app, serve

from chatflow.engine.clock import FrozenClock
from chatflow.engine.stores.channeltables import DeliveryRow

pytestmark = pytest.mark.anyio

TOKEN = "url-token-4711"
"""Put in the webhook URL's query, as some providers do: it must never be answered."""
OTHER = """\
  - id: other
    name: Other merchant
    sites:
      - {key: other-im-site, name: Other IM, flow: talk}
    channels:
      - {key: other-im, site: other-im-site, secret_env: IM_SECRET, webhook_url: "HOOK"}
"""
"""A second merchant with a channel of its own: the demo's admin must never reach it."""


@dataclass
class Setup:
    app: FastAPI
    provider: Provider
    receiver: Receiver
    hook: str
    """The receiver's ``http://127.0.0.1:<port>``."""
    alice: dict[str, str]
    """The demo admin's headers."""
    bob: dict[str, str]
    """The demo agent's headers."""


Check = Callable[[Setup], Awaitable[None]]


async def run(tmp_path: Path, clock: FrozenClock, check: Check, receiver: Receiver) -> None:
    async with serve(receiver, lifespan="off") as hook:
        config = deployment(tmp_path, f"{hook}/hook?token={TOKEN}")
        text = config.read_text(encoding="utf-8")
        other = OTHER.replace("HOOK", f"{hook}/other")
        config.write_text(text.replace("merchants:\n", "merchants:\n" + other, 1), "utf-8")
        app = make_app(tmp_path, config, clock, max_attempts=2)
        async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
            headers = {}
            for account in ("demo_alice", "demo_bob"):
                body = {"account": account, "password": "Demo-pass1"}
                token = (await client.post("/api/v1/auth/login", json=body)).json()["token"]
                headers[account] = {"Authorization": f"Bearer {token}"}
            provider = Provider(client, clock)
            await check(
                Setup(app, provider, receiver, hook, headers["demo_alice"], headers["demo_bob"])
            )


def rows(app: FastAPI) -> list[DeliveryRow]:
    with Db(app.state.records) as db:
        return list(db.exec(select(DeliveryRow).order_by(col(DeliveryRow.seq))).all())


async def until(app: FastAPI, done: Callable[[list[DeliveryRow]], bool]) -> list[DeliveryRow]:
    """The delivery rows once ``done`` holds for them (the outbox works on its own tasks)."""
    deadline = time.monotonic() + 30
    while not done(found := rows(app)):
        assert time.monotonic() < deadline, f"timed out; the rows are {found}"
        await asyncio.sleep(0.05)
    return found


def message(message_id: str, body: str = "你好") -> dict[str, Any]:
    return {"message_id": message_id, "user_id": "u-1", "type": "text", "text": body}


async def test_an_admin_sees_failures_and_a_retry_delivers(
    tmp_path: Path, clock: FrozenClock
) -> None:
    async def check(setup: Setup) -> None:
        app, provider, receiver, alice = setup.app, setup.provider, setup.receiver, setup.alice
        api = provider.client
        sid = (await provider.post(message("m-1"))).json()["session_id"]
        count = len(await app.state.services.runtime.outputs(sid))
        await until(
            app, lambda found: len(found) == count and all(r.status == "failed" for r in found)
        )

        listed = await api.get("/api/v1/channels", headers=alice)
        assert listed.status_code == 200, listed.text
        [channel] = listed.json()
        assert channel == {
            "key": "im",
            "name": None,
            "site_key": "demo-im",
            "enabled": True,
            "webhook_origin": setup.hook,
            "pending": 0,
            "failed_24h": count,
            "delivered_24h": 0,
            "last_delivered_at": None,
            "last_error": channel["last_error"],
        }
        assert "500" in channel["last_error"]
        assert TOKEN not in listed.text and SECRET not in listed.text and "/hook" not in listed.text

        page = (await api.get("/api/v1/channels/im/deliveries?status=failed", headers=alice)).json()
        assert page["total"] == count and page["offset"] == 0
        assert [d["seq"] for d in page["items"]] == list(range(count, 0, -1))  # newest first
        first = page["items"][-1]
        assert (first["session_id"], first["attempts"], first["last_status"]) == (sid, 2, 500)
        assert first["frame_type"] == "message" and first["delivered_at"] is None
        second = await api.get(
            f"/api/v1/channels/im/deliveries?session_id={sid}&limit=1&offset=1", headers=alice
        )
        assert [d["seq"] for d in second.json()["items"]] == [count - 1]
        none = await api.get("/api/v1/channels/im/deliveries?status=delivered", headers=alice)
        assert none.json()["total"] == 0
        bad = await api.get("/api/v1/channels/im/deliveries?status=lost", headers=alice)
        assert bad.status_code == 422

        receiver.default = 200
        url = f"/api/v1/channels/im/deliveries/{first['id']}/retry"
        retried = await api.post(url, headers=alice)
        assert retried.status_code == 200, retried.text
        assert retried.json()["status"] in ("pending", "delivered")
        assert retried.json()["attempts"] in (0, 1)
        done = await until(app, lambda found: found[0].status == "delivered")
        assert done[0].attempts == 1 and all(r.status == "failed" for r in done[1:])
        last = receiver.got[-1]
        assert (last.json["seq"], last.headers["x-chatflow-attempt"]) == (1, "1")

        again = await api.post(url, headers={**alice, "Accept-Language": "zh-CN"})
        assert again.status_code == 409
        assert again.json()["detail"] == f"投递 {first['id']} 已送达：只有失败的投递才能重新发送"
        counts = (await api.get("/api/v1/channels", headers=alice)).json()[0]
        assert (counts["failed_24h"], counts["delivered_24h"]) == (count - 1, 1)
        assert counts["last_delivered_at"] is not None

    await run(tmp_path, clock, check, Receiver(default=500))


async def test_other_merchants_and_agents_are_refused(tmp_path: Path, clock: FrozenClock) -> None:
    async def check(setup: Setup) -> None:
        app, provider, alice, bob = setup.app, setup.provider, setup.alice, setup.bob
        api = provider.client
        await provider.post(message("o-1"), key="other-im")
        await until(app, lambda found: bool(found) and all(r.status == "failed" for r in found))
        foreign = rows(app)[0]
        assert foreign.channel_key == "other-im"
        listed = (await api.get("/api/v1/channels", headers=alice)).json()
        assert [c["key"] for c in listed] == ["im"]
        for method, url in [
            ("GET", "/api/v1/channels/other-im/deliveries"),
            ("POST", f"/api/v1/channels/other-im/deliveries/{foreign.id}/retry"),
            ("POST", f"/api/v1/channels/im/deliveries/{foreign.id}/retry"),
            ("POST", "/api/v1/channels/im/deliveries/999999/retry"),
        ]:
            answer = await api.request(method, url, headers=alice)
            assert answer.status_code == 404, (url, answer.text)
            assert "Other" not in answer.text
        assert rows(app)[0].status == "failed"
        zh = await api.get(
            "/api/v1/channels/other-im/deliveries", headers={**alice, "Accept-Language": "zh-CN"}
        )
        assert zh.json()["detail"] == "渠道 'other-im' 不存在"
        for method, url in [
            ("GET", "/api/v1/channels"),
            ("GET", "/api/v1/channels/im/deliveries"),
            ("POST", f"/api/v1/channels/im/deliveries/{foreign.id}/retry"),
        ]:
            assert (await api.request(method, url, headers=bob)).status_code == 403

    await run(tmp_path, clock, check, Receiver(default=500))


async def test_a_retried_frame_goes_before_the_sessions_pending_frames(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """The outbox sends a session's lowest pending seq first: a frame sent again is that one,
    so it goes next, without waiting for the backoff of the later frame in front of it."""

    async def check(setup: Setup) -> None:
        app, provider, receiver, alice = setup.app, setup.provider, setup.receiver, setup.alice
        box = app.state.webhook_outbox
        box.max_attempts = 1  # the opening's frames fail for good at once
        sid = (await provider.post(message("m-1"))).json()["session_id"]
        count = len(await app.state.services.runtime.outputs(sid))
        await until(app, lambda found: len(found) == count and found[-1].status == "failed")

        box.max_attempts, box.backoff = 8, lambda n: 3600.0  # the next frame waits an hour
        await provider.post(message("m-2", "价格"))
        later = await until(app, lambda found: len(found) > count and found[count].attempts == 1)
        assert later[count].status == "pending"
        sent_before = len(receiver.got)

        receiver.default = 200
        first = later[0]
        url = f"/api/v1/channels/im/deliveries/{first.id}/retry"
        assert (await provider.client.post(url, headers=alice)).status_code == 200
        done = await until(app, lambda found: found[0].status == "delivered")
        assert [(r.json["session_id"], r.json["seq"]) for r in receiver.got[sent_before:]] == [
            (sid, 1)
        ]
        assert {r.status for r in done[count:]} == {"pending"}  # still behind their backoff
        assert [(r.status, r.attempts) for r in done[1:count]] == [("failed", 1)] * (count - 1)

    await run(tmp_path, clock, check, Receiver(default=500))
