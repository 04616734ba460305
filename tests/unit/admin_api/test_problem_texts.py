"""The API words its errors in the language the client asks for: every English text the source
can answer with has a zh-CN entry in the catalogue (admin_api/problem_texts.py), and a real
request with ``Accept-Language: zh-CN`` gets it with its values in place."""

from __future__ import annotations

from http import HTTPStatus
from string import Formatter

import pytest
from problem_scan import CARRIERS_OF_TEXT, Site, Source, missing_texts
from records_kit import PASSWORD, Kit, kit_fixture  # noqa: F401  (the fixture "kit")

from chatflow.admin_api import problem_texts
from chatflow.admin_api.account_models import check_credentials
from chatflow.admin_api.agent_access import refused
from chatflow.admin_api.auth import AuthService
from chatflow.admin_api.problem_language import (
    CHINESE,
    ENGLISH,
    chosen_language,
    error_text,
    pick_language,
    template_of,
    translate,
)
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.quickreply_import import UploadRejected, parse_upload
from chatflow.admin_api.routes_sites import DISABLED_FOR_GOOD
from chatflow.channels.multipart import MultipartError, boundary_of
from chatflow.channels.visitor_frames import FrameError, parse_raw, to_event
from chatflow.channels.webhook_signing import SignatureError, verify
from chatflow.engine import flowversions
from chatflow.engine.directory import passwords_summary
from chatflow.engine.errors import ChatflowError, Problem, TemplateError
from chatflow.engine.routing import (
    AgentUnavailable,
    LastAgent,
    NotOffered,
    NotServing,
    UnknownAgent,
)
from chatflow.engine.stores.recordsdb import FlowVersionRow
from chatflow.engine.templates import CompiledFlowTemplates
from chatflow.engine.wordfilter import Verdict


def _raised(kind: type[Exception], call: object, *args: object) -> str:
    with pytest.raises(kind) as caught:
        call(*args)  # type: ignore[operator]
    exc = caught.value
    return str(getattr(exc, "detail", None) or getattr(exc, "message", None) or exc)


def _not_a_draft(status: str) -> str:
    row = FlowVersionRow(
        merchant_id="acme", flow_id="presales", version=3, yaml="", status=status, created_by="a"
    )
    return flowversions._not_a_draft(row).message


def _template_error(source: str) -> str:
    return _raised(TemplateError, CompiledFlowTemplates().render, source, {})


REFUSALS = [
    refused(AgentUnavailable("bob0001", "offline")).detail,
    refused(AgentUnavailable("bob0001", "full")).detail,
    refused(LastAgent("s1", "bob0001")).detail,
    refused(NotOffered("s1", "bob0001")).detail,
    refused(NotServing("s1", "bob0001")).detail,
    refused(NotServing("s1", None)).detail,
]
"""What the queue's refusals read like to a client (agent_access.refused)."""


def _row_errors(kind: str) -> list[str]:
    """An import's row errors containing ``kind``, made by parsing a file with every mistake."""
    rows = ["组名,标题,内容", f"{'c' * 33},t1,x", f"c,{'t' * 65},x", f"c,t3,{'x' * 2001}", "c,,"]
    parsed = parse_upload("\n".join(rows).encode(), "replies.csv")
    return [error.message for error in parsed.errors if kind in error.message]


