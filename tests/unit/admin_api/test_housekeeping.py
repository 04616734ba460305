"""Retention through real conversations: ``Services`` with the embedded SQLite session store,
the records database on SQLite and on PostgreSQL, a frozen clock, image bytes in a folder; one
``Housekeeping.sweep`` at a time, as ``chatflow serve`` runs them every hour."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session as Db
from sqlmodel import select

from chatflow.admin_api.app import create_app
from chatflow.admin_api.housekeeping import Housekeeping
from chatflow.admin_api.services import Services
from chatflow.admin_api.settings import ServeSettings
from chatflow.channels.image_blobs import FolderBlobs
from chatflow.channels.images import new_image_id
from chatflow.channels.web import SiteInfo, start_on_site
from chatflow.engine.clock import FrozenClock
from chatflow.engine.config import DeploymentConfig, Retention
from chatflow.engine.errors import NotFoundError
from chatflow.engine.events import VisitorEnded, VisitorText
from chatflow.engine.session import Session as StoredSession
from chatflow.engine.stores.channeltables import ImageRow, WebhookInboundRow
from chatflow.engine.stores.recordsdb import (
    AccountRow,
    ConversationRow,
    MerchantRow,
    MessageRow,
    TokenRow,
    create_tables,
    records_engine,
)
from chatflow.engine.stores.sqlite import SqliteStore

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
DAY = 86_400
SITE = SiteInfo(merchant="acme", key="acme-web", name="Acme", flow_id="echo", enabled=True)
FLOW = """\
id: echo
start: ask
nodes:
  ask: {type: form, prompt: 您的问题？, var: q, next: ask}
"""
PATIENT = SiteInfo(merchant="acme", key="acme-app", name="App", flow_id="patient", enabled=True)
PATIENT_FLOW = """\
id: patient
start: ask
nodes:
  ask: {type: form, prompt: 订单号？, var: order, timeout: 864000, next: ask}
"""


class Desk:
    def __init__(self, services: Services, clock: FrozenClock, blobs: FolderBlobs) -> None:
        self.services = services
        self.runtime = services.runtime
        self.records = services.records
        self.clock = clock
        self.blobs = blobs
        self.versions: dict[str, str] = {}

    def keeper(self, **retention: int | None) -> Housekeeping:
        return Housekeeping(
            Retention.model_validate(retention), self.runtime, self.records, self.blobs, self.clock
        )

    async def conversation(self, session_id: str, *, ended: bool, flow: SiteInfo = SITE) -> str:
        """A visitor who says one line (and leaves, when ``ended``); returns an image's id."""
        await start_on_site(
            self.services,
            self.runtime,
            flow,
            self.versions[flow.flow_id],
            session_id=session_id,
            visitor_id=f"v-{session_id}",
            channel_id="web",
        )
        await self.runtime.apply(session_id, VisitorText(key=f"{session_id}-1", text="你好"))
        if ended:
            await self.runtime.apply(session_id, VisitorEnded(key=f"{session_id}-end"))
        await self.runtime.drain()
        await self.services.writer.flush()
        image_id = new_image_id()
        with Db(self.records) as db:
            db.add(
                ImageRow(
                    id=image_id, session_id=session_id, merchant_id="acme", sender="visitor",
                    content_type="image/png", size=3, sha256="x",
                )
            )  # fmt: skip
            db.commit()
        self.blobs.put(image_id, b"png")
        return image_id

    def record_ids(self) -> set[str]:
        with Db(self.records) as db:
            return set(db.exec(select(ConversationRow.session_id)).all())

    def transcript_ids(self) -> set[str]:
        with Db(self.records) as db:
            return set(db.exec(select(MessageRow.session_id)).all())

    async def in_store(self, session_id: str) -> bool:
        try:
            await self.runtime.get(session_id)
        except NotFoundError:
            return False
        return True


@pytest.fixture
async def desk(tmp_path: Path, records_url: str) -> AsyncIterator[Desk]:
    records = records_engine(records_url)
    create_tables(records)
    clock = FrozenClock(T0)
    store = SqliteStore(tmp_path / "sessions.db")
    services = Services(DeploymentConfig(), records, store, clock)
    services.writer.start()
    made = Desk(services, clock, FolderBlobs(tmp_path / "images"))
    for text in (FLOW, PATIENT_FLOW):
        flow_id, made.versions[flow_id] = await services.runtime.publish(text)
    try:
        yield made
    finally:
        await services.aclose()
        records.dispose()


async def test_ended_sessions_leave_the_store_after_their_days_and_records_stay(
    desk: Desk,
) -> None:
    await desk.conversation("old", ended=True)
    await desk.conversation("live", ended=False)
    desk.clock.advance(6 * DAY)
    await desk.conversation("recent", ended=True)
    desk.clock.advance(DAY + 60)  # "old" ended 7 days and a minute ago, "recent" a day ago
    keeper = desk.keeper(ended_sessions_days=7, inactive_sessions_days=None)

    swept = await keeper.sweep()
    assert (swept.sessions, swept.records, swept.images) == (1, 0, 0)
    assert not await desk.in_store("old")
    assert await desk.in_store("live") and await desk.in_store("recent")
    assert await desk.runtime.outputs("old") == []
    # the record and transcript are kept: records_days is not set
    assert desk.record_ids() == {"old", "live", "recent"}
    assert "old" in desk.transcript_ids()
    # a second sweep finds nothing more
    assert not any(asdict(await keeper.sweep()).values())


