"""The webhook channel end to end on loopback: signed inbound messages (dedupe under concurrency,
user -> session), and outbound deliveries to a real receiver (signed, retried, in order, failed
when they fail, resumed after a restart, held by the SSRF guard)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session as Db
from sqlmodel import col, select
from webhook_kit import SECRET, Provider, Receiver, deployment, make_app, serve

from chatflow.channels.webhook_signing import verify
from chatflow.engine.clock import FrozenClock
from chatflow.engine.stores.channeltables import DeliveryRow, WebhookInboundRow
from chatflow.engine.stores.contenttables import VisitorRow

pytestmark = pytest.mark.anyio

Check = Callable[[FastAPI, Provider, Receiver], Awaitable[None]]


async def run(
    tmp_path: Path, clock: FrozenClock, check: Check, receiver: Receiver | None = None, **kw: Any
) -> Receiver:
    receiver = receiver or Receiver()
    allow = kw.pop("allow_loopback", True)
    async with serve(receiver, lifespan="off") as hook:
        app = make_app(
            tmp_path, deployment(tmp_path, f"{hook}/hook", allow_loopback=allow), clock, **kw
        )
        async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
            await check(app, Provider(client, clock), receiver)
    return receiver


async def settled(app: FastAPI, count: int, timeout: float = 30) -> list[DeliveryRow]:
    """The delivery rows once ``count`` of them are delivered or failed."""
    deadline = time.monotonic() + timeout
    while True:
        with Db(app.state.records) as db:
            rows = list(db.exec(select(DeliveryRow).order_by(col(DeliveryRow.id))).all())
        done = [r for r in rows if r.status != "pending"]
        if len(done) >= count:
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"only {len(done)} of {count} deliveries settled: {rows}")
        await asyncio.sleep(0.05)


async def frames(app: FastAPI, session_id: str) -> list[dict[str, Any]]:
    return [f.to_json() for f in await app.state.services.runtime.outputs(session_id)]


def text(message_id: str, user: str = "u-1", body: str = "你好") -> dict[str, Any]:
    return {"message_id": message_id, "user_id": user, "type": "text", "text": body}


# -- inbound ---------------------------------------------------------------------------------


async def test_bad_missing_and_stale_signatures_are_401(tmp_path: Path, clock: FrozenClock) -> None:
    async def check(app: FastAPI, provider: Provider, _: Receiver) -> None:
        message = text("m-1")
        good = provider.signed(message)[1]
        stale = provider.signed(message, at=clock.now().timestamp() - 301)[1]
        for signature, reason in [
            ("", "missing"),
            ("t=1,v1", "malformed"),
            (good.replace(good[-4:], "0000"), "mismatch"),
            (stale, "stale"),
        ]:
            response = await provider.post(message, signature=signature)
            assert response.status_code == 401, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["reason"] == reason
        wrong = Provider(provider.client, clock, b"not-the-secret")
        assert (await wrong.post(message)).status_code == 401
        assert (await provider.post(message, key="nope")).status_code == 404
        with Db(app.state.records) as db:
            assert db.exec(select(WebhookInboundRow)).all() == []
        assert (await provider.post(message)).status_code == 200

    await run(tmp_path, clock, check)


async def test_invalid_messages_are_422_after_the_signature(
    tmp_path: Path, clock: FrozenClock
) -> None:
    async def check(app: FastAPI, provider: Provider, _: Receiver) -> None:
        for bad in [
            {"message_id": "m", "user_id": "u", "type": "text"},
            {"message_id": "m", "user_id": "u", "type": "rate", "score": 11},
            {"message_id": "m", "user_id": "u", "type": "shout", "text": "x"},
            {"message_id": "", "user_id": "u", "type": "end"},
        ]:
            assert (await provider.post(bad)).status_code == 422

    await run(tmp_path, clock, check)


async def test_concurrent_duplicates_apply_exactly_once(tmp_path: Path, clock: FrozenClock) -> None:
    async def check(app: FastAPI, provider: Provider, _: Receiver) -> None:
        await provider.post(text("warm-up"))
        body, signature = provider.signed(text("dup-1", body="1"))
        headers = {"Content-Type": "application/json", "X-Chatflow-Signature": signature}

        async def once() -> httpx.Response:
            return await provider.client.post(
                "/api/v1/channels/im/inbound", content=body, headers=headers
            )

        answers = await asyncio.gather(*(once() for _ in range(24)))
        assert {a.status_code for a in answers} == {200}
        fresh = [a.json() for a in answers if not a.json()["duplicate"]]
        assert len(fresh) == 1 and fresh[0]["applied"] is True
        log = await frames(app, fresh[0]["session_id"])
        assert sum(1 for f in log if f.get("id") == "dup-1") == 1
        with Db(app.state.records) as db:
            rows = db.exec(
                select(WebhookInboundRow).where(WebhookInboundRow.message_id == "dup-1")
            ).all()
            assert [(r.status, r.session_id) for r in rows] == [("applied", fresh[0]["session_id"])]

    await run(tmp_path, clock, check)


async def test_users_map_to_one_open_session_and_a_new_one_after_the_end(
    tmp_path: Path, clock: FrozenClock
) -> None:
    async def check(app: FastAPI, provider: Provider, _: Receiver) -> None:
        burst = await asyncio.gather(*(provider.post(text(f"b-{i}", "alice")) for i in range(12)))
        sessions = {r.json()["session_id"] for r in burst}
        assert len(sessions) == 1  # a burst from a new user still opens one session
        alice = sessions.pop()
        echoed = {f.get("id") for f in await frames(app, alice) if f.get("from") == "visitor"}
        assert echoed == {f"b-{i}" for i in range(12)}
        bob = (await provider.post(text("b-x", "bob"))).json()["session_id"]
        assert bob != alice
        choice = {"message_id": "c-1", "user_id": "alice", "type": "choice", "value": "价格"}
        assert (await provider.post(choice)).json()["session_id"] == alice
        end = {"message_id": "e-1", "user_id": "alice", "type": "end"}
        assert (await provider.post(end)).json()["session_id"] == alice
        assert (await frames(app, alice))[-1]["type"] == "ended"
        again = (await provider.post(text("after-end", "alice"))).json()["session_id"]
        assert again not in (alice, bob)
        session = await app.state.services.runtime.get(again)
        assert (session.sys.channel_id, session.sys.visitor_id) == ("im", "im:alice")
        lonely_end = {"message_id": "e-2", "user_id": "carol", "type": "end"}
        answer = (await provider.post(lonely_end)).json()
        assert (answer["session_id"], answer["applied"]) == (None, False)

    await run(tmp_path, clock, check)


async def test_a_user_whose_session_retention_let_go_of_starts_a_new_one(
    tmp_path: Path, clock: FrozenClock
) -> None:
    async def check(app: FastAPI, provider: Provider, _: Receiver) -> None:
        first = (await provider.post(text("m-1", "alice"))).json()["session_id"]
        end = {"message_id": "e-1", "user_id": "alice", "type": "end"}
        assert (await provider.post(end)).json()["session_id"] == first
        clock.advance(8 * 86_400)  # past retention.ended_sessions_days (7)
        swept = await app.state.housekeeping.sweep()
        assert swept.sessions == 1
        answer = (await provider.post(text("m-2", "alice"))).json()
        assert answer["applied"] and answer["session_id"] != first
        session = await app.state.services.runtime.get(answer["session_id"])
        assert session.sys.visitor_id == "im:alice"

    await run(tmp_path, clock, check)


async def test_a_webhook_conversation_records_no_browser_and_names_its_channel(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """The provider's request is not the visitor's: no address, browser or page is recorded;
    the record's visit names the channel the conversation came through."""

    async def check(app: FastAPI, provider: Provider, _: Receiver) -> None:
        sid = (await provider.post(text("m-1"))).json()["session_id"]
        login = await provider.client.post(
            "/api/v1/auth/login", json={"account": "demo_alice", "password": "Demo-pass1"}
        )
        admin = {"Authorization": f"Bearer {login.json()['token']}"}
        deadline = time.monotonic() + 10
        while (
            got := await provider.client.get(f"/api/v1/records/{sid}", headers=admin)
        ).status_code == 404:
            assert time.monotonic() < deadline, "the record was never written"
            await asyncio.sleep(0.05)
        visit = got.json()["visit"]
        assert visit.pop("channel") == "im" and visit.pop("started_at") is not None
        assert visit.pop("channel_type") == "webhook"
        assert set(visit.values()) == {None}

    await run(tmp_path, clock, check)


