"""Every refusal of the webhook channel's inbound route, over real HTTP on loopback: the status,
the problem's type, and words a bridge's developer can act on, in English and zh-CN. An invalid
message names each field at its path (``body.text``) and says what is wrong in plain words, as
every invalid request of the API does: no pydantic prefix ("Value error, "), no empty path, no
regex."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from webhook_kit import Provider, Receiver, deployment, make_app, serve

from chatflow.channels.webhook import MAX_BODY
from chatflow.engine.clock import FrozenClock

pytestmark = pytest.mark.anyio

ZH = "zh-CN"
PROBLEM = "application/problem+json"

Check = Callable[[FastAPI, Provider], Awaitable[None]]

OFF = (
    "      - {key: im-off, site: demo-im, secret_env: IM_SECRET, "
    'webhook_url: "http://x.example/h", enabled: false}\n'
)
"""A second channel of the kit's deployment, disabled."""


async def run(tmp_path: Path, clock: FrozenClock, check: Check) -> None:
    async with serve(Receiver(), lifespan="off") as hook:
        config = deployment(tmp_path, f"{hook}/hook")
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("    channels:\n", "    channels:\n" + OFF, 1))
        app = make_app(tmp_path, config, clock)
        async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
            await check(app, Provider(client, clock))


def message(**fields: Any) -> bytes:
    base = {"message_id": "m-1", "user_id": "u-1", "type": "text", "text": "你好"}
    return json.dumps({"timestamp": 1795399200, **base, **fields}).encode()


