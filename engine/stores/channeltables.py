"""Channel data in the records database: uploaded images and the webhook channel's bookkeeping.

``channels.images`` writes :class:`ImageRow` (and, with ``--database``, :class:`ImageBlobRow`
through ``channels.image_blobs``); ``channels.webhook`` and its outbox write the rest.
Uniqueness the channels rely on lives in the database, so it holds across workers: a provider's
message id is taken once per channel, a channel user has one current session, and a frame is
queued for delivery once. Due times are UNIX seconds (floats), so comparisons never mix naive
and aware datetimes across SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field

from chatflow.engine.stores.recordsdb import RecordsTable, unique_where, utcnow


class ImageRow(RecordsTable, table=True):
    """An image a visitor or an agent sent; the bytes are kept apart under the same id (a folder,
    or :class:`ImageBlobRow`)."""

    __tablename__ = "image"
    __table_args__ = (
        # A client message id is taken once, even by two resends racing (on any worker): per
        # session for the visitor, per agent in the session for agents.
        unique_where(
            "uq_image_visitor_client",
            ("session_id", "client_id"),
            "sender = 'visitor' AND client_id != ''",
        ),
        unique_where(
            "uq_image_agent_client",
            ("session_id", "agent_id", "client_id"),
            "sender = 'agent' AND client_id != ''",
        ),
    )
    id: str = Field(primary_key=True)
    """Random and unguessable (256 bits): the served URL is the only key an ``<img>`` has."""
    session_id: str = Field(index=True)
    merchant_id: str = Field(index=True)
    sender: str
    """``visitor`` or ``agent``."""
    agent_id: str | None = None
    content_type: str
    """Detected from the bytes (never taken from the upload)."""
    size: int
    sha256: str
    client_id: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class ImageBlobRow(RecordsTable, table=True):
    """An image's bytes (at most 2 MB), when they are kept in the records database: a table of
    their own, so queries on ``image`` never carry them. Written before the ``image`` row."""

    __tablename__ = "image_blob"
    id: str = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class WebhookInboundRow(RecordsTable, table=True):
    """A provider message taken in; the unique pair makes a repeated delivery a duplicate."""

    __tablename__ = "webhook_inbound"
    __table_args__ = (UniqueConstraint("channel_key", "message_id"),)
    id: int | None = Field(default=None, primary_key=True)
    channel_key: str = Field(index=True)
    message_id: str
    user_id: str
    session_id: str | None = None
    status: str = "received"
    """``received`` (being applied), ``applied``, ``failed`` (a retry may take it again) or
    ``refused`` (final: blacklisted, no site)."""
    error: str | None = None
    received_at: float
    """When the current attempt took it (UNIX seconds)."""


class WebhookUserRow(RecordsTable, table=True):
    """A channel user's current session (a new one replaces it after the last one ended)."""

    __tablename__ = "webhook_user"
    channel_key: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    session_id: str
    updated_at: datetime = Field(default_factory=utcnow)


class WebhookSessionRow(RecordsTable, table=True):
    """A session of a webhook channel, and how far its output log was queued for delivery."""

    __tablename__ = "webhook_session"
    session_id: str = Field(primary_key=True)
    channel_key: str = Field(index=True)
    user_id: str
    queued_seq: int = 0
    """Frames with ``seq`` up to this one have a delivery row."""
    closed: bool = Field(default=False, index=True)
    """The session ended and each of its deliveries is delivered or failed."""
    created_at: datetime = Field(default_factory=utcnow)


class DeliveryRow(RecordsTable, table=True):
    """One output frame on its way to a channel's ``webhook_url``."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("session_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    channel_key: str = Field(index=True)
    session_id: str = Field(index=True)
    seq: int
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """The frame as the visitor channel sends it (``frame.to_json()``)."""
    status: str = Field(default="pending", index=True)
    """``pending``, ``delivered`` (a 2xx answered) or ``failed`` (attempts used up)."""
    attempts: int = 0
    last_status: int | None = None
    """HTTP status of the last attempt; None when no answer came."""
    last_error: str | None = None
    next_attempt_at: float = 0.0
    """UNIX seconds; when the next attempt is due."""
    lease_until: float | None = None
    """A worker sending it holds it until then, so two workers never send it at once."""
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None
