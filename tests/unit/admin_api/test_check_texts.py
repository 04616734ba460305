"""The flow check speaks the client's language: every message the checks can report has a zh-CN
entry in admin_api/check_texts.py, /check, a refused save and a refused try answer in the
language of ``Accept-Language`` (English by default), and a connection left empty (the editor
blanks those to a deleted node) is said as such in both."""

from __future__ import annotations

from string import Formatter

import pytest
from check_scan import Site, sites
from problem_scan import missing_texts
from records_kit import Kit, kit_fixture  # noqa: F401  (the fixture "kit")

from chatflow.admin_api import check_texts
from chatflow.admin_api.check_texts import check_message, template_of
from chatflow.admin_api.problem_language import CHINESE, ENGLISH
from chatflow.engine import exprerrors, yamlerrors
from chatflow.engine import flowversions as fv
from chatflow.nodes import LANGUAGE

F = "/api/v1/admin/flows"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def problems_of(text: str) -> list[str]:
    """What the check of a flow's text reports, as the API runs it."""
    result = fv.check_flow_text(
        text, LANGUAGE, source="t.flow.yaml", groups=["presales"], where="merchant 'acme'"
    )
    return [p.message for p in result.problems]


BROKEN = [
    # pydantic's own messages, placed by engine/language.py
    "id: Bad\nstart: a\nnodes:\n  a: {type: message, next: b, extra: 1}\n  b: {type: end}\n",
    "id: t\nstart: a\nnodes:\n  a: {type: menu, prompt: '', options: []}\n",
    "id: t\nstart: a\nnodes:\n  a: {type: form, prompt: p, var: x, input: nope, max_attempts: 0,"
    " timeout: abc, next: a}\n",
    "id: t\nstart: a\nnodes:\n  a: {type: nope}\n  c: {text: x}\n",
    "id: t\nstart: a\nnodes:\n  a: {type: mesage}\n",
    "id: t\nstart: a\nnodes:\n  a: {type: survey, levels: 1.5, style: x, valid_for: -1}\n",
    "id: t\nstart: a\nnodes:\n  a: {type: business_hours, schedule: [{days: [xx], from: '9',"
    " to: '10:00'}], holidays: [notadate], open: a, closed: a}\n",
    "id: t\nstart: a\nsettings: {idle_timeout: -1, timezone: Mars/X}\nvars: {1x: 2}\nnodes:\n"
    "  a: {type: http, url: '', method: GOT, outputs: {s: {path: 'a..b'}}, next: a,"
    " timeout: 100}\n",
    "id: t\nstart: a\nnodes:\n  a: {type: transfer, group: presales, priority: x}\n",
    "id: t\nstart: a\nnodes: []\n",
    "id: t\nstart: a\nnodes:\n  a: [1]\n",
    "id: t\nstart: a\nnodes:\n  a: {type: message, text: x, texts: [y], next: a}\n",
    "id: t\nstart: a\nnodes:\n  a: {type: message, next: a}\n  b: {type: bot, rules:"
    " [{keywords: [' '], replies: [r]}], exit_keywords: [bye]}\n",
    "id: t\nstart: a\nnodes:\n  a: {type: form, prompt: p, var: x, input: regex, pattern: '(',"
    " on_timeout: a, next: a}\n",
    "id: t\nstart: a\nnodes:\n  a: {type: survey, levels: 3, labels: [a, b]}\n",
    # the reader
    "a: [",
    "a:\n  b: 1\n   c: 2\n",
    "a:\n  b: 1\n c: 2\n",
    "a:\n\tb: 1\n",
    "a:\n  text: {{ name }}\n",
    "a:\n  text: {{ name }}, hi\n",
    "a:\n  b: 1\n  c\n  d: 2\n",
    'a: "abc\nb: 1\n',
    "a: b: c\n",
    "",
    "id: t\nstart: a\nnodes:\n  a: {type: end, message: !!int x}\n  a: {type: end}\n",
    # the checks
    "id: t\nstart: a\nvars: {n: 1}\nnodes:\n  a: {type: condition, branches: [{when: 'n = 1',"
    " next: b}, {when: '(n > 1', next: b}, {when: 'n && n', next: b}], default: b}\n"
    "  b: {type: end}\n",
    "id: t\nstart: a\nnodes:\n  a: {type: message, text: '{{ 1 | uper }} {{ 1 is od }}', next: b}\n"
    "  b: {type: end, message: '{{ 1 | nosuch }}'}\n",
    "id: t\nstart: a\nnodes:\n  a: {type: message, text: '{{ x', next: b}\n"
    "  b: {type: end, message: '{{ nope }} {{ sys.channl }}'}\n"
    "  c: {type: set, vars: {sys: '1'}, next: c}\n  d: {type: condition, branches: [{when: 'x >',"
    " next: a}], default: a}\n",
    "id: t\nstart: helo\ninterrupts: [{keywords: [k], goto: nobody}]\nnodes:\n"
    "  hello: {type: message, text: hi, next: bey}\n  bye: {type: transfer, group: presles}\n",
    "id: t\nstart: ''\ninterrupts: [{keywords: [k], goto: ''}]\nnodes:\n"
    "  a: {type: message, text: hi, next: ''}\n  m: {type: menu, prompt: p,"
    " options: [{label: x, next: ''}]}\n  b: {type: end}\n",
    "id: t\nstart: a\nnodes:\n  a: {type: menu, prompt: p, options: [{label: x, next: b}]}\n"
    "  b: {type: message, text: x, next: a}\n",
]
"""Flows with every kind of mistake the check reports (each message's real wording)."""