EXAMPLES: dict[str, list[str]] = {
    # texts read from a value the scan cannot follow: real ones, made by the code that makes them
    "admin_api/account_models.py:detail": [
        _raised(ApiProblem, check_credentials, "ab", "short"),
        _raised(ApiProblem, check_credentials, None, "no digits here"),
        _raised(ApiProblem, check_credentials, None, "ALLCAPS1"),
    ],
    "admin_api/agent_access.py:str(exc)": REFUSALS,
    "engine/directory.py:passwords_summary(missing)": [
        passwords_summary([Problem("", code=code) for code in codes])
        for codes in (["password_env"], ["weak-password"], ["password_env", "weak-password"])
    ],
    "admin_api/agent_socket.py:str(exc)": [str(UnknownAgent("bob0001"))],
    "admin_api/live_services.py:problem.detail": REFUSALS,
    # a LiveError's detail: LiveServices' own texts (scanned at their raise sites) or a refusal
    "admin_api/routes_batch.py:exc.detail": [
        *REFUSALS,
        "no such conversation",
        "the conversation has ended",
    ],
    "admin_api/quickreply_import.py:f'{name} is longer than {limit} characters'": (
        _row_errors("longer")
    ),
    "admin_api/quickreply_import.py:f'{name} is required'": _row_errors("required"),
    "admin_api/auth.py:self.GENERIC": [AuthService.GENERIC],
    "admin_api/routes_agents.py:verdict.reason": [Verdict(blocked=["微信", "QQ"]).reason],
    "admin_api/routes_quick_replies.py:exc.detail": [
        _raised(UploadRejected, parse_upload, b"", "replies.csv"),
        _raised(UploadRejected, parse_upload, b"a,b\n", "replies.xls"),
    ],
    "admin_api/routes_groups.py:f\"group {group_id!r} is still used by {', '.join(users)}; "
    'remove it from them first"': [
        "group 'vip' is still used by site 'acme-web'; remove it from them first",
        "group 'vip' is still used by site 'acme-web', site 'acme-shop', flow 'presales' "
        "(version 3); remove it from them first",
        "group 'vip' is still used by flow 'presales' (version 12); remove it from them first",
    ],
    "admin_api/routes_sites.py:DISABLED_FOR_GOOD.format(key=key)": [
        DISABLED_FOR_GOOD.format(key="acme-web")
    ],
    "admin_api/routes_flows.py:f'flow {flow_id!r}: {exc.message}'": [
        f"flow 'presales': {_not_a_draft('published')}",
        f"flow 'presales': {_not_a_draft('archived')}",
    ],
    'engine/flowversions.py:f"version {row.version} is {row.status}: it was published once, '
    "and published versions stay as the flow's history (rollback, diff, what past conversations "
    'ran). Only drafts can be deleted; delete the whole flow to remove its history"': [
        _not_a_draft("archived")
    ],
    "channels/images.py:exc.message": [_raised(MultipartError, boundary_of, "text/plain")],
    "channels/web.py:exc.message": [
        _raised(FrameError, parse_raw, b"{"),
        _raised(FrameError, to_event, {"type": "text", "text": " "}),
    ],
    "channels/webhook.py:exc.message": [
        _raised(SignatureError, verify, b"secret", b"{}", None, 0.0),
        _raised(SignatureError, verify, b"secret", b"{}", "nonsense", 0.0),
    ],
    "engine/runcontext.py:exc.message": [
        _template_error("{{ 1 / 0 }}"),
        _template_error("{{ unclosed"),
    ],
}
"""Per site (``path:expression``), the texts it answers with, when the scan cannot read them."""


@pytest.fixture(scope="module")
def source() -> Source:
    return Source()


@pytest.fixture(scope="module")
def sites(source: Source) -> list[Site]:
    return source.sites()


def _untranslated(text: str) -> bool:
    chinese = any("\u4e00" <= ch <= "\u9fff" for ch in text)  # already worded for both
    return not chinese and translate(text, CHINESE) == text


def test_every_text_the_source_answers_with_has_a_zh_cn_entry(sites: list[Site]) -> None:
    assert len(sites) > 200  # the scan found the raise sites (a broken scan finds nothing)
    missing = missing_texts(sites, EXAMPLES, _untranslated)
    assert not missing, "texts without a zh-CN entry in problem_texts.py:\n" + "\n".join(missing)


def test_every_example_belongs_to_a_site(sites: list[Site]) -> None:
    assert not set(EXAMPLES) - {site.key for site in sites}
    assert all(EXAMPLES.values())  # an example made by the code made something


def test_every_carrier_of_text_is_called(source: Source) -> None:
    """A carrier renamed in the source, and not here, would hide its texts from the scan."""
    assert [name for name in CARRIERS_OF_TEXT if not source.by_callee.get(name)] == []


def test_the_handlers_own_texts_have_entries() -> None:
    own = [HTTPStatus(404).phrase, HTTPStatus(405).phrase, "the request is not valid"]
    own.append("an unexpected error happened; it has been logged")
    assert [text for text in own if _untranslated(text)] == []


def test_every_entry_words_its_own_text() -> None:
    """No entry is shadowed by another: a text made from a template is worded by it."""
    for english, chinese in problem_texts.ZH_CN.items():
        if "!t}" in chinese or "!l}" in chinese:
            continue  # needs words for its values: the tests above hold those
        sample = "".join(
            literal + ("" if field is None else "'v'" if conversion == "r" else "v")
            for literal, field, _, conversion in Formatter().parse(english)
        )
        assert template_of(sample) == english, sample
    assert not set(problem_texts.TERMS) & set(problem_texts.ZH_CN)


def test_values_are_put_back_and_words_within_are_worded() -> None:
    assert translate("group 'presales' already exists", CHINESE) == "分组 'presales' 已存在"
    assert translate("no site 'acme-web'", CHINESE) == "站点 'acme-web' 不存在"
    assert translate("no permission group 7", CHINESE) == "权限组 7 不存在"
    in_use = "group 'vip' is still used by site 'acme-web', flow 'presales' (version 3); remove it"
    assert translate(in_use + " from them first", CHINESE) == (
        "分组 'vip' 仍被 站点 'acme-web'、流程 'presales'（版本 3） 使用，请先从中移除"
    )
    assert translate("this account may not edit quick_replies", CHINESE) == (
        "此账号没有快捷回复的编辑权限"
    )
    assert translate("you cannot disable the account you are logged in with", CHINESE) == (
        "不能禁用当前登录的账号"
    )
    # a value that is not a known word does not make a half-Chinese text: it stays English
    assert translate("this account may not fly kites", CHINESE) == "this account may not fly kites"
    assert translate("something new went wrong", CHINESE) == "something new went wrong"
    assert (
        translate("group 'presales' already exists", ENGLISH) == "group 'presales' already exists"
    )


