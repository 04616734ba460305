"""Wiring of the channels beyond the web visitor channel: images and webhook/IM channels.

Built once per app by :func:`build_channels` (part of the composition in ``app.create_app``):
the parts are made when the app is, mounted on it, started after the services (the runtime's
recovery has run) and stopped before them. The outbox listens to the runtime's output.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy import Engine

from chatflow.admin_api.services import Services
from chatflow.admin_api.settings import ServeSettings
from chatflow.channels import images, webhook
from chatflow.channels.image_blobs import DatabaseBlobs, FolderBlobs, ImageBlobs
from chatflow.channels.images import ImageService
from chatflow.channels.visitor_tokens import VisitorTokens
from chatflow.channels.webhook import WebhookChannel, channels_from_config, destinations
from chatflow.channels.webhook_http import GuardedSender
from chatflow.channels.webhook_outbox import Outbox
from chatflow.engine.errors import DefinitionError
from chatflow.engine.ratelimit import Limit, MemoryRateLimiter


@dataclass
class ChannelParts:
    images: ImageService
    tokens: VisitorTokens
    webhook: WebhookChannel
    outbox: Outbox
    sender: GuardedSender

    def mount(self, app: FastAPI) -> None:
        app.state.images = self.images
        app.state.webhook_outbox = self.outbox
        limiter = MemoryRateLimiter(Limit(30, 60), time.monotonic)
        app.include_router(images.build_router(self.images, self.tokens, limiter))
        app.include_router(webhook.build_router(self.webhook))

    async def start(self) -> None:
        await self.outbox.start()

    async def aclose(self) -> None:
        await self.outbox.aclose()
        await self.sender.aclose()


def image_blobs(settings: ServeSettings, records: Engine) -> ImageBlobs:
    """With ``--database`` (scale-out) the bytes go beside their rows, where every worker reads
    them; the embedded default keeps them as files under ``--data/images``."""
    if settings.database_url:
        return DatabaseBlobs(records)
    return FolderBlobs(settings.data / "images")


def build_channels(
    settings: ServeSettings, services: Services, records: Engine, tokens: VisitorTokens
) -> ChannelParts:
    """Raises ``DefinitionError`` when a channel's secret is not in the environment."""
    image_service = ImageService(services.runtime, records, image_blobs(settings, records))
    channels, problems = channels_from_config(services.config, settings.env, str(settings.config))
    if problems:
        raise DefinitionError("webhook channel secrets are missing", problems)
    sender = GuardedSender(services.config.http)
    outbox = Outbox(
        records, services.runtime.outputs, destinations(channels), sender, services.clock
    )
    services.runtime.listeners.append(outbox.on_frames)
    channel = WebhookChannel(services.runtime, services, records, channels, outbox, services.clock)
    return ChannelParts(image_service, tokens, channel, outbox, sender)