REAL = sorted({message for text in BROKEN for message in problems_of(text)})


def _real(*fragments: str) -> list[str]:
    found = [m for m in REAL if any(f in m for f in fragments)]
    assert found, fragments
    return found


EXAMPLES: dict[str, list[str]] = {
    # texts read from a value the scan cannot follow: real ones, made by checking broken flows
    "engine/language.py:err['msg']": _real("Input should", "String should", "List should"),
    "engine/language.py:message": _real("; expected one of: type, label"),
    "engine/language.py:message[len('Value error, '):]": _real(
        "a message needs", "is not a time", "not a valid regular expression", "unknown timezone"
    ),
    "engine/yamlsource.py:bad.message": _real("duplicate key", "is not a valid int"),
    "engine/yamlsource.py:TEMPLATE.format()": _real("is read as a YAML mapping, not"),
}
"""Per site (``path:expression``), the texts it reports, when the scan cannot read them."""

NOT_REPORTED = {"nodes/business_hours.py:'is_open() needs an aware datetime'"}
"""Errors of a caller, never a problem of a flow."""


@pytest.fixture(scope="module", name="scanned")
def scanned_fixture() -> list[Site]:
    return sites()


def _untranslated(text: str) -> bool:
    return check_message(text, CHINESE) == text


def test_every_message_the_checks_can_report_has_a_zh_cn_entry(scanned: list[Site]) -> None:
    assert len(scanned) > 50  # the scan found the sites (a broken scan finds nothing)
    missing = missing_texts(scanned, EXAMPLES, _untranslated, NOT_REPORTED)
    assert not missing, "messages without a zh-CN entry in check_texts.py:\n" + "\n".join(missing)


def test_every_example_and_exception_belongs_to_a_site(scanned: list[Site]) -> None:
    keys = {site.key for site in scanned}
    assert not (set(EXAMPLES) | NOT_REPORTED) - keys


def test_every_problem_of_the_broken_flows_is_worded() -> None:
    assert len(REAL) > 40
    assert [m for m in REAL if _untranslated(m)] == []


def test_every_entry_words_its_own_text() -> None:
    """No entry is shadowed by another: a text made from a template is worded by it."""
    for english in check_texts.ZH_CN:
        sample = "".join(
            literal + ("" if field is None else "'v'" if conversion == "r" else "v")
            for literal, field, _, conversion in Formatter().parse(english)
        )
        assert template_of(sample) == english, sample