async def test_records_older_than_their_days_go_with_transcripts_images_and_sessions(
    desk: Desk,
) -> None:
    old_image = await desk.conversation("old", ended=True)
    live_image = await desk.conversation("live", ended=False)
    desk.clock.advance(29 * DAY)
    recent_image = await desk.conversation("recent", ended=True)
    desk.clock.advance(DAY + 60)
    keeper = desk.keeper(ended_sessions_days=60, records_days=30, inactive_sessions_days=None)

    swept = await keeper.sweep()
    assert (swept.records, swept.images, swept.sessions) == (1, 1, 1)
    assert desk.record_ids() == {"live", "recent"} == desk.transcript_ids()
    assert desk.blobs.get(old_image) is None
    assert desk.blobs.get(live_image) == desk.blobs.get(recent_image) == b"png"
    with Db(desk.records) as db:
        assert set(db.exec(select(ImageRow.session_id)).all()) == {"live", "recent"}
    # the session went with its record, though ended_sessions_days would have kept it
    assert not await desk.in_store("old") and await desk.in_store("recent")


async def test_abandoned_conversations_are_closed_then_let_go_of_in_turn(desk: Desk) -> None:
    await desk.conversation("abandoned", ended=False)
    await desk.conversation("patient", ended=False, flow=PATIENT)  # its form waits 10 days
    desk.clock.advance(2 * DAY)
    await desk.conversation("recent", ended=False)
    desk.clock.advance(DAY + 60)
    keeper = desk.keeper(inactive_sessions_days=3, ended_sessions_days=7)

    swept = await keeper.sweep()
    assert (swept.closed, swept.sessions) == (1, 0)
    await desk.services.writer.flush()
    abandoned = await desk.runtime.get("abandoned")
    assert (abandoned.status, abandoned.end_reason) == ("ended", "idle")
    with Db(desk.records) as db:
        row = db.get(ConversationRow, "abandoned")
        assert row is not None and (row.status, row.end_reason) == ("ended", "idle")
    for live in ("patient", "recent"):
        assert (await desk.runtime.get(live)).status == "active"
    desk.clock.advance(7 * DAY + 60)  # the closed one has been ended for 7 days now
    swept = await keeper.sweep()
    assert not await desk.in_store("abandoned")
    # "recent" went quiet 8 days ago, and "patient"'s 10 days are over: both closed now
    assert swept.closed == 2
    for live in ("patient", "recent"):
        assert (await desk.runtime.get(live)).status == "ended"


async def test_a_live_conversation_is_never_deleted_however_old(desk: Desk) -> None:
    await desk.conversation("live", ended=False)
    desk.clock.advance(400 * DAY)
    keeper = desk.keeper(inactive_sessions_days=None, ended_sessions_days=1, records_days=1)
    swept = await keeper.sweep()
    assert (swept.closed, swept.sessions, swept.records) == (0, 0, 0)
    assert await desk.in_store("live") and desk.record_ids() == {"live"}


async def test_old_webhook_message_ids_and_expired_tokens_go(desk: Desk) -> None:
    now = T0.timestamp()
    wall = datetime.now(UTC)
    with Db(desk.records) as db:
        for message_id, days in (("old", 8), ("new", 6)):
            db.add(
                WebhookInboundRow(
                    channel_key="im", message_id=message_id, user_id="u",
                    received_at=now - days * DAY,
                )
            )  # fmt: skip
        db.add(MerchantRow(id="acme", name="Acme"))
        db.flush()
        account = AccountRow(
            merchant_id="acme", account="alice01", password_hash="x", nickname="A", staff_no="1"
        )
        db.add(account)
        db.flush()
        assert account.id is not None
        for token, expires in (
            ("expired", wall - timedelta(hours=1)),
            ("valid", wall + timedelta(hours=1)),
        ):
            db.add(TokenRow(token_hash=token, account_id=account.id, epoch=0, expires_at=expires))
        db.commit()

    swept = await desk.keeper(ended_sessions_days=7).sweep()
    assert (swept.webhook_ids, swept.tokens) == (1, 1)
    with Db(desk.records) as db:
        assert list(db.exec(select(WebhookInboundRow.message_id)).all()) == ["new"]
        assert list(db.exec(select(TokenRow.token_hash)).all()) == ["valid"]


def test_the_served_app_sweeps_with_the_deployment_s_retention(
    tmp_path: Path, cheap_argon2: None
) -> None:
    config = tmp_path / "chatflow.yaml"
    config.write_text("retention: {ended_sessions_days: 3}\n")
    (tmp_path / "flows").mkdir()
    with TestClient(create_app(ServeSettings(config=config, data=tmp_path / "data"))) as client:
        app: Any = client.app
        portal: Any = client.portal
        keeper = app.state.housekeeping
        assert keeper.retention == Retention(ended_sessions_days=3)
        store = app.state.services.runtime.store
        for session_id, days in (("old", 4), ("recent", 2)):
            ended = StoredSession(id=session_id, flow_id="f", flow_version="v", node="n")
            ended.status = "ended"
            ended.updated_at = datetime.now(UTC) - timedelta(days=days)
            portal.call(store.create, ended)
        assert portal.call(keeper.sweep).sessions == 1
        assert portal.call(store.load, "old") is None
        assert portal.call(store.load, "recent") is not None
