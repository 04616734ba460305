"""Pydantic's validation errors in the client's language, worded by their ``type`` and ``ctx``.

:func:`problems.field_errors` turns each error of an invalid request into an :class:`InputError`;
``problems.problem`` asks it for its text in the answer's language. English keeps pydantic's own
message (our validators' text, a pattern of ours described in words); zh-CN takes its template
from :data:`ZH_CN` by the error's type, never by matching pydantic's English. A rejected list item
is named by its value (by its position when it is blank or not text), so a client that shows
messages without their path (one line of many) still says which one. An empty text where one
is required reads as a missing field ("Field required", 此项必填), in both languages.
tests/unit/admin_api/test_input_errors.py holds the tables complete: every type our request
models can raise and every pattern they use has its words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chatflow.admin_api.problem_language import CHINESE, translate

PATTERNS: dict[str, tuple[str, str]] = {
    # admin_api/tenants.py: site keys, group ids (and engine/config.py's ids)
    r"^[A-Za-z0-9_][A-Za-z0-9_-]*$": (
        "use only letters, digits, _ and -, and do not start with -",
        "只能包含字母、数字、_ 和 -，且不能以 - 开头",
    ),
    # tenants.ACCOUNT_NAME_PATTERN: login names
    r"^[A-Za-z0-9_]{6,20}$": (
        "must be 6-20 characters of letters, digits or _",
        "须为 6-20 个字母、数字或 _",
    ),
    # tenants.FLOW_ID_PATTERN: flow ids
    r"^[a-z0-9_-]+$": (
        "use only lower-case letters, digits, _ and -",
        "只能包含小写字母、数字、_ 和 -",
    ),
    # routes_sites.ORIGIN_PATTERN: a site's allowed origins
    r"^https?://[^/\s?#]+$": (
        "must be an origin: https://host or https://host:port, without a path, query or spaces",
        "必须是来源地址：https://主机名 或 https://主机名:端口，不能带路径、查询参数或空格",
    ),
    # channels/web.py: a visitor id the page gives
    r"^[A-Za-z0-9_.:@-]+$": (
        "use only letters, digits and _ . : @ -",
        "只能包含字母、数字和 _ . : @ -",
    ),
    # channels/webhook.py: the provider's id of a visitor
    r"^[\x21-\x7e]+$": (
        "use only visible ASCII characters, without spaces",
        "只能包含可见的 ASCII 字符，不能有空格",
    ),
}
"""Our patterns (pydantic ``pattern=``) -> what they allow, in English and zh-CN. A pattern not
here reads "String should match pattern ..." in English and 格式不正确 in zh-CN: never a regex."""

ZH_CN: dict[str, str] = {
    # the request's shape
    "missing": "此项必填",
    "extra_forbidden": "不支持这个字段",
    "json_invalid": "不是有效的 JSON",
    "json_type": "JSON 输入必须是文本",
    "model_type": "必须是 JSON 对象",
    "model_attributes_type": "必须是 JSON 对象",
    "dataclass_type": "必须是 JSON 对象",
    "dict_type": "必须是 JSON 对象",
    "mapping_type": "必须是 JSON 对象",
    "union_tag_invalid": "{discriminator} 为 {tag}，不是可用的类型；可用的类型：{expected_tags}",
    "union_tag_not_found": "缺少 {discriminator}，无法判断类型",
    "none_required": "必须为 null",
    # text
    "string_type": "必须是文本",
    "string_sub_type": "必须是文本",
    "string_unicode": "必须是文本",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_short:min_length=1": "不能为空",
    "string_too_long": "最多 {max_length} 个字符（现有 {given} 个）",
    "string_pattern_mismatch": "格式不正确",
    "string_not_ascii": "只能包含 ASCII 字符",
    "literal_error": "必须是 {expected}",
    "enum": "必须是 {expected}",
    # numbers and true/false
    "int_type": "必须是整数",
    "int_parsing": "必须是整数",
    "int_from_float": "必须是整数，不能有小数",
    "int_parsing_size": "数字太大",
    "float_type": "必须是数字",
    "float_parsing": "必须是数字",
    "finite_number": "必须是有限的数字",
    "decimal_type": "必须是数字",
    "decimal_parsing": "必须是数字",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "必须小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "multiple_of": "必须是 {multiple_of} 的倍数",
    "bool_type": "必须是 true 或 false",
    "bool_parsing": "必须是 true 或 false",
    # lists (and a mapping's number of entries)
    "list_type": "必须是列表",
    "tuple_type": "必须是列表",
    "set_type": "必须是列表",
    "frozen_set_type": "必须是列表",
    "iterable_type": "必须是列表",
    "too_short": "至少要有 {min_length} 项（现有 {given} 项）",
    "too_long": "最多 {max_length} 项（现有 {given} 项）",
    # dates and times
    "date_type": "必须是日期（如 2026-11-23）",
    "date_parsing": "必须是日期（如 2026-11-23）",
    "date_from_datetime_parsing": "必须是日期（如 2026-11-23）",
    "date_from_datetime_inexact": "必须是日期（如 2026-11-23），不能带时刻",
    "datetime_type": "必须是日期时间（如 2026-11-23T10:00:00+08:00）",
    "datetime_parsing": "必须是日期时间（如 2026-11-23T10:00:00+08:00）",
    "datetime_from_date_parsing": "必须是日期时间（如 2026-11-23T10:00:00+08:00）",
    "datetime_object_invalid": "必须是日期时间（如 2026-11-23T10:00:00+08:00）",
    "time_type": "必须是时间（如 10:00）",
    "time_parsing": "必须是时间（如 10:00）",
    "timezone_aware": "必须带时区（如 +08:00）",
    "timezone_naive": "不能带时区",
    "date_past": "必须是过去的日期",
    "date_future": "必须是将来的日期",
    "datetime_past": "必须是过去的时间",
    "datetime_future": "必须是将来的时间",
    # addresses and ids
    "url_type": "必须是网址",
    "url_parsing": "必须是有效的网址",
    "url_syntax_violation": "必须是有效的网址",
    "url_too_long": "网址最多 {max_length} 个字符",
    "url_scheme": "网址必须以 {expected_schemes} 开头",
    "uuid_type": "必须是 UUID",
    "uuid_parsing": "必须是有效的 UUID",
}
"""Pydantic's error type -> its zh-CN words, with the error's ``ctx`` values as ``{name}``, and
``{given}``: the length of the rejected text or list. ``type:name=value`` is the words for that
``ctx`` value (an empty list item reads 不能为空, not 至少 1 个字符; an empty field reads
:data:`REQUIRED`). Our validators' own texts
(``value_error``, ``assertion_error``) are worded by :mod:`problem_texts`."""

REQUIRED = ("Field required", "此项必填")
"""An empty (or blank) text where one is required (``min_length`` 1, or one of our patterns):
the words of a missing field, not "at least 1 character" or what the pattern allows."""
EMPTY_ITEM = ("must not be empty", "不能为空")
"""The same for an item of a list, which is named by its position."""
BLANK_KINDS = frozenset({"string_too_short", "string_pattern_mismatch"})

FALLBACK_ZH = "输入无效"
"""A type not in :data:`ZH_CN`: the generic words rather than pydantic's English."""