# -- outbound --------------------------------------------------------------------------------


def utc(at: datetime | None) -> datetime | None:
    """A stored time as UTC (SQLite gives it back without its zone)."""
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


async def test_every_frame_is_delivered_signed_in_order(tmp_path: Path, clock: FrozenClock) -> None:
    async def check(app: FastAPI, provider: Provider, receiver: Receiver) -> None:
        sid = (await provider.post(text("m-1", body="hello"))).json()["session_id"]
        count = len(await frames(app, sid))
        rows = await settled(app, count)
        assert [(r.seq, r.status, r.attempts, r.last_status) for r in rows] == [
            (n, "delivered", 1, 200) for n in range(1, count + 1)
        ]
        # dated by the app's clock (frozen here, far from the machine's)
        assert {(utc(r.created_at), utc(r.delivered_at)) for r in rows} == {
            (clock.now(), clock.now())
        }
        assert receiver.seqs() == [(sid, n) for n in range(1, count + 1)]
        echo = next(r.json for r in receiver.got if r.json["frame"].get("id") == "m-1")
        assert echo["frame"]["from"] == "visitor" and echo["user_id"] == "u-1"
        for got in receiver.got:
            now = clock.now().timestamp()
            assert verify(SECRET.encode(), got.body, got.headers["x-chatflow-signature"], now)
            assert got.headers["x-chatflow-delivery"] == f"{sid}:{got.json['seq']}"

    await run(tmp_path, clock, check)


