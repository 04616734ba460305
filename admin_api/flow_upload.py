"""What the flow routes receive and how they check it: a flow's YAML text, or its document.

A flow arrives as a ``text/yaml`` body, as JSON ``{"yaml": ...}`` or as JSON ``{"document":
...}`` (the flow as data, from the visual editor). A document becomes YAML text here, so
everything after (the check, the stored version) only ever sees text: written onto the text of
the version it was edited from (``base``) by :func:`~chatflow.engine.flowmerge.merge_document`,
which keeps that text's comments, or else anew by :func:`~chatflow.engine.flowdump.dump_flow`.
The check is the one ``chatflow validate`` runs, plus the flow id of the URL;
:mod:`~chatflow.admin_api.routes_flows` answers with it (``/check``) or refuses an upload with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Self

from anyio import to_thread
from fastapi import Query, Request
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import Engine

from chatflow.admin_api.permissions import Actor
from chatflow.admin_api.problems import ApiProblem, field_errors
from chatflow.admin_api.tenants import MAX_INT, ApiModel
from chatflow.engine import flowversions as fv
from chatflow.engine.errors import NotFoundError, Problem
from chatflow.engine.flow import FlowBase
from chatflow.engine.flowdump import dump_flow, has_comments
from chatflow.engine.flowmerge import merge_document
from chatflow.engine.yamlsource import MAX_BYTES
from chatflow.nodes import LANGUAGE

YAML_TYPES = ("text/yaml", "application/yaml", "application/x-yaml", "text/x-yaml", "text/plain")


class FlowUpload(ApiModel):
    """A flow as JSON: its text (``yaml``) or its data (``document``), exactly one of them."""

    yaml: Annotated[str, Field(min_length=1, max_length=MAX_BYTES)] | SkipJsonSchema[None] = None
    """The ``*.flow.yaml`` text."""
    document: dict[str, Any] | SkipJsonSchema[None] = None
    """The flow as JSON data (a version's ``document``), turned into YAML text."""
    note: str = Field(default="", max_length=500)
    """What changed, for the version list."""

    @field_validator("document", mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, dict):
            raise ValueError(
                f"the document must be a JSON object (the flow as data), not {_json_kind(value)}"
            )
        return value

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if (self.yaml is None) == (self.document is None):
            raise ValueError(
                'send exactly one of "yaml" (the flow text) and "document" (the flow as JSON)'
            )
        return self


class VersionUpload(FlowUpload):
    """A flow as JSON for a save or a check: a ``document`` may name the version it was edited
    from, whose comments the stored text keeps."""

    base: int | SkipJsonSchema[None] = Field(default=None, ge=1, le=MAX_INT)
    """The version of this flow the ``document`` was edited from: the text saved is that
    version's YAML with the document's changes, its comments kept where their parts are. Without
    it the document is written anew, without comments."""

    @model_validator(mode="after")
    def _base_with_a_document(self) -> Self:
        if self.base is not None and self.document is None:
            raise ValueError(
                '"base" goes with "document" (the version the document was edited from); '
                '"yaml" is stored as it is'
            )
        return self


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "a boolean" if isinstance(value, bool) else "a number"


def _json_form() -> dict[str, Any]:
    schema = VersionUpload.model_json_schema()
    for name in ("yaml", "document", "base"):
        del schema["properties"][name]["default"]  # absent, not null: the oneOf says which
    schema["oneOf"] = [
        {"required": ["yaml"], "not": {"required": ["base"]}},
        {"required": ["document"]},
    ]
    return schema


UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/yaml": {"schema": {"type": "string", "minLength": 1}},
            "application/json": {"schema": _json_form()},
        },
    }
}
"""The OpenAPI request body of the routes that take a flow (they read it with :func:`flow_text`)."""


@dataclass(frozen=True)
class FlowText:
    """A flow as a save or a check received it: its text, or its document (and ``base``, the
    version it was edited from); :func:`stored_text` says what text that is."""

    note: str
    yaml: str | None = None
    document: dict[str, Any] | None = None
    base: int | None = None