def test_values_are_put_back_and_lists_and_hints_worded() -> None:
    missing = problems_of(BROKEN[-3])
    assert [check_message(m, CHINESE) for m in missing if "bey" in m] == [
        "节点 'hello' 的下一步是 'bey'，但没有这个节点；现有节点：hello、bye。是否想写 'bye'？"
        "请改正 ID，或在 'nodes' 下添加节点 'bey'。"
    ]
    assert check_message("unknown node type 'x'; expected one of: 'a', 'b'", CHINESE) == (
        "未知的节点类型 'x'；可用类型：'a'、'b'"
    )
    assert check_message("Input should be 'star' or 'number'", CHINESE) == (
        "应为 'star' 或 'number' 之一"
    )
    listed = "existing nodes: a, b and 3 more. Fix the id or add a node 'z' under 'nodes'."
    assert "现有节点：a、b 等（另有 3 个）。请改正" in check_message(
        f"start is 'z', but there is no such node; {listed}", CHINESE
    )
    ids = "existing nodes: template, expression. Fix the id or add a node 'z' under 'nodes'."
    assert "现有节点：template、expression。请改正" in check_message(  # ids are no terms
        f"start is 'z', but there is no such node; {ids}", CHINESE
    )
    none = "existing nodes: (none). Fix the id or add a node 'z' under 'nodes'."
    assert "现有节点：（无）。" in check_message(
        f"start is 'z', but there is no such node; {none}", CHINESE
    )
    text = "variable 'x' is used in this expression but never declared or set"
    assert check_message(text, CHINESE) == text  # a text it does not know stays as it is


SAMPLES = {"line": 3, "column": 4, "kind": "list", "alias": "*x", "char": "@", "quote": "'"}
"""Values for the fields of the plain-words templates (any other field: a quoted name)."""


@pytest.mark.parametrize(
    ("prefix", "template"),
    [("YAML syntax: ", m) for m in yamlerrors.MESSAGES]
    + [("expression does not parse: ", m) for m in exprerrors.MESSAGES],
)
def test_every_plain_words_template_is_worded(prefix: str, template: str) -> None:
    """The YAML reader's and the expression check's messages come from tables the scan cannot
    read: each of their templates, filled in, has zh-CN words (the prefix too)."""
    fields = {field for _, field, _, _ in Formatter().parse(template) if field}
    text = prefix + template.format(**{f: SAMPLES.get(f, "(") for f in fields})
    worded = check_message(text, CHINESE)
    assert worded != text and "YAML syntax" not in worded and "does not parse" not in worded


def test_an_unknown_node_type_is_worded_with_its_hint() -> None:
    (message,) = problems_of("id: t\nstart: a\nnodes:\n  a: {type: mesage}\n")
    assert message.startswith("unknown node type 'mesage'; did you mean 'message'? Valid types:")
    assert check_message(message, CHINESE).startswith(
        "未知的节点类型 'mesage'；是否想写 'message'？可用类型：message、business_hours、"
    )


def test_english_stays_english() -> None:
    for message in REAL:
        assert check_message(message, ENGLISH) == message


def test_an_empty_target_is_a_connection_to_make_not_a_missing_node() -> None:
    found = problems_of(BROKEN[-2])
    assert found == [
        "the flow has no start node: set 'start' to the node conversations begin at",
        "interrupt 1 has no node to jump to: set its 'goto'",
        "node 'a' has no next node: connect 'next' to the node it continues at",
        "node 'm' has no next node: connect 'options[0].next' to the node it continues at",
    ]
    assert [check_message(m, CHINESE) for m in found] == [
        "流程没有开始节点：请把 'start' 设为对话开始的节点",
        "第 1 个全局关键词没有要跳转的节点：请设置它的 'goto'",
        "节点 'a' 没有下一步节点：请把 'next' 连接到接下来的节点",
        "节点 'm' 没有下一步节点：请把 'options[0].next' 连接到接下来的节点",
    ]


DELETED = """\
id: shop
start: ask
nodes:
  ask:
    type: menu
    prompt: 要留下手机号吗？
    options: [{label: 好, next: ''}, {label: 不用, next: bye}]
  bye: {type: end}
  promo: {type: message, text: 促销, next: bye}
"""
"""A flow whose menu led to a node the editor deleted (that option's `next` blanked), and a
node nothing leads to."""
NOT_CONNECTED = "node 'ask' has no next node: connect 'options[0].next' to the node it continues at"
NOT_CONNECTED_ZH = "节点 'ask' 没有下一步节点：请把 'options[0].next' 连接到接下来的节点"
UNREACHABLE_ZH = (
    "从开始节点 'ask' 无法到达节点 'promo'：没有任何下一步、分支或全局关键词通向它。"
    "请从其他节点连接到它，或删除它。"
)


