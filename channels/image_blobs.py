"""Where image bytes live, behind the one small protocol :class:`ImageBlobs` that
:class:`chatflow.channels.images.ImageService` writes and reads through.

- :class:`FolderBlobs`: files under ``--data/images``, the embedded default.
- :class:`DatabaseBlobs`: the ``image_blob`` table of the records database, used with
  ``--database``, so every worker of a scale-out deployment serves every image.
- :class:`MemoryBlobs`: the in-memory twin.

Ids reach a store already checked (43 URL-safe characters); a store that cannot write raises
``OSError`` or ``SQLAlchemyError`` and keeps nothing of that image.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, delete, insert, select
from sqlmodel import col

from chatflow.engine.stores.channeltables import ImageBlobRow

log = logging.getLogger("chatflow.images")

IMAGE_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


class ImageBlobs(Protocol):
    """Where image bytes live (ids are checked before they reach here)."""

    def put(self, image_id: str, data: bytes) -> None:
        """Keep ``data`` whole, or raise and keep nothing."""
        ...

    def get(self, image_id: str) -> bytes | None: ...

    def discard(self, image_id: str) -> None:
        """Forget bytes whose image row could not be written or was deleted with its
        conversation (best effort, never raises for bytes that are not there)."""
        ...


class FolderBlobs:
    """Image bytes as files: ``<root>/<id[:2]>/<id>``, written whole or not at all."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, image_id: str) -> Path:
        if not IMAGE_ID.match(image_id):
            raise ValueError("not an image id")
        return self.root / image_id[:2] / image_id

    def put(self, image_id: str, data: bytes) -> None:
        path = self._path(image_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{image_id}.tmp")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except OSError:
            temp.unlink(missing_ok=True)  # a full disk leaves no partial file behind
            raise

    def get(self, image_id: str) -> bytes | None:
        try:
            return self._path(image_id).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def discard(self, image_id: str) -> None:
        self._path(image_id).unlink(missing_ok=True)


class DatabaseBlobs:
    """Image bytes as rows of ``image_blob`` (one insert each: the row is there whole or not at
    all). Apart from the ``image`` table, so listing images never reads their bytes."""

    def __init__(self, records: Engine) -> None:
        self.records = records

    def put(self, image_id: str, data: bytes) -> None:
        with self.records.begin() as db:
            db.execute(insert(ImageBlobRow).values(id=image_id, data=data))

    def get(self, image_id: str) -> bytes | None:
        with self.records.connect() as db:
            data = db.execute(
                select(col(ImageBlobRow.data)).where(col(ImageBlobRow.id) == image_id)
            ).scalar_one_or_none()
        return None if data is None else bytes(data)

    def discard(self, image_id: str) -> None:
        with self.records.begin() as db:
            db.execute(delete(ImageBlobRow).where(col(ImageBlobRow.id) == image_id))


class MemoryBlobs:
    """The in-memory twin."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, image_id: str, data: bytes) -> None:
        self.blobs[image_id] = data

    def get(self, image_id: str) -> bytes | None:
        return self.blobs.get(image_id)

    def discard(self, image_id: str) -> None:
        self.blobs.pop(image_id, None)


def discard_images(blobs: ImageBlobs, image_ids: Iterable[str]) -> None:
    """Discard the bytes of images whose rows were deleted: nothing serves them any more, so
    bytes a failure leaves behind are only disk space, logged for whoever cleans up."""
    for image_id in image_ids:
        try:
            blobs.discard(image_id)
        except Exception:
            log.exception("records.image_discard_failed", extra={"image_id": image_id})
