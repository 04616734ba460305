"""Pydantic's validation errors in the client's language (admin_api/input_errors.py): every error
type the API's request models can raise, and every pattern they use, has its zh-CN words; a
zh-CN answer never carries pydantic's English or a regex, and an English one stays pydantic's
(our patterns described, a rejected list item named).

The error types come from the request models themselves: the route table's parameters and
bodies, and the models validated by hand, read as pydantic's core schemas."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic_core.core_schema import ErrorType
from records_kit import CONFIG, PASSWORD, Kit, kit_fixture  # noqa: F401  (the fixture "kit")

from chatflow.admin_api.app import create_app
from chatflow.admin_api.flow_upload import VersionUpload
from chatflow.admin_api.input_errors import FALLBACK_ZH, OWN_TEXT, PATTERNS, ZH_CN, InputError
from chatflow.admin_api.problem_language import CHINESE, ENGLISH
from chatflow.admin_api.problems import field_errors
from chatflow.admin_api.routes_agents import AgentText
from chatflow.admin_api.settings import ServeSettings
from chatflow.channels.webhook import InboundMessage

ROOT = Path(__file__).resolve().parents[3]
ZH = {"Accept-Language": "zh-CN"}

BY_HAND: dict[str, type[BaseModel]] = {
    "VersionUpload": VersionUpload,  # flow_upload: a flow version as JSON
    "AgentText": AgentText,  # routes_agents: an agent's message
    "InboundMessage": InboundMessage,  # channels/webhook.py: a provider's message
}
"""The models the source validates itself (``X.model_validate_json(...)``), beside the routes'."""

FRAMEWORK = {"missing", "json_invalid"}
"""What FastAPI raises itself: a required parameter or body that is absent, a body not JSON."""

SHAPE = {
    "model-field",
    "model",
    "default",
    "nullable",
    "union",
    "definitions",
    "definition-ref",
    "any",
    "no-info",
    "with-info",
    "json-or-python",
    "lax-or-strict",
    "chain",
}
"""Core schema types that raise nothing of their own (their inner schemas do)."""


def _bounds(schema: Mapping[str, Any]) -> set[str]:
    names = {
        "gt": "greater_than",
        "ge": "greater_than_equal",
        "lt": "less_than",
        "le": "less_than_equal",
        "multiple_of": "multiple_of",
    }
    return {error for key, error in names.items() if key in schema}


def _lengths(schema: Mapping[str, Any], short: str, long: str) -> set[str]:
    return ({short} if "min_length" in schema else set()) | (
        {long} if "max_length" in schema else set()
    )


def _own_errors(schema: Mapping[str, Any]) -> set[str] | None:
    """What one core schema node can raise itself (None: a type this table does not know)."""
    kind = schema["type"]
    if kind in SHAPE:
        return set()
    if kind == "str":
        pattern = {"string_pattern_mismatch"} if "pattern" in schema else set()
        return {"string_type"} | pattern | _lengths(schema, "string_too_short", "string_too_long")
    if kind == "int":
        parsing = {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}
        return parsing | _bounds(schema)
    if kind == "float":
        finite = {"finite_number"} if schema.get("allow_inf_nan") is False else set()
        return {"float_type", "float_parsing"} | finite | _bounds(schema)
    if kind == "bool":
        return {"bool_type"} if schema.get("strict") else {"bool_type", "bool_parsing"}
    if kind == "list":
        return {"list_type"} | _lengths(schema, "too_short", "too_long")
    if kind == "dict":
        return {"dict_type"} | _lengths(schema, "too_short", "too_long")
    if kind == "model-fields":
        extra = {"extra_forbidden"} if schema.get("extra_behavior") == "forbid" else set()
        return {"missing", "model_type", "model_attributes_type", "dict_type"} | extra
    if kind in ("literal", "enum", "none"):
        return {"literal": {"literal_error"}, "enum": {"enum"}, "none": {"none_required"}}[kind]
    if kind == "datetime":
        return {"datetime_type", "datetime_parsing", "datetime_from_date_parsing"}
    if kind == "date":
        return {"date_type", "date_parsing", "date_from_datetime_parsing"}
    if kind.startswith("function-"):
        return set(OWN_TEXT)
    if kind == "tagged-union":
        return {"union_tag_invalid", "union_tag_not_found"}
    return None


