"""Service records know the channel a conversation came through: a real webhook conversation (a
signed provider message) and a real web one on one server on loopback, told apart in the list,
one record, the ``channel`` filter and the exports (the channel's name from chatflow.yaml)."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from webhook_kit import Provider, Receiver, deployment, make_app, serve

from chatflow.engine.clock import FrozenClock

pytestmark = pytest.mark.anyio

NAME = "微信客服"


async def record_of(client: httpx.AsyncClient, auth: dict[str, str], sid: str) -> dict[str, Any]:
    """The record once the record writer has written it."""
    deadline = time.monotonic() + 10
    while (got := await client.get(f"/api/v1/records/{sid}", headers=auth)).status_code == 404:
        assert time.monotonic() < deadline, "the record was never written"
        await asyncio.sleep(0.05)
    assert got.status_code == 200, got.text
    return dict(got.json())


def records_sheet(content: bytes) -> dict[str, dict[str, Any]]:
    """The export's records by session id, each as its heading -> cell."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    header = [str(heading) for heading in rows[0]]
    padded = [row + [None] * (len(header) - len(row)) for row in rows[1:]]
    return {str(row[0]): dict(zip(header, row, strict=True)) for row in padded}


async def test_records_tell_web_and_webhook_conversations_apart(
    tmp_path: Path, clock: FrozenClock
) -> None:
    async with serve(Receiver(), lifespan="off") as hook:
        config = deployment(tmp_path, f"{hook}/hook")
        text = config.read_text(encoding="utf-8").replace("{key: im,", f"{{key: im, name: {NAME},")
        config.write_text(text, encoding="utf-8")
        app = make_app(tmp_path, config, clock)
        async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
            provider = Provider(client, clock)
            message = {"message_id": "m-1", "user_id": "u-1", "type": "text", "text": "你好"}
            posted = await provider.post(message)
            assert posted.status_code == 200, posted.text
            im = posted.json()["session_id"]
            opened = await client.post("/api/v1/sites/demo-web/sessions", json={})
            assert opened.status_code == 201, opened.text
            web = opened.json()["session_id"]
            login = await client.post(
                "/api/v1/auth/login", json={"account": "demo_alice", "password": "Demo-pass1"}
            )
            auth = {"Authorization": f"Bearer {login.json()['token']}"}

            def channel(record: dict[str, Any]) -> tuple[Any, Any, Any]:
                return record["channel_type"], record["channel_key"], record["channel_name"]

            assert channel(await record_of(client, auth, im)) == ("webhook", "im", NAME)
            assert channel(await record_of(client, auth, web)) == ("web", None, None)

            async def listed(*channels: str) -> dict[str, tuple[Any, Any, Any]]:
                query = httpx.QueryParams([("channel", value) for value in channels])
                got = await client.get("/api/v1/records", params=query, headers=auth)
                assert got.status_code == 200, got.text
                return {item["session_id"]: channel(item) for item in got.json()["items"]}

            assert await listed() == {
                im: ("webhook", "im", NAME),
                web: ("web", None, None),
            }
            assert set(await listed("web")) == {web}
            assert set(await listed("webhook:im")) == {im}
            assert set(await listed("webhook")) == {im}
            assert set(await listed("web", "webhook:im")) == {web, im}
            assert await listed("webhook:another") == {}

            refused = await client.get(
                "/api/v1/records",
                params={"channel": "im"},
                headers={**auth, "Accept-Language": "zh-CN"},
            )
            assert refused.status_code == 422
            assert "webhook:<渠道 key>" in refused.json()["detail"]

            async def exported(**params: str) -> dict[str, dict[str, Any]]:
                got = await client.get(
                    "/api/v1/records/export", params={"format": "xlsx", **params}, headers=auth
                )
                assert got.status_code == 200, got.text
                return records_sheet(got.content)

            plain = await exported()
            assert (plain[im]["channel"], plain[web]["channel"]) == ("webhook:im", "web")
            chinese = await exported(lang="zh-CN")
            assert (chinese[im]["渠道"], chinese[web]["渠道"]) == (NAME, "网页")
            english = await exported(lang="en", channel="web")
            assert set(english) == {web} and english[web]["Channel"] == "Web"