def test_check_answers_in_the_language_asked_for(kit: Kit) -> None:
    headers = kit.as_("admin01")
    english = kit.client.post(f"{F}/shop/check", json={"yaml": DELETED}, headers=headers)
    chinese = kit.client.post(f"{F}/shop/check", json={"yaml": DELETED}, headers=headers | ZH)
    assert english.status_code == chinese.status_code == 200
    assert [e["message"] for e in english.json()["errors"]] == [NOT_CONNECTED]
    assert english.headers["content-language"] == ENGLISH
    body = chinese.json()
    assert chinese.headers["content-language"] == CHINESE
    assert "Accept-Language" in chinese.headers["vary"]
    assert [(e["path"], e["message"]) for e in body["errors"]] == [
        ("$.nodes.ask.options[0].next", NOT_CONNECTED_ZH)
    ]
    assert [w["message"] for w in body["warnings"]] == [UNREACHABLE_ZH]


def test_a_refused_save_or_try_and_a_saved_or_published_version_word_their_issues(
    kit: Kit,
) -> None:
    headers = kit.as_("admin01") | ZH
    saved = kit.client.post(f"{F}/shop/versions", json={"yaml": DELETED}, headers=headers)
    assert saved.status_code == 422 and saved.json()["title"] == "invalid flow"
    assert [e["message"] for e in saved.json()["errors"]] == [NOT_CONNECTED_ZH]
    assert [w["message"] for w in saved.json()["warnings"]] == [UNREACHABLE_ZH]
    tried = kit.client.post(f"{F}/shop/try", json={"yaml": DELETED}, headers=headers)
    assert tried.status_code == 422
    assert [e["message"] for e in tried.json()["errors"]] == [NOT_CONNECTED_ZH]
    # a flow with warnings only is saved and published; they come back worded too
    fine = DELETED.replace("next: ''", "next: bye")
    stored = kit.client.post(f"{F}/shop/versions", json={"yaml": fine}, headers=headers)
    assert stored.status_code == 201, stored.text
    assert [w["message"] for w in stored.json()["warnings"]] == [UNREACHABLE_ZH]
    published = kit.client.post(f"{F}/shop/versions/1/publish", headers=headers)
    assert published.status_code == 200
    assert [w["message"] for w in published.json()["warnings"]] == [UNREACHABLE_ZH]
    english = kit.client.post(f"{F}/shop/versions/1/publish", headers=kit.as_("admin01"))
    assert english.json()["warnings"][0]["message"].startswith("node 'promo' is unreachable")


FILTER_TYPO = DELETED.replace("促销", "'{{ 1 | uper }}'").replace("next: ''", "next: bye")


def test_an_unknown_filter_is_an_issue_of_the_check_and_a_refused_save_not_a_500(
    kit: Kit,
) -> None:
    headers = kit.as_("admin01")
    checked = kit.client.post(f"{F}/shop/check", json={"yaml": FILTER_TYPO}, headers=headers)
    assert checked.status_code == 200, checked.text
    [error] = checked.json()["errors"]
    assert error["path"] == "$.nodes.promo.text" and error["line"] == 9
    assert error["message"].startswith("unknown filter 'uper' in this template; known filters:")
    assert error["message"].endswith("Did you mean 'upper'?")
    saved = kit.client.post(f"{F}/shop/versions", json={"yaml": FILTER_TYPO}, headers=headers | ZH)
    assert saved.status_code == 422 and saved.json()["title"] == "invalid flow"
    [worded] = saved.json()["errors"]
    assert worded["message"].startswith("此模板用到了未知的过滤器 'uper'；可用的过滤器：abs、")
    assert worded["message"].endswith("是否想写 'upper'？")


def test_the_editors_check_words_yaml_and_expression_mistakes_at_their_place(kit: Kit) -> None:
    headers = kit.as_("admin01") | ZH
    indented = DELETED.replace("  bye: {type: end}", "   bye: {type: end}")
    checked = kit.client.post(f"{F}/shop/check", json={"yaml": indented}, headers=headers)
    assert checked.status_code == 200, checked.text
    [error] = checked.json()["errors"]
    assert (error["line"], error["message"]) == (
        8,
        "YAML 语法错误：这一行的缩进与上面的行不同；同一映射中的键必须从同一列开始",
    )
    cut = DELETED.replace("next: ''", "next: bye").replace(
        "promo: {type: message, text: 促销, next: bye}",
        "promo: {type: condition, branches: [{when: 'n >', next: bye}], default: bye}",
    )
    checked = kit.client.post(f"{F}/shop/check", json={"yaml": cut}, headers=headers)
    [error] = checked.json()["errors"]
    assert (error["line"], error["column"], error["message"]) == (
        9,
        50,
        "表达式无法解析：表达式在 '>' 之后就结束了；其后应有一个值",
    )
