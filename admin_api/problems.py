"""RFC 9457 problem+json: the one place where errors become HTTP answers.

Every error the API returns has ``type``, ``title``, ``status`` and ``detail`` (and ``errors``
for invalid input, ``retry_after`` for throttling). No stack trace ever reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from chatflow.admin_api.auth import AuthError, Throttled
from chatflow.channels.errors import ChannelProblem
from chatflow.engine.errors import ChatflowError, DefinitionError, NotFoundError

log = logging.getLogger("chatflow.api")

MEDIA_TYPE = "application/problem+json"


ApiProblem = ChannelProblem
"""Raise to answer with a problem: ``ApiProblem(404, "not_found", "no such session")``; the same
class the channels raise (they may not import this layer)."""


def field_errors(errors: Iterable[Mapping[str, Any]], *prefix: str) -> list[dict[str, str]]:
    """Pydantic's errors as the problems' ``errors``: ``{path: "body.steps.0", message}``, the
    path under ``prefix``, the message without pydantic's "Value error, " (our validators' text
    reads as written)."""
    return [
        {
            "path": ".".join([*prefix, *(str(p) for p in e.get("loc", ()))]),
            "message": str(e.get("msg", "")).removeprefix("Value error, "),
        }
        for e in errors
    ]


def problem(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"urn:chatflow:{code}", "title": code.replace("_", " "), "status": status}
    body["detail"] = detail
    body.update(extra)
    headers = {}
    if "retry_after" in extra:
        headers["Retry-After"] = str(max(1, int(extra["retry_after"] + 0.999)))
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(ApiProblem)
    async def _problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return problem(exc.status, exc.code, exc.detail, **exc.extra)

    @app.exception_handler(Throttled)
    async def _throttled(_: Request, exc: Throttled) -> JSONResponse:
        return problem(429, "throttled", str(exc), retry_after=round(exc.retry_after, 1))

    @app.exception_handler(AuthError)
    async def _auth(_: Request, exc: AuthError) -> JSONResponse:
        return problem(401, "unauthorized", exc.message)

    @app.exception_handler(DefinitionError)
    async def _definition(_: Request, exc: DefinitionError) -> JSONResponse:
        errors = [
            {"message": p.message, "line": p.line, "column": p.column, "path": p.json_path}
            for p in exc.problems
        ]
        return problem(422, "invalid_definition", exc.message, errors=errors)

    @app.exception_handler(NotFoundError)
    async def _not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return problem(404, "not_found", exc.message)

    @app.exception_handler(ChatflowError)
    async def _chatflow(_: Request, exc: ChatflowError) -> JSONResponse:
        log.warning("api.error", extra={"flow_id": exc.flow_id, "node_id": exc.node_id})
        return problem(409, "conflict", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(exc.errors())
        return problem(422, "invalid_input", "the request is not valid", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        return problem(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("api.unexpected", extra={"path": request.url.path})
        return problem(500, "internal_error", "an unexpected error happened; it has been logged")
