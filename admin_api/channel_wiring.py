"""Wiring of the channels beyond the web visitor channel: images and webhook/IM channels.

Built once per app by :func:`build_channels` (part of the composition in ``app.create_app``):
the parts are made when the app is, mounted on it, started after the services and stopped
before them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine

from chatflow.admin_api.services import Services
from chatflow.channels import images
from chatflow.channels.images import FolderBlobs, ImageService
from chatflow.channels.visitor_tokens import VisitorTokens
from chatflow.engine.ratelimit import Limit, MemoryRateLimiter


@dataclass
class ChannelParts:
    images: ImageService
    tokens: VisitorTokens

    def mount(self, app: FastAPI) -> None:
        app.state.images = self.images
        limiter = MemoryRateLimiter(Limit(30, 60), time.monotonic)
        app.include_router(images.build_router(self.images, self.tokens, limiter))

    async def start(self) -> None:
        """After the services started (the runtime's recovery has run)."""

    async def aclose(self) -> None:
        """Before the services stop."""


def build_channels(
    data: Path, services: Services, records: Engine, tokens: VisitorTokens
) -> ChannelParts:
    image_service = ImageService(services.runtime, records, FolderBlobs(data / "images"))
    return ChannelParts(images=image_service, tokens=tokens)