def _walk(node: Any, errors: set[str], patterns: set[str], unknown: set[str]) -> None:
    if isinstance(node, Mapping):
        if isinstance(node.get("type"), str):
            own = _own_errors(node)
            if own is None:
                unknown.add(node["type"])
            else:
                errors |= own
            if node["type"] == "str" and "pattern" in node:
                patterns.add(node["pattern"])
        for key, value in node.items():
            if key not in ("metadata", "serialization", "ref", "json_schema_extra"):
                _walk(value, errors, patterns, unknown)
    elif isinstance(node, list | tuple):
        for value in node:
            _walk(value, errors, patterns, unknown)


def _fields(dependant: Dependant) -> Iterator[Any]:
    yield from dependant.path_params
    yield from dependant.query_params
    yield from dependant.header_params
    yield from dependant.cookie_params
    yield from dependant.body_params
    for sub in dependant.dependencies:
        yield from _fields(sub)


@pytest.fixture(scope="module")
def raised() -> tuple[set[str], set[str]]:
    """(error types, patterns) of every request model of the app, as their schemas say."""
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "chatflow.yaml"
        config.write_text(CONFIG)
        app = create_app(ServeSettings(config=config, data=Path(folder) / "data", env={}))
        app.state.records.dispose()  # never started; only its route table is read
    schemas: list[Any] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            schemas += [field._type_adapter.core_schema for field in _fields(route.dependant)]
    schemas += [model.__pydantic_core_schema__ for model in BY_HAND.values()]
    errors, patterns, unknown = set(FRAMEWORK), set[str](), set[str]()
    for schema in schemas:
        _walk(schema, errors, patterns, unknown)
    assert not unknown, f"teach _own_errors what these core schemas raise: {sorted(unknown)}"
    assert len(schemas) > 100  # the walk found the routes (a broken walk finds nothing)
    return errors, patterns


def test_the_models_validated_by_hand_are_all_known() -> None:
    called = set()
    for area in ("admin_api", "channels"):
        for file in (ROOT / area).rglob("*.py"):
            called |= set(re.findall(r"(\w+)\.model_validate(?:_json)?\(", file.read_text()))
    assert called == set(BY_HAND)


def test_every_error_type_the_requests_can_raise_has_zh_cn_words(
    raised: tuple[set[str], set[str]],
) -> None:
    errors, _ = raised
    assert {"string_pattern_mismatch", "less_than_equal", "literal_error"} <= errors
    missing = sorted(kind for kind in errors if kind not in ZH_CN and kind not in OWN_TEXT)
    assert not missing, f"add these to input_errors.ZH_CN: {missing}"


def test_every_pattern_of_the_requests_is_described(raised: tuple[set[str], set[str]]) -> None:
    _, patterns = raised
    assert len(patterns) >= 4
    assert sorted(patterns - set(PATTERNS)) == [], "describe them in input_errors.PATTERNS"


def test_the_table_names_pydantic_types_and_no_regex() -> None:
    types = set(get_args(ErrorType))
    assert {key.partition(":")[0] for key in ZH_CN} <= types
    for described in PATTERNS.values():
        assert all(not re.search(r"[\^$\\\[\]]", text) for text in described), described


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class Cat(BaseModel):
    kind: Literal["cat"]


class Dog(BaseModel):
    kind: Literal["dog"]


def _no_dots(value: str) -> str:
    if "." in value:
        raise ValueError("the name must not be blank")  # a catalogue text of ours
    return value