async def flow_text(
    request: Request,
    note: Annotated[str, Query(max_length=500, description="Note for a text/yaml body.")] = "",
) -> FlowText:
    """The flow from a ``text/yaml`` body, or a JSON ``{yaml | document, base?, note}`` body."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        raise ApiProblem(413, "too_large", f"a flow is at most {MAX_BYTES} bytes")
    if media == "application/json":
        return await _from_json(raw)
    if media in YAML_TYPES:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ApiProblem(
                422, "invalid_input", f"the body is not UTF-8 (byte {exc.start})"
            ) from None
        return FlowText(yaml=text, note=note)
    raise ApiProblem(
        415,
        "unsupported_media_type",
        "send the flow as text/yaml, or as application/json "
        '{"yaml": ..., "note": ...} or {"document": ..., "note": ...}',
    )


async def _from_json(raw: bytes) -> FlowText:
    try:
        upload = VersionUpload.model_validate_json(raw)
    except ValidationError as exc:
        errors = field_errors(exc.errors(), "body")
        raise ApiProblem(422, "invalid_input", "the request is not valid", errors=errors) from None
    return FlowText(note=upload.note, yaml=upload.yaml, document=upload.document, base=upload.base)


def stored_text(engine: Engine, actor: Actor, flow_id: str, upload: FlowText) -> str:
    """The text a save of ``upload`` stores, and a check shows: its ``yaml``; or its
    ``document`` merged onto the text of its ``base`` version (422 ``unknown_base`` when the
    flow has no such version), or dumped when there is no base or the merge is refused; 413
    when that is larger than a flow may be. Pure Python, up to seconds on a large flow: call it
    off the event loop."""
    if upload.yaml is not None:
        return upload.yaml
    assert upload.document is not None  # one of the two, by FlowUpload's validator
    text = None
    if upload.base is not None:
        try:
            base = fv.get_version(engine, actor.merchant_id, flow_id, upload.base)
        except NotFoundError:
            message = (
                f"flow {flow_id!r} has no version {upload.base} to write the document onto; "
                '"base" is the version the document was edited from (it may have been deleted: '
                "open the flow again)"
            )
            raise ApiProblem(
                422, "unknown_base", message, errors=[{"path": "body.base", "message": message}]
            ) from None
        text = merge_document(base.yaml, upload.document)
    return _sized(text if text is not None else dump_flow(upload.document))


async def upload_text(upload: FlowUpload) -> str:
    """The flow's text: the upload's ``yaml``, or its ``document`` dumped to YAML (413 when the
    dump is larger than a flow may be)."""
    if upload.yaml is not None:
        return upload.yaml
    assert upload.document is not None  # one of the two, by FlowUpload's validator
    # pure Python, about a second per 100 000 values: off the event loop (the JSON parser
    # bounds the nesting, at about 200)
    return _sized(await to_thread.run_sync(dump_flow, upload.document))


def _sized(text: str) -> str:
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise ApiProblem(
            413, "too_large", f"the document is {size} bytes as YAML; a flow is at most {MAX_BYTES}"
        )
    return text


class IssueOut(ApiModel):
    """A problem in the flow text, placed like ``chatflow validate`` places it."""

    line: int
    column: int
    message: str
    path: str
    """JSON path of the value (``$.nodes.menu.options[0]``)."""
    code: str


class FlowCheck(ApiModel):
    """What the check of a flow found (nothing is saved)."""

    errors: list[IssueOut]
    """Problems that refuse a save."""
    warnings: list[IssueOut]
    """Problems a save keeps (unreachable nodes, ...)."""
    yaml: str
    """The text a save would store (a ``document`` body's YAML)."""
    comments: bool
    """True when ``yaml`` has comments (a document written anew, without a ``base`` or too
    large to merge onto it, has none)."""


def _issue(p: Problem) -> IssueOut:
    return IssueOut(line=p.line, column=p.column, message=p.message, path=p.json_path, code=p.code)


def check_text(engine: Engine, actor: Actor, flow_id: str, text: str) -> FlowCheck:
    """Check a flow's text as ``chatflow validate`` does, against the merchant's groups, and that
    its id is the URL's."""
    return _check(engine, actor, flow_id, text)[0]


def _check(
    engine: Engine, actor: Actor, flow_id: str, text: str
) -> tuple[FlowCheck, FlowBase | None]:
    """:func:`check_text`, with the flow the check parsed (None when it does not parse)."""
    result = fv.check_flow_text(
        text,
        LANGUAGE,
        source=f"{flow_id}.flow.yaml",
        groups=fv.merchant_group_ids(engine, actor.merchant_id),
        where=f"merchant {actor.merchant_id!r}",
    )
    problems = list(result.problems)
    if result.flow is not None and result.flow.id != flow_id and result.document is not None:
        problems.insert(
            0,
            result.document.problem(
                f"the flow's id is {result.flow.id!r} but it is uploaded as {flow_id!r}; "
                "they must be the same",
                ("id",),
                code="flow-id",
            ),
        )
    found = FlowCheck(
        errors=[_issue(p) for p in problems if p.severity == "error"],
        warnings=[_issue(p) for p in problems if p.severity != "error"],
        yaml=text,
        comments=has_comments(text),
    )
    return found, result.flow


def checked(engine: Engine, actor: Actor, flow_id: str, text: str) -> list[IssueOut]:
    """The warnings of a flow that has no error; 422 with every problem otherwise."""
    found, _flow = _check(engine, actor, flow_id, text)
    _refuse_errors(flow_id, found)
    return found.warnings


def checked_flow(engine: Engine, actor: Actor, flow_id: str, text: str) -> FlowBase:
    """The flow a text without errors parses to (parsed once, by the check); 422 otherwise."""
    found, flow = _check(engine, actor, flow_id, text)
    _refuse_errors(flow_id, found)
    assert flow is not None  # a text without errors parses
    return flow


def _refuse_errors(flow_id: str, found: FlowCheck) -> None:
    if found.errors:
        count = len(found.errors)
        raise ApiProblem(
            422,
            "invalid_flow",
            f"flow {flow_id!r} has {count} error{'s' if count > 1 else ''}; nothing was saved",
            errors=[e.model_dump() for e in found.errors],
            warnings=[w.model_dump() for w in found.warnings],
        )