async def test_500s_are_retried_until_a_2xx(tmp_path: Path, clock: FrozenClock) -> None:
    async def check(app: FastAPI, provider: Provider, receiver: Receiver) -> None:
        sid = (await provider.post(text("m-1"))).json()["session_id"]
        count = len(await frames(app, sid))
        rows = await settled(app, count)
        assert (rows[0].status, rows[0].attempts, rows[0].last_status) == ("delivered", 3, 200)
        assert all(r.status == "delivered" for r in rows)
        assert receiver.seqs()[:4] == [(sid, 1), (sid, 1), (sid, 1), (sid, 2)]

    await run(tmp_path, clock, check, Receiver(plan=[500, 500]))


async def test_a_receiver_that_always_fails_gets_failed_records(
    tmp_path: Path, clock: FrozenClock
) -> None:
    async def check(app: FastAPI, provider: Provider, receiver: Receiver) -> None:
        sid = (await provider.post(text("m-1"))).json()["session_id"]
        count = len(await frames(app, sid))
        rows = await settled(app, count)
        assert [(r.status, r.attempts, r.last_status, r.delivered_at) for r in rows] == [
            ("failed", 3, 500, None)
        ] * count
        seqs = receiver.seqs()
        assert seqs == sorted(seqs) and len(seqs) == 3 * count  # in order, 3 tries each

    await run(tmp_path, clock, check, Receiver(default=500), max_attempts=3)


async def test_loopback_is_refused_without_allow_hosts(tmp_path: Path, clock: FrozenClock) -> None:
    async def check(app: FastAPI, provider: Provider, receiver: Receiver) -> None:
        sid = (await provider.post(text("m-1"))).json()["session_id"]
        rows = await settled(app, len(await frames(app, sid)))
        assert {(r.status, r.attempts) for r in rows} == {("failed", 1)}
        assert "loopback" in (rows[0].last_error or "") and receiver.got == []

    await run(tmp_path, clock, check, allow_loopback=False)


async def test_a_restart_picks_up_pending_deliveries(tmp_path: Path, clock: FrozenClock) -> None:
    receiver = Receiver(default=503)
    state: dict[str, Any] = {}

    async def before(app: FastAPI, provider: Provider, receiver: Receiver) -> None:
        state["sid"] = (await provider.post(text("m-1"))).json()["session_id"]
        while not receiver.got:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)  # the first attempt is recorded; its retry is an hour away

    await run(tmp_path, clock, before, receiver, backoff=lambda n: 3600.0, max_attempts=8)
    with Db(make_app(tmp_path, tmp_path / "chatflow.yaml", clock).state.records) as db:
        pending = db.exec(select(DeliveryRow)).all()
    assert pending and {r.status for r in pending} == {"pending"}
    assert len(receiver.got) == 1

    receiver.default = 200
    clock.advance(3601)

    async def after(app: FastAPI, provider: Provider, receiver: Receiver) -> None:
        count = len(await frames(app, state["sid"]))
        rows = await settled(app, count)
        assert {r.status for r in rows} == {"delivered"} and rows[0].attempts == 2

    await run(tmp_path, clock, after, receiver)
    assert receiver.seqs()[1:] == [(state["sid"], n) for n in range(1, len(receiver.got))]


async def test_the_platform_name_names_a_new_visitor_once(
    tmp_path: Path, clock: FrozenClock
) -> None:
    async def check(app: FastAPI, provider: Provider, _: Receiver) -> None:
        first = {**text("n-1", user="u-7"), "user_name": " 王小明 "}
        assert (await provider.post(first)).status_code == 200
        renamed = {**text("n-2", user="u-7"), "user_name": "Someone else"}
        assert (await provider.post(renamed)).status_code == 200  # the same conversation
        assert (
            await provider.post({**text("n-3", user="u-8"), "user_name": "  "})
        ).status_code == 200
        with Db(app.state.records) as db:
            names = {row.visitor_id: row.name for row in db.exec(select(VisitorRow)).all()}
        assert names == {"im:u-7": "王小明"}, "a blank name names nobody"
        long = {**text("n-4", user="u-9"), "user_name": "x" * 65}
        assert (await provider.post(long)).status_code == 422

    await run(tmp_path, clock, check)