OWN_TEXT = {"value_error": "Value error, ", "assertion_error": "Assertion failed, "}
"""The types whose message is our validator's text, after pydantic's prefix."""

_ITEM = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|None|True|False"""
"""One of the reprs pydantic lists in ``expected`` ("'a', 'b' or 'c'")."""
SHOWN = 20
"""Characters of a rejected list item that name it (longer ones end in …)."""


@dataclass(frozen=True)
class InputError:
    """What a text needs of one pydantic error: its type, ctx and English message, the length
    of the rejected value, and the value itself when it is a list item (to name it)."""

    kind: str
    message: str
    ctx: Mapping[str, Any] = field(default_factory=dict)
    given: int | None = None
    item: str | None = None
    position: int | None = None
    """A list item's place (1 = the first) when its value cannot name it (blank, not text)."""
    blank: bool = False
    """The rejected value is a text of only spaces, or empty."""

    @classmethod
    def of(cls, error: Mapping[str, Any]) -> InputError:
        value = error.get("input")
        loc = tuple(error.get("loc", ()))
        kind = str(error.get("type", ""))
        item = position = None
        # a list item's index (a broken JSON's loc ends in its offset instead: not an item)
        if loc and type(loc[-1]) is int and not kind.startswith("json_"):
            if isinstance(value, str) and value.strip():
                item = repr(value if len(value) <= SHOWN else value[:SHOWN] + "…")
            else:
                position = loc[-1] + 1
        return cls(
            kind=kind,
            message=str(error.get("msg", "")),
            ctx=dict(error.get("ctx") or {}),
            given=len(value) if isinstance(value, str | list | dict) else None,
            item=item,
            position=position,
            blank=isinstance(value, str) and not value.strip(),
        )

    def text(self, lang: str) -> str:
        """The message in ``lang`` (English or zh-CN), after the item it is about."""
        words = self._words(lang)
        chinese = lang == CHINESE
        about = self.item
        if self.position is not None:
            about = f"第 {self.position} 项" if chinese else f"item {self.position}"
        if about is None:
            return words
        return f"{about}：{words}" if chinese else f"{about}: {words}"

    def _required(self) -> bool:
        """An empty text refused for being empty: too short for ``min_length`` 1, or not
        matching one of our patterns (which all need a character)."""
        if not self.blank or self.kind not in BLANK_KINDS:
            return False
        if self.kind == "string_too_short":
            return self.ctx.get("min_length") == 1
        return str(self.ctx.get("pattern")) in PATTERNS

    def _words(self, lang: str) -> str:
        if self._required():
            words = EMPTY_ITEM if self.position is not None else REQUIRED
            return words[1] if lang == CHINESE else words[0]
        if self.kind in OWN_TEXT:
            return translate(self.message.removeprefix(OWN_TEXT[self.kind]), lang)
        if self.kind == "string_pattern_mismatch":
            described = PATTERNS.get(str(self.ctx.get("pattern")))
            if described is not None:
                return described[1] if lang == CHINESE else described[0]
        if lang != CHINESE:
            return self.message
        template = zh_template(self.kind, self.ctx)
        values = {name: _shown(name, value) for name, value in self.ctx.items()}
        values["given"] = "?" if self.given is None else str(self.given)
        try:
            return template.format_map(values)
        except (KeyError, IndexError, ValueError):
            return FALLBACK_ZH


def zh_template(kind: str, ctx: Mapping[str, Any]) -> str:
    """The zh-CN template of an error: for its ``ctx`` value, else its type, else the generic."""
    for name, value in ctx.items():
        special = ZH_CN.get(f"{kind}:{name}={value}")
        if special is not None:
            return special
    return ZH_CN.get(kind, FALLBACK_ZH)


def _shown(name: str, value: Any) -> str:
    """A ctx value as zh-CN puts it: pydantic's "'a', 'b' or 'c'" (or "'a', 'b'") becomes
    'a'、'b' 或 'c' (or 'a'、'b'), 600.0 becomes 600; any other value as it is."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # as pydantic's English writes it: 600, not 600.0
    text = str(value)
    items: list[str] = re.findall(_ITEM, text) if name.startswith("expected") else []
    if len(items) < 2:
        return text
    if text == ", ".join(items):
        return "、".join(items)
    if text == ", ".join(items[:-1]) + " or " + items[-1]:
        return "、".join(items[:-1]) + " 或 " + items[-1]
    return text
