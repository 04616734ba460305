"""Flows of a merchant as numbered versions: upload drafts, publish, diff, roll back, delete.

An upload is checked exactly like ``chatflow validate`` checks a file (same messages, placed at
line and column, transfers checked against the merchant's groups) and refused with every error
at once. New sessions start on the published version; running ones keep theirs. Drafts can be
deleted, and a whole flow once no enabled site runs it and no conversation of it still runs.
The storage and numbering live in :mod:`chatflow.engine.flowversions`; this module is the HTTP
face of it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from anyio import from_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import Field, ValidationError
from sqlalchemy import Engine

from chatflow.admin_api.agent_access import services_of
from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problems import ApiProblem
from chatflow.admin_api.tenants import MAX_INT, ApiModel, FlowId, NumericId, records
from chatflow.engine import flowversions as fv
from chatflow.engine.errors import NotFoundError, Problem
from chatflow.engine.runtime import Runtime
from chatflow.engine.yamlsource import MAX_BYTES
from chatflow.nodes import LANGUAGE

router = APIRouter(prefix="/api/v1/admin/flows", tags=["flows"])
log = logging.getLogger("chatflow.api.flows")

Records = Annotated[Engine, Depends(records)]
Viewer = Annotated[Actor, Depends(require("flows"))]
Editor = Annotated[Actor, Depends(require("flows", "edit"))]
YAML_TYPES = ("text/yaml", "application/yaml", "application/x-yaml", "text/x-yaml", "text/plain")


class FlowUpload(ApiModel):
    """A flow file's text, as JSON (the alternative to a ``text/yaml`` body)."""

    yaml: str = Field(min_length=1, max_length=MAX_BYTES)
    """The ``*.flow.yaml`` text."""
    note: str = Field(default="", max_length=500)
    """What changed, for the version list."""


class Rollback(ApiModel):
    """Which older version to publish again."""

    version: int = Field(ge=1, le=MAX_INT)
    """The version whose text becomes the new published version."""
    note: str = Field(default="", max_length=500)
    """Why (default: ``rollback to version N``)."""


class FlowOut(ApiModel):
    """A flow of the merchant."""

    flow_id: str
    versions: int
    latest_version: int
    published_version: int | None
    """The version new sessions start on."""
    sites: list[str]
    """The merchant's sites that run this flow."""


class IssueOut(ApiModel):
    """A problem in the flow text, placed like ``chatflow validate`` places it."""

    line: int
    column: int
    message: str
    path: str
    """JSON path of the value (``$.nodes.menu.options[0]``)."""
    code: str


class VersionOut(ApiModel):
    """One version (without its text)."""

    flow_id: str
    version: int
    status: str
    """``draft``, ``published`` or ``archived``."""
    created_by: str
    created_at: datetime
    note: str
    warnings: list[IssueOut] = Field(default_factory=list)
    """Warnings found when it was saved or published (errors refuse the request)."""


class VersionDetail(VersionOut):
    """One version with its text."""

    yaml: str


UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/yaml": {"schema": {"type": "string", "minLength": 1}},
            "application/json": {"schema": FlowUpload.model_json_schema()},
        },
    }
}


class FlowText(ApiModel):
    yaml: str
    note: str


