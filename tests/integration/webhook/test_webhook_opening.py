"""The message that opens an IM conversation is its trigger, not an answer: through the real
inbound route with signed requests, the first message of a new user (and the first after a
conversation ended) is the visitor's first line, before the welcome, and in ``sys.last_input``;
the first menu is shown without an error; the next message answers it. An interrupt phrase in
the opening still jumps; a keyword bot at the start answers from the second message on."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from im_channel_kit import ROOT
from webhook_kit import Provider, Receiver, deployment, make_app, serve

from chatflow.engine.clock import FrozenClock
from chatflow.engine.events import VisitorText

pytestmark = pytest.mark.anyio

MENU = """\
id: talk
start: welcome
interrupts:
  - {keywords: [人工], goto: human}
nodes:
  welcome: {type: message, text: "您好（您说：{{ sys.last_input }}）", next: menu}
  menu:
    type: menu
    prompt: 请选择：
    invalid_message: 您的输入有误，请回复选项前的数字。
    options:
      - {label: 价格, next: price}
      - {label: 结束, next: bye}
  price: {type: message, text: 99 元, next: menu}
  human: {type: message, text: 正在为您转接, next: bye}
  bye: {type: end, message: 再见}
"""

MENU_TEXT = "请选择：\n1. 价格\n2. 结束"

Check = Callable[[FastAPI, Provider], Awaitable[None]]


async def run(tmp_path: Path, clock: FrozenClock, check: Check, flow: str | None = None) -> None:
    """The kit's deployment, its channel site running ``flow`` (default: the kit's bot)."""
    if flow is not None:
        shutil.copytree(ROOT / "flows", tmp_path / "flows")
        (tmp_path / "flows" / "talk.flow.yaml").write_text(flow, encoding="utf-8")
    async with serve(Receiver(), lifespan="off") as hook:
        app = make_app(tmp_path, deployment(tmp_path, f"{hook}/hook"), clock)
        async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
            await check(app, Provider(client, clock))


async def send(provider: Provider, message_id: str, body: str, user: str = "u-1") -> str:
    message = {"message_id": message_id, "user_id": user, "type": "text", "text": body}
    answer = await provider.post(message)
    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"] is True
    return str(answer.json()["session_id"])


async def lines(app: FastAPI, session_id: str, after: int = 0) -> list[tuple[str, str]]:
    """``(from, text)`` of the session's message frames after seq ``after``; ``ended`` last."""
    out = []
    for frame in await app.state.services.runtime.outputs(session_id):
        if frame.seq <= after:
            continue
        if frame.type == "message":
            out.append((frame.body["from"], frame.body["text"]))
        elif frame.type == "ended":
            out.append(("ended", frame.body["reason"]))
    return out


async def last_seq(app: FastAPI, session_id: str) -> int:
    return int(max(f.seq for f in await app.state.services.runtime.outputs(session_id)))


async def test_the_opening_message_starts_the_flow_and_the_next_answers_the_menu(
    tmp_path: Path, clock: FrozenClock
) -> None:
    async def check(app: FastAPI, provider: Provider) -> None:
        sid = await send(provider, "m-1", "你好")
        opened = [("visitor", "你好"), ("bot", "您好（您说：你好）"), ("bot", MENU_TEXT)]
        assert await lines(app, sid) == opened
        first = (await app.state.services.runtime.outputs(sid))[0]
        assert first.body.get("id") == "m-1"  # the provider's id acknowledges the opening
        mark = await last_seq(app, sid)
        assert await send(provider, "m-2", "1") == sid
        assert await lines(app, sid, mark) == [
            ("visitor", "1"),
            ("bot", "99 元"),
            ("bot", MENU_TEXT),
        ]
        mark = await last_seq(app, sid)
        assert await send(provider, "m-3", "结束") == sid
        assert await lines(app, sid, mark) == [
            ("visitor", "结束"),
            ("bot", "再见"),
            ("ended", "flow"),
        ]
        again = await send(provider, "m-4", "还在吗")
        assert again != sid
        assert await lines(app, again) == [
            ("visitor", "还在吗"),
            ("bot", "您好（您说：还在吗）"),
            ("bot", MENU_TEXT),
        ]

    await run(tmp_path, clock, check, MENU)


async def test_an_opening_that_is_a_valid_option_still_answers_nothing(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """The visitor never saw the menu, so ``1`` cannot be their choice; and a redelivery of the
    opening (a retried request whose first try started the session) is not applied again."""

    async def check(app: FastAPI, provider: Provider) -> None:
        sid = await send(provider, "m-1", "1")
        assert await lines(app, sid) == [
            ("visitor", "1"),
            ("bot", "您好（您说：1）"),
            ("bot", MENU_TEXT),
        ]
        again = VisitorText(key="webhook:im:m-1", text="1", client_id="m-1")
        assert await app.state.services.runtime.apply(sid, again) is False
        assert len(await lines(app, sid)) == 3

    await run(tmp_path, clock, check, MENU)


async def test_an_interrupt_phrase_in_the_opening_jumps_after_the_welcome(
    tmp_path: Path, clock: FrozenClock
) -> None:
    async def check(app: FastAPI, provider: Provider) -> None:
        sid = await send(provider, "m-1", "人工")
        assert await lines(app, sid) == [
            ("visitor", "人工"),
            ("bot", "您好（您说：人工）"),
            ("bot", MENU_TEXT),
            ("bot", "正在为您转接"),
            ("bot", "再见"),
            ("ended", "flow"),
        ]

    await run(tmp_path, clock, check, MENU)


async def test_a_keyword_bot_at_the_start_answers_from_the_second_message(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """The decision for bot-first flows (docs/decisions.md): the opening is not the bot's
    question either; the bot greets with its prompt and answers what comes next."""

    async def check(app: FastAPI, provider: Provider) -> None:
        sid = await send(provider, "m-1", "价格")
        assert await lines(app, sid) == [("visitor", "价格"), ("bot", "您好，这里是演示 IM。")]
        assert await send(provider, "m-2", "价格") == sid
        assert (await lines(app, sid))[2:] == [("visitor", "价格"), ("bot", "99 元")]

    await run(tmp_path, clock, check)
