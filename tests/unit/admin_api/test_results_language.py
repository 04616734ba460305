"""Answers that are not problems speak the request's language too: a batch's ``failed[].detail``
and a quick-reply import's ``errors[].message`` (``Accept-Language``; English by default), while
their ``code`` and ``column`` stay the same in every language."""

from __future__ import annotations

from typing import Any

import pytest
from records_kit import Kit, kit_fixture  # noqa: F401  (the fixture "kit")

from chatflow.admin_api.agent_access import refused
from chatflow.admin_api.live import LiveError
from chatflow.engine.routing import AgentUnavailable

ZH = {"Accept-Language": "zh-CN"}


def batch(kit: Kit, action: str, body: dict[str, Any], language: dict[str, str]) -> Any:
    answer = kit.client.post(
        f"/api/v1/records/batch/{action}", json=body, headers={**kit.as_("admin01"), **language}
    )
    assert answer.status_code == 200, answer.text
    return {f["session_id"]: (f["code"], f["detail"]) for f in answer.json()["failed"]}


@pytest.fixture
def conversations(kit: Kit) -> Kit:
    kit.conversation("done", status="ended")
    kit.conversation("live", status="with_agent")
    kit.conversation("refused", status="with_agent")
    busy = refused(AgentUnavailable("bob0001", "full"))  # what LiveServices passes on
    kit.live.refuse["refused"] = LiveError(busy.code, busy.detail)
    return kit


def test_batch_failures_are_worded_in_chinese(conversations: Kit) -> None:
    ids = ["done", "refused", "missing", "live"]
    assert batch(conversations, "transfer", {"session_ids": ids, "agent": "bob0001"}, ZH) == {
        "done": ("already_ended", "会话已结束"),
        "refused": ("agent_unavailable", "客服 'bob0001' 现在无法接待（已满）"),
        "missing": ("not_found", "会话不存在"),
    }
    assert batch(conversations, "delete", {"session_ids": ["live", "missing"]}, ZH) == {
        "live": ("still_live", "请先结束会话再删除"),
        "missing": ("not_found", "会话不存在"),
    }
    banned = batch(conversations, "blacklist", {"session_ids": ["done", "gone"]}, ZH)
    assert banned == {"gone": ("not_found", "会话不存在")}


@pytest.mark.parametrize("language", [{}, {"Accept-Language": "en-US"}, {"Accept-Language": "fr"}])
def test_batch_failures_stay_english_by_default(
    conversations: Kit, language: dict[str, str]
) -> None:
    ids = ["done", "refused", "missing"]
    assert batch(conversations, "close", {"session_ids": ids}, language) == {
        "done": ("already_ended", "the conversation has ended"),
        "refused": ("agent_unavailable", "Agent 'bob0001' cannot take the session: full"),
        "missing": ("not_found", "no such conversation"),
    }
    deleted = batch(conversations, "delete", {"session_ids": ["live"]}, language)
    assert deleted == {"live": ("still_live", "close the conversation before deleting it")}


MISTAKES = "\n".join(
    [
        "组名,标题,内容",
        f"{'c' * 33},长组名,x",
        "常用语,,",
        "常用语,你好,您好",
        "常用语,你好,又一次",
        f"常用语,长内容,{'x' * 2001}",
    ]
).encode()


def import_errors(kit: Kit, language: dict[str, str]) -> list[tuple[int, str | None, str]]:
    answer = kit.client.post(
        "/api/v1/quick-replies/import",
        params={"filename": "replies.csv"},
        content=MISTAKES,
        headers={**kit.as_("alice01"), "Content-Type": "text/csv", **language},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["imported"] == 1
    return [(e["row"], e["column"], e["message"]) for e in answer.json()["errors"]]


def test_import_row_errors_are_worded_in_chinese(kit: Kit) -> None:
    assert import_errors(kit, ZH) == [
        (2, "category", "组名超过 32 个字"),
        (3, "title", "标题不能为空"),
        (3, "content", "内容不能为空"),
        (5, "title", "组名和标题与第 4 行相同"),
        (6, "content", "内容超过 2000 个字"),
    ]


def test_import_row_errors_stay_english_by_default(kit: Kit) -> None:
    assert import_errors(kit, {}) == [
        (2, "category", "category is longer than 32 characters"),
        (3, "title", "title is required"),
        (3, "content", "content is required"),
        (5, "title", "the same category and title as row 4"),
        (6, "content", "content is longer than 2000 characters"),
    ]
