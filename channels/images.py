"""Images in conversations: upload (visitors here, agents through :meth:`ImageService.accept`),
storage under a random id (the row in ``image``, the bytes in an
:class:`~chatflow.channels.image_blobs.ImageBlobs` store), and serving back to a plain ``<img>``.

An upload is a ``multipart/form-data`` body with one or more ``file`` parts (and optional ``id``
parts, the client message ids, paired with the files in order). Each file is read within 2 MB as
it streams in (:mod:`chatflow.channels.multipart`) and typed by its bytes
(:mod:`chatflow.channels.image_types`); a request is taken whole or not at all. Each stored
image becomes a ``VisitorImage`` / ``AgentImage`` event, which the runtime echoes into the
session's output log as ``message {from, image: url, id?}``.

The served URL ``/api/v1/images/{id}`` is the only secret (an ``<img>`` sends no header), so the
id is 256 random bits; answers carry the stored type, ``nosniff``, a sandboxing CSP and
``Content-Disposition: inline; filename="image.<ext>"``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session as DbSession
from sqlmodel import select

from chatflow.channels.errors import ChannelProblem
from chatflow.channels.image_blobs import IMAGE_ID, ImageBlobs
from chatflow.channels.image_types import BY_CONTENT_TYPE, ImageType, check_image
from chatflow.channels.multipart import Limits, MultipartError, boundary_of, read_multipart
from chatflow.channels.visitor_frames import MAX_CLIENT_ID
from chatflow.channels.visitor_tokens import VisitorTokens
from chatflow.engine.errors import NotFoundError, RuntimeFlowError
from chatflow.engine.events import AgentImage, Event, VisitorImage
from chatflow.engine.ratelimit import RateLimiter
from chatflow.engine.runtime import Runtime
from chatflow.engine.session import Session
from chatflow.engine.stores.channeltables import ImageRow

logger = logging.getLogger(__name__)

IMAGE_PATH = "/api/v1/images/"
_CLIENT_ID = re.compile(r"^[\x21-\x7e]+$")

SERVE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=86400",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Referrer-Policy": "no-referrer",
}

Sender = Literal["visitor", "agent"]

AgentImages = Callable[[Request, str, str], Awaitable[dict[str, Any]]]
"""``(request, session_id, bearer token) -> answer``: an agent's upload on the same path. It
checks the agent serves the session, then calls :meth:`ImageService.accept` with ``"agent"``."""


def new_image_id() -> str:
    """43 URL-safe characters, 256 random bits: the served URL cannot be guessed."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Upload:
    data: bytes
    kind: ImageType
    client_id: str


