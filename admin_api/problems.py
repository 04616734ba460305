"""RFC 9457 problem+json: the one place where errors become HTTP answers.

Every error the API returns has ``type``, ``title``, ``status`` and ``detail`` (and ``errors``
for invalid input, ``retry_after`` for throttling). No stack trace ever reaches a client.
``detail`` and ``errors[].message`` are in the language ``Accept-Language`` asks for (English by
default, zh-CN from :mod:`problem_texts`, pydantic's errors by their type from
:mod:`input_errors`); ``type`` and ``title`` stay codes.
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
from chatflow.admin_api.input_errors import InputError
from chatflow.admin_api.problem_language import ENGLISH, error_text, pick_language, translate
from chatflow.channels.errors import ChannelProblem
from chatflow.engine.errors import ChatflowError, DefinitionError, NotFoundError

log = logging.getLogger("chatflow.api")

MEDIA_TYPE = "application/problem+json"


ApiProblem = ChannelProblem
"""Raise to answer with a problem: ``ApiProblem(404, "not_found", "no such session")``; the same
class the channels raise (they may not import this layer)."""


class FieldError(dict[str, str]):
    """One of pydantic's errors as an item of a problem's ``errors``: ``{path, message}``, the
    message in English; :func:`problem` words it again in the answer's language by the error's
    type and ctx (:mod:`input_errors`), which it keeps beside the two keys."""

    def __init__(self, path: str, error: InputError) -> None:
        super().__init__(path=path, message=error.text(ENGLISH))
        self.error = error


def field_errors(errors: Iterable[Mapping[str, Any]], *prefix: str) -> list[FieldError]:
    """Pydantic's errors as the problems' ``errors``: ``{path: "body.steps.0", message}``, the
    path under ``prefix``; our validators' text reads as written (without "Value error, "), our
    patterns as what they allow."""
    return [
        FieldError(".".join([*prefix, *(str(p) for p in e.get("loc", ()))]), InputError.of(e))
        for e in errors
    ]


def problem(
    status: int, code: str, detail: str, *, lang: str = ENGLISH, **extra: Any
) -> JSONResponse:
    """The answer; ``detail`` and the ``errors``' messages (English) worded in ``lang``."""
    body = {"type": f"urn:chatflow:{code}", "title": code.replace("_", " "), "status": status}
    body["detail"] = translate(detail, lang)
    body.update(extra)
    if isinstance(extra.get("errors"), list):
        body["errors"] = [_worded(error, lang) for error in extra["errors"]]
    headers = {"Content-Language": lang, "Vary": "Accept-Language"}
    if "retry_after" in extra:
        headers["Retry-After"] = str(max(1, int(extra["retry_after"] + 0.999)))
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _worded(error: Any, lang: str) -> Any:
    if isinstance(error, FieldError):
        return {**error, "message": error.error.text(lang)}
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return {**error, "message": translate(error["message"], lang)}
    return error


def language(request: Request) -> str:
    """The language the client asks for (``Accept-Language``), of those the API speaks."""
    return pick_language(request.headers.get("accept-language"))


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(ApiProblem)
    async def _problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem(exc.status, exc.code, exc.detail, lang=language(request), **exc.extra)

    @app.exception_handler(Throttled)
    async def _throttled(request: Request, exc: Throttled) -> JSONResponse:
        wait = round(exc.retry_after, 1)
        return problem(429, "throttled", exc.message, lang=language(request), retry_after=wait)

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> JSONResponse:
        return problem(401, "unauthorized", exc.message, lang=language(request))

    @app.exception_handler(DefinitionError)
    async def _definition(request: Request, exc: DefinitionError) -> JSONResponse:
        errors = [
            {"message": p.message, "line": p.line, "column": p.column, "path": p.json_path}
            for p in exc.problems
        ]
        lang = language(request)
        return problem(422, "invalid_definition", exc.message, lang=lang, errors=errors)

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return problem(404, "not_found", exc.message, lang=language(request))

    @app.exception_handler(ChatflowError)
    async def _chatflow(request: Request, exc: ChatflowError) -> JSONResponse:
        log.warning("api.error", extra={"flow_id": exc.flow_id, "node_id": exc.node_id})
        lang = language(request)
        return problem(409, "conflict", error_text(exc, lang), lang=lang)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(exc.errors())
        lang = language(request)
        return problem(422, "invalid_input", "the request is not valid", lang=lang, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        return problem(exc.status_code, code, str(exc.detail), lang=language(request))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("api.unexpected", extra={"path": request.url.path})
        detail = "an unexpected error happened; it has been logged"
        return problem(500, "internal_error", detail, lang=language(request))
