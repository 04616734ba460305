"""Flows of a merchant as numbered versions: upload drafts, publish, diff, roll back, delete.

An upload is checked exactly like ``chatflow validate`` checks a file (same messages, placed at
line and column, transfers checked against the merchant's groups) and refused with every error
at once; ``/check`` runs the same check without saving. The messages are ``validate``'s
English, or zh-CN for ``Accept-Language: zh-CN`` (:mod:`~chatflow.admin_api.check_texts`). New
sessions start on the published version; running ones keep theirs. Drafts can be deleted, and a
whole flow once no enabled site runs it and no conversation of it still runs. The visual editor
reads a version as data (``document``) and the flow JSON Schema (``/flow-schema``), and may upload
a document instead of text, naming the version it edited (``base``) so that the saved text keeps
that version's comments. The storage and numbering live in :mod:`chatflow.engine.flowversions`,
the upload bodies and the check in :mod:`chatflow.admin_api.flow_upload`; this module is the HTTP
face of them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache
from typing import Annotated, Any

from anyio import from_thread
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import Field
from sqlalchemy import Engine

from chatflow.admin_api.agent_access import services_of
from chatflow.admin_api.check_texts import word_refusal, worded_check, worded_issues
from chatflow.admin_api.flow_upload import (
    UPLOAD_BODY,
    FlowCheck,
    FlowText,
    IssueOut,
    check_text,
    checked,
    flow_text,
    stored_text,
)
from chatflow.admin_api.permissions import Actor, require
from chatflow.admin_api.problems import ApiProblem, language
from chatflow.admin_api.recordquery import now
from chatflow.admin_api.tenants import MAX_INT, ApiModel, FlowId, NumericId, records
from chatflow.engine import flowversions as fv
from chatflow.engine.errors import NotFoundError
from chatflow.engine.flowdump import flow_document, has_comments
from chatflow.engine.runtime import Runtime
from chatflow.engine.schema import render, schema_for
from chatflow.nodes import LANGUAGE

router = APIRouter(prefix="/api/v1/admin", tags=["flows"])
log = logging.getLogger("chatflow.api.flows")

Records = Annotated[Engine, Depends(records)]
Viewer = Annotated[Actor, Depends(require("flows"))]
Editor = Annotated[Actor, Depends(require("flows", "edit"))]
Upload = Annotated[FlowText, Depends(flow_text)]
Now = Annotated[datetime, Depends(now)]
"""The app's clock: a saved version's ``created_at``."""
Language = Annotated[str, Depends(language)]
"""The language of ``Accept-Language`` the check's messages are worded in (the command line's
``chatflow validate`` stays English)."""


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
    """One version with its text, and the text as data for the visual editor."""

    yaml: str
    document: dict[str, Any] | None
    """The YAML as JSON data, in the text's key order (dates as strings); an upload of it as
    ``{"document": ...}`` stores the same flow. None only when the text cannot be read."""
    comments: bool
    """True when the YAML text has comments: an upload of ``document`` keeps them when it names
    this version as its ``base`` (those of the parts it deletes go), and drops them without."""


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


def _checked(engine: Engine, actor: Actor, flow_id: str, text: str, lang: str) -> list[IssueOut]:
    """The warnings of a flow that has no error, worded in ``lang``; 422 with every problem,
    worded, otherwise."""
    try:
        return worded_issues(checked(engine, actor, flow_id, text), lang)
    except ApiProblem as exc:
        word_refusal(exc, lang)
        raise


def _save(
    engine: Engine,
    actor: Actor,
    flow_id: str,
    text: str,
    *,
    note: str,
    publish: bool,
    at: datetime,
    lang: str,
) -> VersionOut:
    """Check ``text`` (422 with every error) and store it as the flow's next version, made
    ``at``."""
    warnings = _checked(engine, actor, flow_id, text, lang)
    saved = fv.save_version(
        engine,
        actor.merchant_id,
        flow_id,
        text,
        created_by=actor.principal.account,
        note=note,
        publish=publish,
        now=at,
    )
    return _out(saved, warnings)


@router.get("/flows", response_model=list[FlowOut])
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


@router.get("/flows/{flow_id}/versions", response_model=list[VersionOut])
def list_versions(flow_id: FlowId, actor: Viewer, engine: Records) -> list[VersionOut]:
    """Every version of a flow, oldest first."""
    return [_out(v) for v in fv.list_versions(engine, actor.merchant_id, flow_id)]


@router.get(
    "/flow-schema",
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
def flow_schema(actor: Viewer) -> Response:
    """The JSON Schema of a flow file (``schemas/flow.schema.json`` of this server's version):
    node-reference fields carry ``x-node-ref: true``."""
    return Response(_flow_schema_json(), media_type="application/json")


@cache
def _flow_schema_json() -> bytes:
    return render(schema_for("flow", LANGUAGE)).encode("utf-8")


@router.post(
    "/flows/{flow_id}/versions",
    response_model=VersionOut,
    status_code=201,
    openapi_extra=UPLOAD_BODY,
)
def create_version(
    flow_id: FlowId,
    actor: Editor,
    upload: Upload,
    engine: Records,
    at: Now,
    lang: Language,
    publish: Annotated[bool, Query(description="Publish the new version at once.")] = False,
) -> VersionOut:
    """Save a new version (a draft unless ``publish=true``); refused with every error at once."""
    text = stored_text(engine, actor, flow_id, upload)
    return _save(engine, actor, flow_id, text, note=upload.note, publish=publish, at=at, lang=lang)


@router.post("/flows/{flow_id}/check", response_model=FlowCheck, openapi_extra=UPLOAD_BODY)
def check_flow(
    flow_id: FlowId,
    actor: Editor,
    upload: Upload,
    engine: Records,
    lang: Language,
    response: Response,
) -> FlowCheck:
    """Check a flow as an upload would be checked, without saving: its errors, its warnings and
    the text a save would store. The messages are in the language of ``Accept-Language``."""
    found = check_text(engine, actor, flow_id, stored_text(engine, actor, flow_id, upload))
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"
    return worded_check(found, lang)


@router.get("/flows/{flow_id}/versions/{version}", response_model=VersionDetail)
def get_version(
    flow_id: FlowId, version: NumericId, actor: Viewer, engine: Records
) -> VersionDetail:
    """One version with its YAML text and, for the visual editor, that text as data."""
    found = fv.get_version(engine, actor.merchant_id, flow_id, version)
    return VersionDetail(
        **_out(found).model_dump(),
        yaml=found.yaml,
        document=flow_document(found.yaml),
        comments=has_comments(found.yaml),
    )


@router.post("/flows/{flow_id}/versions/{version}/publish", response_model=VersionOut)
def publish_version(
    flow_id: FlowId, version: NumericId, actor: Editor, engine: Records, lang: Language
) -> VersionOut:
    """Publish a version (re-checked against today's groups); the old published one is archived."""
    found = fv.get_version(engine, actor.merchant_id, flow_id, version)
    warnings = _checked(engine, actor, flow_id, found.yaml, lang)
    return _out(fv.publish_version(engine, actor.merchant_id, flow_id, version), warnings)


@router.get(
    "/flows/{flow_id}/diff",
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


@router.post("/flows/{flow_id}/rollback", response_model=VersionOut, status_code=201)
def rollback(
    flow_id: FlowId, body: Rollback, actor: Editor, engine: Records, at: Now, lang: Language
) -> VersionOut:
    """Publish a copy of an older version as a new version (history is never rewritten)."""
    old = fv.get_version(engine, actor.merchant_id, flow_id, body.version)
    note = body.note or f"rollback to version {body.version}"
    return _save(engine, actor, flow_id, old.yaml, note=note, publish=True, at=at, lang=lang)


@router.delete("/flows/{flow_id}/versions/{version}", status_code=204)
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


@router.delete("/flows/{flow_id}", status_code=204)
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