@dataclass
class ImageService:
    runtime: Runtime
    records: Engine
    blobs: ImageBlobs
    limits: Limits = field(default_factory=Limits)
    new_id: Callable[[], str] = new_image_id
    agent_images: AgentImages | None = None
    """Set by the agent API: a bearer token that is not a visitor token is handed to it."""

    async def receive(self, request: Request) -> list[Upload]:
        """The request's images, each checked; raises :class:`ChannelProblem` (400/413/415/422)."""
        try:
            boundary = boundary_of(request.headers.get("content-type"))
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.limits.max_body:
                raise MultipartError(413, "too_large", "the request is larger than any upload")
            parts = await read_multipart(request.stream(), boundary, self.limits)
        except MultipartError as exc:
            raise ChannelProblem(exc.status, exc.code, exc.message) from None
        files = [p for p in parts if p.name == "file" and p.is_file]
        ids = [p.data.decode("utf-8", "replace") for p in parts if p.name == "id" and not p.is_file]
        if not files:
            raise ChannelProblem(422, "no_image", "send each image in a form field named 'file'")
        if len(ids) > len(files) or any(
            len(i) > MAX_CLIENT_ID or not _CLIENT_ID.match(i) for i in ids
        ):
            raise ChannelProblem(
                422, "bad_id", f"each 'id' is one per file, 1-{MAX_CLIENT_ID} visible characters"
            )
        uploads: list[Upload] = []
        errors: list[dict[str, Any]] = []
        for index, part in enumerate(files):
            data = bytes(part.data)
            kind = check_image(data)
            if isinstance(kind, str):
                errors.append({"index": index, "filename": part.filename, "message": kind})
            else:
                client_id = ids[index] if index < len(ids) else ""
                uploads.append(Upload(data, kind, client_id))
        if errors:
            raise ChannelProblem(
                415,
                "unsupported_image",
                "only JPEG, PNG, GIF and WebP images are accepted; nothing was stored",
                errors=errors,
            )
        return uploads

    async def accept(
        self,
        request: Request,
        session: Session,
        sender: Sender,
        agent_id: str = "",
        signed: tuple[str, str] = ("", ""),
    ) -> list[dict[str, Any]]:
        """Read, store and echo the request's images into ``session`` (the agent route uses this
        too, after checking that the agent serves the session). Returns one entry per image.
        A store that fails is a 503 before any echo; a resend with the same ids is safe."""
        if session.ended:
            raise ChannelProblem(409, "session_ended", "the conversation has ended")
        uploads = await self.receive(request)
        urls: list[str] = []
        for upload in uploads:  # every image stored before any is echoed
            try:
                urls.append(await asyncio.to_thread(self._store, upload, session, sender, agent_id))
            except (OSError, SQLAlchemyError):
                logger.exception(
                    "images.store_failed", extra={"session_id": session.id, "index": len(urls)}
                )
                raise ChannelProblem(
                    503,
                    "image_not_stored",
                    "the images could not be stored, so none was sent; send them again",
                ) from None
        out = []
        for upload, url in zip(uploads, urls, strict=True):
            event = self._event(url, upload.client_id, sender, agent_id, signed)
            try:
                applied = await self.runtime.apply(session.id, event)
            except NotFoundError:
                raise ChannelProblem(404, "session_not_found", "the session is gone") from None
            except RuntimeFlowError:
                raise ChannelProblem(
                    500, "flow_error", "the image could not be delivered"
                ) from None
            if not applied and (await self.runtime.get(session.id)).ended:
                raise ChannelProblem(409, "session_ended", "the conversation has ended")
            entry: dict[str, Any] = {"url": url, "content_type": upload.kind.content_type}
            entry["size"] = len(upload.data)
            if upload.client_id:
                entry["id"] = upload.client_id
            out.append(entry)
        return out

    def _event(
        self, url: str, client_id: str, sender: Sender, agent_id: str, signed: tuple[str, str]
    ) -> Event:
        image_id = url.rsplit("/", 1)[-1]
        if sender == "visitor":
            key = f"client:{client_id}" if client_id else f"image:{image_id}"
            return VisitorImage(key=key, url=url, client_id=client_id)
        key = f"agent-image:{agent_id}:{client_id}" if client_id else f"image:{image_id}"
        nickname, staff_no = signed
        return AgentImage(
            key=key,
            agent_id=agent_id,
            url=url,
            client_id=client_id,
            nickname=nickname,
            staff_no=staff_no,
        )

    def _store(self, upload: Upload, session: Session, sender: Sender, agent_id: str) -> str:
        """Bytes first, then the row: a row never names missing bytes, and bytes whose row
        failed are discarded. A resent client id gets the image it already stored."""
        known = self._stored_as(upload, session, sender, agent_id)
        if known is not None:
            return IMAGE_PATH + known
        image_id = self.new_id()
        self.blobs.put(image_id, upload.data)
        row = ImageRow(
            id=image_id,
            session_id=session.id,
            merchant_id=session.merchant,
            sender=sender,
            agent_id=agent_id or None,
            content_type=upload.kind.content_type,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            client_id=upload.client_id,
            created_at=self.runtime.clock.now(),
        )
        try:
            with DbSession(self.records) as db:
                db.add(row)
                db.commit()
        except SQLAlchemyError as exc:
            self._discard(image_id)
            if isinstance(exc, IntegrityError):  # a resend racing this one stored it first?
                winner = self._stored_as(upload, session, sender, agent_id)
                if winner is not None:
                    return IMAGE_PATH + winner
            raise
        return IMAGE_PATH + image_id

    def _stored_as(
        self, upload: Upload, session: Session, sender: Sender, agent_id: str
    ) -> str | None:
        """The id of the image this client message id already stored, if any (the unique
        indexes on ``image`` hold the same rule for resends that race)."""
        if not upload.client_id:
            return None
        mine = [
            ImageRow.session_id == session.id,
            ImageRow.sender == sender,
            ImageRow.client_id == upload.client_id,
        ]
        if sender == "agent":
            mine.append(ImageRow.agent_id == agent_id)
        with DbSession(self.records) as db:
            return db.exec(select(ImageRow.id).where(*mine)).first()

    def _discard(self, image_id: str) -> None:
        try:
            self.blobs.discard(image_id)
        except (OSError, SQLAlchemyError):  # unreachable without a row; only space is lost
            logger.exception("images.discard_failed", extra={"image_id": image_id})

    def load(self, image_id: str) -> tuple[ImageRow, bytes] | None:
        if not IMAGE_ID.match(image_id):
            return None
        with DbSession(self.records) as db:
            row = db.get(ImageRow, image_id)
        data = self.blobs.get(image_id) if row is not None else None
        return None if row is None or data is None else (row, data)


def bearer(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ChannelProblem(401, "unauthorized", "send 'Authorization: Bearer <visitor_token>'")
    return authorization[7:].strip()


def build_router(service: ImageService, tokens: VisitorTokens, limiter: RateLimiter) -> APIRouter:
    router = APIRouter(tags=["images"])

    @router.post("/api/v1/sessions/{session_id}/images", status_code=201)
    async def upload_images(
        session_id: str,
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """Send one or more images (multipart ``file`` parts, optional ``id`` parts)."""
        token = bearer(authorization)
        sid = tokens.session_of(token)
        if sid is None and service.agent_images is not None:
            return await service.agent_images(request, session_id, token)
        if sid is None or sid != session_id:
            raise ChannelProblem(401, "unauthorized", "the visitor token is not valid")
        try:
            session = await service.runtime.get(sid)
        except NotFoundError:
            raise ChannelProblem(404, "session_not_found", "the session is gone") from None
        wait = limiter.hit(f"images:{sid}")
        if wait:
            raise ChannelProblem(429, "rate_limited", "too many images", retry_after=wait)
        images = await service.accept(request, session, "visitor")
        return {"url": images[0]["url"], "images": images}

    @router.get(IMAGE_PATH + "{image_id}", response_class=Response)
    async def get_image(image_id: str) -> Response:
        """An image, by its unguessable id."""
        found = await asyncio.to_thread(service.load, image_id)
        if found is None:
            raise ChannelProblem(404, "image_not_found", "no such image")
        row, data = found
        kind = BY_CONTENT_TYPE[row.content_type]
        headers = {
            **SERVE_HEADERS,
            "Content-Disposition": f'inline; filename="image.{kind.extension}"',
            "ETag": f'"{row.sha256}"',
        }
        return Response(data, media_type=kind.content_type, headers=headers)

    return router