def _no_bangs(value: str) -> str:
    if "!" in value:  # raised, not asserted: pytest rewrites this module's asserts
        raise AssertionError("the name must not contain control characters")
    return value


class Everything(BaseModel):
    """A model with one field of each kind the request models have, to make real errors."""

    model_config = ConfigDict(extra="forbid")
    needed: str
    text: str = ""
    filled: str = Field(default="x", min_length=1)
    short: str = Field(default="xxx", min_length=3)
    long: str = Field(default="", max_length=5)
    key: str = Field(default="k", pattern=r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
    code: str = Field(default="a", pattern=r"^[a-c]+$")
    whole: int = 1
    bounded: int = Field(default=5, ge=1, le=100)
    above: float = Field(default=1, gt=0, lt=600)
    even: int = Field(default=2, multiple_of=2)
    finite: float = Field(default=0, allow_inf_nan=False)
    flag: bool = False
    items: list[str] = Field(default_factory=list, min_length=0, max_length=2)
    some: list[str] = Field(default_factory=lambda: ["x"], min_length=1)
    mapping: dict[str, int] = Field(default_factory=dict, max_length=1)
    choice: Literal["fifo", "priority"] = "fifo"
    colour: Colour = Colour.RED
    when: datetime | None = None
    day: date | None = None
    pet: Annotated[Cat | Dog, Field(discriminator="kind")] | None = None
    nothing: None = None
    checked: Annotated[str, AfterValidator(_no_dots)] = ""
    asserted: Annotated[str, AfterValidator(_no_bangs)] = ""


BAD: dict[str, Any] = {
    "text": 5,
    "filled": "",
    "short": "ab",
    "long": "x" * 9,
    "key": "bad key!",
    "code": "xyz",
    "whole": "seven",
    "bounded": 0,
    "above": 0,
    "even": 3,
    "finite": "inf",
    "flag": "perhaps",
    "items": ["a", "b", "c"],
    "some": [],
    "mapping": {"a": 1, "b": 2},
    "choice": "random",
    "colour": "green",
    "when": "yesterday",
    "day": "someday",
    "pet": {"kind": "fish"},
    "nothing": 1,
    "checked": "a.b",
    "surplus": 1,
}
MORE_BAD: list[dict[str, Any]] = [
    {"needed": "x", "whole": 1.5, "bounded": 101, "above": 600, "items": "no", "pet": {}},
    {"needed": "x", "whole": [], "flag": [], "mapping": [], "when": [], "day": [], "finite": []},
    {"needed": "x", "whole": "9" * 5000, "above": "high", "when": 10**20},
    {"needed": "x", "asserted": "hey!"},
]


def _errors() -> list[Any]:
    out: list[Any] = []
    for data in (BAD, *MORE_BAD):
        with pytest.raises(ValidationError) as caught:
            Everything.model_validate(data)
        out += caught.value.errors()
    for wrong in ("[1]", "{nope"):
        with pytest.raises(ValidationError) as caught:
            Everything.model_validate_json(wrong)
        out += caught.value.errors()
    with pytest.raises(ValidationError) as caught:
        Everything.model_validate("not an object", from_attributes=True)
    return out + caught.value.errors()


def test_real_errors_read_as_words_in_zh_cn(raised: tuple[set[str], set[str]]) -> None:
    """Every type the requests raise, made for real, reads as Chinese words: no English, no
    regex, no placeholder left, not the generic words."""
    made = _errors()
    kinds = {e["type"] for e in made}
    assert sorted(raised[0] - kinds) == [], "make these in Everything too"
    for error in made:
        text = InputError.of(error).text(CHINESE)
        assert text != FALLBACK_ZH, error
        assert re.search("[\u4e00-\u9fff]", text), (error["type"], text)
        assert not re.search(r"[{}^$\\]|should|Input|String", text), (error["type"], text)


def _bad_by_field() -> dict[str, dict[str, Any]]:
    """The errors of :data:`BAD`, by field (the first of each)."""
    with pytest.raises(ValidationError) as caught:
        Everything.model_validate(BAD)
    out: dict[str, dict[str, Any]] = {}
    for error in caught.value.errors():
        out.setdefault(str(error["loc"][0]), dict(error))
    return out


def test_zh_cn_words_say_what_is_allowed() -> None:
    by_field = {name: InputError.of(e).text(CHINESE) for name, e in _bad_by_field().items()}
    assert by_field["filled"] == "此项必填"  # an empty required text: as if it were missing
    assert by_field["short"] == "至少 3 个字符"
    assert by_field["long"] == "最多 5 个字符（现有 9 个）"
    assert by_field["key"] == "只能包含字母、数字、_ 和 -，且不能以 - 开头"
    assert by_field["code"] == "格式不正确"  # a pattern not ours: never the regex
    assert by_field["bounded"] == "不能小于 1"
    assert by_field["choice"] == "必须是 'fifo' 或 'priority'"
    assert by_field["colour"] == "必须是 'red' 或 'blue'"
    assert by_field["surplus"] == "不支持这个字段"
    assert by_field["needed"] == "此项必填"
    assert by_field["checked"] == "名称不能为空"  # our validator's text, from the catalogue
    assert by_field["items"] == "最多 2 项（现有 3 项）"


def test_english_stays_pydantics_with_our_patterns_described() -> None:
    errors = _bad_by_field()
    for name in ("bounded", "choice", "code", "surplus"):
        assert InputError.of(errors[name]).text(ENGLISH) == errors[name]["msg"]
    assert InputError.of(errors["filled"]).text(ENGLISH) == "Field required"
    assert InputError.of(errors["key"]).text(ENGLISH) == (
        "use only letters, digits, _ and -, and do not start with -"
    )
    assert InputError.of(errors["checked"]).text(ENGLISH) == "the name must not be blank"


def test_a_rejected_list_item_is_named_by_its_value() -> None:
    class Words(BaseModel):
        words: list[Annotated[str, Field(min_length=1, max_length=5)]]

    with pytest.raises(ValidationError) as caught:
        Words.model_validate({"words": ["ok", "x" * 30, ""]})
    long, empty = field_errors(caught.value.errors(), "body")
    assert long["path"] == "body.words.1"
    shown = "'" + "x" * 20 + "…'"
    assert long["message"] == f"{shown}: String should have at most 5 characters"
    assert long.error.text(CHINESE) == f"{shown}：最多 5 个字符（现有 30 个）"
    assert empty["message"] == "item 3: must not be empty"  # blank: named by its place
    assert empty.error.text(CHINESE) == "第 3 项：不能为空"


def test_an_empty_required_text_reads_as_required() -> None:
    """QA finding 10: an empty (or blank) text that must have a character reads "required",
    not "at least 1 character" nor what the pattern allows; a short one keeps those words."""

    class Form(BaseModel):
        nick: str = Field(min_length=1)
        key: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
        name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
        pin: str = Field(min_length=4)
        code: str = Field(pattern=r"^[a-c]*x$")
        ids: list[Annotated[str, Field(min_length=1)]]

    with pytest.raises(ValidationError) as caught:
        Form.model_validate(
            {"nick": "", "key": "", "name": "   ", "pin": "", "code": "", "ids": [1]}
        )
    placed = {e["path"]: e for e in field_errors(caught.value.errors(), "body")}
    for path in ("body.nick", "body.key", "body.name"):
        assert placed[path]["message"] == "Field required", path
        assert placed[path].error.text(CHINESE) == "此项必填", path
    assert placed["body.pin"].error.text(CHINESE) == "至少 4 个字符"  # not only "required"
    assert placed["body.code"].error.text(CHINESE) == "格式不正确"  # not our pattern: as before
    # an item that is not text is named by its place too
    assert placed["body.ids.0"].error.text(CHINESE) == "第 1 项：必须是文本"
    assert placed["body.ids.0"]["message"] == "item 1: Input should be a valid string"


# -- through the API -------------------------------------------------------------------------


def _errors_of(kit: Kit, method: str, url: str, body: Any, lang: str | None) -> list[Any]:
    headers = {**kit.as_("admin01"), **({"Accept-Language": lang} if lang else {})}
    answer = kit.client.request(method, url, json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-language"] == (CHINESE if lang and "zh" in lang else ENGLISH)
    errors: list[Any] = answer.json()["errors"]
    return errors


def test_the_qa_reports_dialogs_answer_in_chinese(kit: Kit) -> None:
    """Finding 4's cases: an empty quick reply, a bad site key and origin, a group's limits, a
    300-character sensitive word."""
    reply = _errors_of(kit, "POST", "/api/v1/quick-replies", {"title": "", "content": ""}, "zh")
    assert {e["message"] for e in reply} == {"此项必填"}
    site = {"key": "bad key!", "flow": "presales", "allowed_origins": ["not a url"]}
    placed = {
        e["path"]: e["message"]
        for e in _errors_of(kit, "POST", "/api/v1/admin/sites", site, "zh-CN")
    }
    assert placed["body.key"] == "只能包含字母、数字、_ 和 -，且不能以 - 开头"
    assert placed["body.allowed_origins.0"].startswith("'not a url'：必须是来源地址")
    group = {"id": "g1", "max_sessions": 0, "ring_timeout": 9999}
    placed = {
        e["path"]: e["message"]
        for e in _errors_of(kit, "POST", "/api/v1/admin/groups", group, "zh-CN")
    }
    assert placed == {"body.max_sessions": "不能小于 1", "body.ring_timeout": "不能大于 600"}
    # a too long sensitive word no longer refuses the request: the others are added, and it is
    # reported on its own, named by its first characters (test_words_added_each_on_its_own.py)
    words = {"kind": "forbidden", "words": ["fine", "长" * 300]}
    headers = {**kit.as_("admin01"), **ZH}
    added = kit.client.post("/api/v1/sensitive-words", json=words, headers=headers)
    assert added.status_code == 201, added.text
    assert added.json()["refused"] == [
        {
            "index": 1,
            "word": f"{'长' * 20}…",
            "code": "too_long",
            "message": "最多 50 个字符（现有 300 个）",
        }
    ]
    query = _errors_of(kit, "GET", "/api/v1/sensitive-words?limit=many", None, "zh-CN")
    assert query == [{"path": "query.limit", "message": "必须是整数"}]


def test_english_answers_keep_pydantics_words(kit: Kit) -> None:
    group = {"id": "g1", "max_sessions": 0}
    [error] = _errors_of(kit, "POST", "/api/v1/admin/groups", group, None)
    assert error["message"] == "Input should be greater than or equal to 1"
    [error] = _errors_of(kit, "POST", "/api/v1/admin/groups", {"id": "bad key!"}, "en-US")
    assert error["message"] == "use only letters, digits, _ and -, and do not start with -"


def test_a_body_that_is_not_json_and_a_hand_validated_one(kit: Kit) -> None:
    headers = {**kit.as_("admin01"), **ZH, "Content-Type": "application/json"}
    broken = kit.client.post("/api/v1/admin/groups", content=b"{nope", headers=headers)
    assert broken.status_code == 422
    assert [e["message"] for e in broken.json()["errors"]] == ["不是有效的 JSON"]
    upload = {"yaml": "id: presales", "notes": "a typo of note"}
    flow = kit.client.post("/api/v1/admin/flows/presales/versions", json=upload, headers=headers)
    assert flow.status_code == 422, flow.text
    assert flow.json()["errors"] == [{"path": "body.notes", "message": "不支持这个字段"}]