def problem(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body: dict[str, Any] = answer.json()
    assert body["type"] == f"urn:chatflow:{code}" and body["status"] == status
    return body


async def errors(provider: Provider, body: bytes, lang: str | None = None) -> dict[str, str]:
    """The 422's ``errors`` as ``{path: message}``."""
    answer = await provider.post_bytes(body, lang=lang)
    found = problem(answer, 422, "invalid_input")["errors"]
    placed = {e["path"]: e["message"] for e in found}
    assert len(placed) == len(found)
    for path, words in placed.items():
        assert path == "body" or path.startswith("body."), path
        assert not words.startswith(("Value error", "Assertion failed")), words
        assert "\\x" not in words and "pattern" not in words, words
    return placed


async def test_the_channel_is_checked_before_anything_else(
    tmp_path: Path, clock: FrozenClock
) -> None:
    async def check(app: FastAPI, provider: Provider) -> None:
        unknown = await provider.post_bytes(message(), key="nope")
        assert problem(unknown, 404, "channel_not_found")["detail"] == "no channel 'nope'"
        zh = await provider.post_bytes(message(), key="nope", lang=ZH)
        assert problem(zh, 404, "channel_not_found")["detail"] == "渠道 'nope' 不存在"
        off = await provider.post_bytes(b"x" * (MAX_BODY + 1), key="im-off")  # nor its size
        assert problem(off, 403, "channel_disabled")["detail"] == "this channel takes no messages"

    await run(tmp_path, clock, check)


async def test_a_body_too_large_is_413_and_a_bad_signature_401(
    tmp_path: Path, clock: FrozenClock
) -> None:
    async def check(app: FastAPI, provider: Provider) -> None:
        big = await provider.post_bytes(message(text="长" * MAX_BODY))
        assert problem(big, 413, "too_large")["detail"] == "a message may be at most 65536 bytes"
        body = message()
        answer = await provider.client.post(
            "/api/v1/channels/im/inbound",
            content=body,
            headers={"Content-Type": "application/json", "X-Chatflow-Signature": "t=1,v1=00"},
        )
        found = problem(answer, 401, "bad_signature")
        assert found["reason"] == "stale"
        assert "more than 300 s from the server's clock" in found["detail"]

    await run(tmp_path, clock, check)


async def test_a_body_that_is_not_json_is_refused_with_what_to_send(
    tmp_path: Path, clock: FrozenClock
) -> None:
    async def check(app: FastAPI, provider: Provider) -> None:
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
            answer = await provider.post_bytes(message(), content_type=content_type)
            assert problem(answer, 415, "unsupported_media_type")["detail"] == (
                "send the message as JSON (Content-Type: application/json)"
            )
        zh = await provider.post_bytes(message(), content_type="text/plain", lang=ZH)
        assert problem(zh, 415, "unsupported_media_type")["detail"] == (
            "请以 JSON 发送消息（Content-Type: application/json）"
        )
        charset = await provider.post_bytes(
            message(), content_type="Application/JSON; charset=utf-8"
        )
        assert charset.status_code == 200, charset.text
        broken = await errors(provider, b'{"message_id": "m-2",')
        assert list(broken) == ["body"] and broken["body"].startswith("Invalid JSON: ")
        assert await errors(provider, b"{nope", ZH) == {"body": "不是有效的 JSON"}
        assert await errors(provider, b"[1]") == {"body": "Input should be an object"}

    await run(tmp_path, clock, check)


async def test_an_invalid_message_names_each_field_and_what_is_wrong(
    tmp_path: Path, clock: FrozenClock
) -> None:
    async def check(app: FastAPI, provider: Provider) -> None:
        assert await errors(provider, message(text=None)) == {
            "body.text": "required for a 'text' message"
        }
        assert await errors(provider, message(text="   "), ZH) == {
            "body.text": "'text' 消息必须有此项"
        }
        assert await errors(provider, message(type="choice")) == {
            "body.value": "required for a 'choice' message"
        }
        assert await errors(provider, message(type="rate", score="five")) == {
            "body.score": "Input should be a valid integer, unable to parse string as an integer"
        }
        assert await errors(provider, message(type="rate", score=11)) == {
            "body.score": "Input should be less than or equal to 10"
        }
        assert await errors(provider, message(type="shout")) == {
            "body.type": "Input should be 'text', 'choice', 'rate' or 'end'"
        }
        assert await errors(provider, message(user_id="u 1", message_id="", texts="x")) == {
            "body.message_id": "Field required",
            "body.user_id": "use only visible ASCII characters, without spaces",
            "body.texts": "Extra inputs are not permitted",
        }
        assert await errors(provider, message(user_id="u 1", texts="x"), ZH) == {
            "body.user_id": "只能包含可见的 ASCII 字符，不能有空格",
            "body.texts": "不支持这个字段",
        }
        without = json.loads(message())
        del without["timestamp"]
        assert await errors(provider, json.dumps(without).encode()) == {
            "body.timestamp": "Field required"
        }
        ok = await provider.post_bytes(message())
        assert ok.status_code == 200 and ok.json()["duplicate"] is False  # nothing was taken

    await run(tmp_path, clock, check)


async def test_a_duplicate_is_200_and_applies_nothing(tmp_path: Path, clock: FrozenClock) -> None:
    async def check(app: FastAPI, provider: Provider) -> None:
        first = await provider.post_bytes(message())
        again = await provider.post_bytes(message(text="something else"))
        assert first.status_code == again.status_code == 200
        assert again.json() == {"accepted": True, "duplicate": True}

    await run(tmp_path, clock, check)


async def test_a_blacklisted_user_and_a_disabled_site_start_no_conversation(
    tmp_path: Path, clock: FrozenClock
) -> None:
    async def check(app: FastAPI, provider: Provider) -> None:
        login = await provider.client.post(
            "/api/v1/auth/login", json={"account": "demo_alice", "password": "Demo-pass1"}
        )
        admin = {"Authorization": f"Bearer {login.json()['token']}"}
        assert (await provider.post_bytes(message())).status_code == 200
        ended = await provider.post_bytes(message(message_id="m-2", type="end", text=None))
        assert ended.json()["applied"] is True
        listed = await provider.client.put(
            "/api/v1/blacklist/im:u-1", json={"reason": "spam"}, headers=admin
        )
        assert listed.status_code == 200, listed.text
        refused = await provider.post_bytes(message(message_id="m-3"))
        assert problem(refused, 403, "blacklisted")["detail"] == "this user may not be served"

        talking = await provider.post_bytes(message(message_id="m-4", user_id="u-2"))
        assert talking.status_code == 200
        off = await provider.client.post("/api/v1/admin/sites/demo-im/disable", headers=admin)
        assert off.status_code == 200, off.text
        new = await provider.post_bytes(message(message_id="m-5", user_id="u-3"), lang=ZH)
        assert (
            problem(new, 403, "site_disabled")["detail"]
            == "该渠道的站点 'demo-im' 已停用，不再接受新会话"
        )
        english = await provider.post_bytes(message(message_id="m-6", user_id="u-3"))
        assert problem(english, 403, "site_disabled")["detail"] == (
            "the channel's site 'demo-im' is disabled: it takes no new conversations"
        )
        going_on = await provider.post_bytes(message(message_id="m-7", user_id="u-2"))
        assert going_on.status_code == 200, going_on.text  # an open conversation goes on
        assert going_on.json()["session_id"] == talking.json()["session_id"]

    await run(tmp_path, clock, check)