def test_an_engine_error_names_its_flow_and_node_in_the_answer_language() -> None:
    exc = ChatflowError("no version of this flow was published", flow_id="presales", node_id="ask")
    assert error_text(exc, ENGLISH) == str(exc)
    assert error_text(exc, CHINESE) == "这个流程还没有发布过版本（流程 'presales'，节点 'ask'）"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, ENGLISH),
        ("", ENGLISH),
        ("en", ENGLISH),
        ("en-US,en;q=0.9", ENGLISH),
        ("zh-CN", CHINESE),
        ("zh-CN,zh;q=0.9,en;q=0.8", CHINESE),
        ("zh", CHINESE),
        ("zh-TW", CHINESE),  # no zh-TW catalogue: every zh tag reads zh-CN
        ("zh-Hant-HK", CHINESE),
        ("fr", ENGLISH),
        ("fr, zh;q=0.5", CHINESE),
        ("en;q=0.5, zh-CN;q=0.8", CHINESE),
        ("zh-CN;q=0", ENGLISH),
        ("*", ENGLISH),
        ("zh-CN;q=nonsense, en", ENGLISH),
    ],
)
def test_accept_language_picks(header: str | None, language: str) -> None:
    assert pick_language(header) == language


@pytest.mark.parametrize(
    ("lang", "header", "language"),
    [
        ("zh-CN", None, CHINESE),
        ("zh-CN", "en", CHINESE),  # the page's choice over the browser's
        ("en", "zh-CN", ENGLISH),
        ("", "zh-CN", CHINESE),
        (None, None, ENGLISH),
        ("fr", "zh-TW", CHINESE),  # a choice the API does not speak: Accept-Language decides
        ("*", "zh", CHINESE),
        ("fr", None, ENGLISH),
    ],
)
def test_a_pages_lang_comes_before_accept_language(
    lang: str | None, header: str | None, language: str
) -> None:
    assert chosen_language(lang, header) == language


def _post_group(kit: Kit, language: str | None) -> dict[str, object]:
    headers = dict(kit.as_("admin01"))
    if language is not None:
        headers["Accept-Language"] = language
    answer = kit.client.post("/api/v1/admin/groups", json={"id": "presales"}, headers=headers)
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "accept-language" in answer.headers["vary"].lower()
    body: dict[str, object] = answer.json()
    return body


def test_a_request_in_chinese_gets_the_chinese_detail_with_its_values(kit: Kit) -> None:
    chinese = _post_group(kit, "zh-CN")
    assert chinese["detail"] == "分组 'presales' 已存在"
    assert chinese["type"] == "urn:chatflow:conflict" and chinese["status"] == 409
    for header in ("zh-TW", "zh", "zh-CN,zh;q=0.9,en;q=0.8"):
        assert _post_group(kit, header)["detail"] == "分组 'presales' 已存在"
    for other in (None, "en", "en-US", "fr"):
        assert _post_group(kit, other)["detail"] == "group 'presales' already exists"


def test_refusals_and_invalid_input_are_worded_too(kit: Kit) -> None:
    zh = {"Accept-Language": "zh-CN"}
    anonymous = kit.client.get("/api/v1/admin/groups", headers=zh)
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"] == "请发送 'Authorization: Bearer <token>'"
    assert anonymous.headers["content-language"] == "zh-CN"

    forbidden = kit.client.get("/api/v1/sensitive-words", headers={**kit.as_("alice01"), **zh})
    assert forbidden.status_code == 403
    assert forbidden.json()["detail"] == "此账号没有敏感词的查看权限"

    weak = {"old_password": PASSWORD, "new_password": "short"}
    answer = kit.client.put(
        "/api/v1/agents/me/password", json=weak, headers={**kit.as_("bob0001"), **zh}
    )
    assert answer.status_code == 422
    body = answer.json()
    rules = "密码必须为 8-20 个字符、包含大写字母、包含数字、包含符号（如 !@#$%）"
    assert body["detail"] == rules
    assert body["errors"] == [{"path": "body.new_password", "message": rules}]

    pydantic = kit.client.post(
        "/api/v1/admin/groups", json={}, headers={**kit.as_("admin01"), **zh}
    )
    assert pydantic.status_code == 422
    assert pydantic.json()["detail"] == "请求无效"
    assert pydantic.json()["errors"][0]["message"] == "此项必填"  # pydantic's, by its type

    english = kit.client.get("/api/v1/sensitive-words", headers=kit.as_("alice01"))
    assert english.json()["detail"] == "this account may not view sensitive_words"
    assert english.headers["content-language"] == "en"