async def flow_text(
    request: Request,
    note: Annotated[str, Query(max_length=500, description="Note for a text/yaml body.")] = "",
) -> FlowText:
    """The uploaded text from a ``text/yaml`` body or a JSON ``{yaml, note}`` body."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        raise ApiProblem(413, "too_large", f"a flow is at most {MAX_BYTES} bytes")
    if media == "application/json":
        try:
            upload = FlowUpload.model_validate_json(raw)
        except ValidationError as exc:
            errors = [
                {"path": ".".join(["body", *map(str, e["loc"])]), "message": e["msg"]}
                for e in exc.errors()
            ]
            raise ApiProblem(
                422, "invalid_input", "the request is not valid", errors=errors
            ) from None
        return FlowText(yaml=upload.yaml, note=upload.note)
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
        'send the flow as text/yaml, or as application/json {"yaml": ..., "note": ...}',
    )


def _issue(p: Problem) -> IssueOut:
    return IssueOut(line=p.line, column=p.column, message=p.message, path=p.json_path, code=p.code)


def _checked(engine: Engine, actor: Actor, flow_id: str, text: str) -> list[IssueOut]:
    """Validate like the CLI; 422 with every error, else the warnings."""
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
    errors = [_issue(p) for p in problems if p.severity == "error"]
    warnings = [_issue(p) for p in problems if p.severity != "error"]
    if errors:
        raise ApiProblem(
            422,
            "invalid_flow",
            f"flow {flow_id!r} has {len(errors)} error{'s' if len(errors) > 1 else ''}; "
            "nothing was saved",
            errors=[e.model_dump() for e in errors],
            warnings=[w.model_dump() for w in warnings],
        )
    return warnings


def _out(version: fv.FlowVersion, warnings: list[IssueOut] | None = None) -> VersionOut:
    return VersionOut(
        flow_id=version.flow_id,
        version=version.version,
        status=version.status,
        created_by=version.created_by,
        created_at=version.created_at,
        note=version.note,
        warnings=warnings or [],
    )


def _save(
    engine: Engine, actor: Actor, flow_id: str, text: str, *, note: str, publish: bool
) -> VersionOut:
    """Check ``text`` (422 with every error) and store it as the flow's next version."""
    warnings = _checked(engine, actor, flow_id, text)
    saved = fv.save_version(
        engine,
        actor.merchant_id,
        flow_id,
        text,
        created_by=actor.principal.account,
        note=note,
        publish=publish,
    )
    return _out(saved, warnings)


@router.get("", response_model=list[FlowOut])
def list_flows(actor: Viewer, engine: Records) -> list[FlowOut]:
    """The merchant's flows with their published and latest versions."""
    sites = fv.sites_by_flow(engine, actor.merchant_id)
    return [
        FlowOut(
            flow_id=flow.flow_id,
            versions=flow.versions,
            latest_version=flow.latest_version,
            published_version=flow.published_version,
            sites=[s for s in sites.get(flow.flow_id, []) if actor.sees_site(s)],
        )
        for flow in fv.list_flows(engine, actor.merchant_id)
    ]


@router.get("/{flow_id}/versions", response_model=list[VersionOut])
def list_versions(flow_id: FlowId, actor: Viewer, engine: Records) -> list[VersionOut]:
    """Every version of a flow, oldest first."""
    return [_out(v) for v in fv.list_versions(engine, actor.merchant_id, flow_id)]


@router.post(
    "/{flow_id}/versions", response_model=VersionOut, status_code=201, openapi_extra=UPLOAD_BODY
)
def create_version(
    flow_id: FlowId,
    actor: Editor,
    upload: Annotated[FlowText, Depends(flow_text)],
    engine: Records,
    publish: Annotated[bool, Query(description="Publish the new version at once.")] = False,
) -> VersionOut:
    """Save a new version (a draft unless ``publish=true``); refused with every error at once."""
    return _save(engine, actor, flow_id, upload.yaml, note=upload.note, publish=publish)


@router.get("/{flow_id}/versions/{version}", response_model=VersionDetail)
def get_version(
    flow_id: FlowId, version: NumericId, actor: Viewer, engine: Records
) -> VersionDetail:
    """One version with its YAML text."""
    found = fv.get_version(engine, actor.merchant_id, flow_id, version)
    return VersionDetail(**_out(found).model_dump(), yaml=found.yaml)


@router.post("/{flow_id}/versions/{version}/publish", response_model=VersionOut)
def publish_version(
    flow_id: FlowId, version: NumericId, actor: Editor, engine: Records
) -> VersionOut:
    """Publish a version (re-checked against today's groups); the old published one is archived."""
    found = fv.get_version(engine, actor.merchant_id, flow_id, version)
    warnings = _checked(engine, actor, flow_id, found.yaml)
    return _out(fv.publish_version(engine, actor.merchant_id, flow_id, version), warnings)


@router.get(
    "/{flow_id}/diff",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def diff_versions(
    flow_id: FlowId,
    actor: Viewer,
    engine: Records,
    old: Annotated[int, Query(alias="from", ge=1, le=MAX_INT, description="Older version.")],
    new: Annotated[int, Query(alias="to", ge=1, le=MAX_INT, description="Newer version.")],
) -> PlainTextResponse:
    """A unified diff between two versions (empty when they are equal)."""
    text = fv.diff_versions(engine, actor.merchant_id, flow_id, old, new)
    return PlainTextResponse(text, media_type="text/plain; charset=utf-8")


@router.post("/{flow_id}/rollback", response_model=VersionOut, status_code=201)
def rollback(flow_id: FlowId, body: Rollback, actor: Editor, engine: Records) -> VersionOut:
    """Publish a copy of an older version as a new version (history is never rewritten)."""
    old = fv.get_version(engine, actor.merchant_id, flow_id, body.version)
    note = body.note or f"rollback to version {body.version}"
    return _save(engine, actor, flow_id, old.yaml, note=note, publish=True)


@router.delete("/{flow_id}/versions/{version}", status_code=204)
def delete_version(flow_id: FlowId, version: NumericId, actor: Editor, engine: Records) -> None:
    """Delete a draft (409 for the published version and for archived ones: only drafts go)."""
    try:
        fv.delete_version(engine, actor.merchant_id, flow_id, version)
    except fv.FlowVersionConflict as exc:
        raise ApiProblem(409, exc.code, f"flow {flow_id!r}: {exc.message}") from None
    log.info(
        "flows.version_deleted",
        extra={
            "merchant_id": actor.merchant_id,
            "flow_id": flow_id,
            "version": version,
            "account": actor.principal.account,
        },
    )


MAX_LISTED = 100
"""Running conversations a refusal names at most."""


@router.delete("/{flow_id}", status_code=204)
def delete_flow(flow_id: FlowId, actor: Editor, engine: Records, request: Request) -> None:
    """Delete a flow with all its versions, once no enabled site runs it (409 naming them) and no
    conversation of it still runs (409 naming them: close them or wait). Its numbers are kept:
    an upload under the same id later continues after them."""
    _refuse_if_used(actor, flow_id, fv.sites_running(engine, actor.merchant_id, flow_id))
    candidates = fv.unended_conversations(engine, actor.merchant_id, flow_id)
    if candidates:
        running = from_thread.run(
            _still_running, services_of(request).runtime, actor.merchant_id, flow_id, candidates
        )
        if running:
            seen = [sid for sid, site in running if actor.sees_site(site)]
            count = f"at least {MAX_LISTED}" if len(running) >= MAX_LISTED else str(len(running))
            raise ApiProblem(
                409,
                "flow_running",
                f"flow {flow_id!r} still has {count} running conversation"
                f"{'s' if len(running) > 1 else ''}; they would finish on their version, but a "
                "flow is deleted only when nothing uses it. Close them (POST "
                "/api/v1/records/batch/close) or wait until they end",
                sessions=seen,
            )
    try:
        deleted = fv.delete_flow(engine, actor.merchant_id, flow_id)
    except fv.FlowInUse as exc:  # a site was pointed at it meanwhile
        _refuse_if_used(actor, flow_id, exc.sites)
        raise
    log.info(
        "flows.deleted",
        extra={
            "merchant_id": actor.merchant_id,
            "flow_id": flow_id,
            "versions": deleted,
            "account": actor.principal.account,
        },
    )


def _refuse_if_used(actor: Actor, flow_id: str, sites: list[str]) -> None:
    """409 naming the enabled sites that run the flow (those outside the caller's scope counted)."""
    if not sites:
        return
    seen = [s for s in sites if actor.sees_site(s)]
    hidden = len(sites) - len(seen)
    names = [*seen, f"{hidden} outside your site scope"] if hidden else seen
    raise ApiProblem(
        409,
        "flow_in_use",
        f"flow {flow_id!r} is still run by the site{'s' if len(sites) > 1 else ''} "
        f"{', '.join(names)}; point them at another flow first (PATCH "
        "/api/v1/admin/sites/{key})",
        sites=seen,
    )


async def _still_running(
    runtime: Runtime, merchant_id: str, flow_id: str, candidates: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The candidates the session store holds as not ended (records may lag or be stale)."""
    running: list[tuple[str, str]] = []
    for session_id, site in candidates:
        try:
            session = await runtime.get(session_id)
        except NotFoundError:
            continue
        live = session.status != "ended" and session.merchant == merchant_id
        if live and session.flow_id == flow_id:
            running.append((session_id, site))
            if len(running) >= MAX_LISTED:
                break
    return running
