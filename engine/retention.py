"""What the records database lets go of: old conversation records, webhook message ids kept for
deduplication, expired login tokens.

Plain functions on the records engine, each one short transaction, so a caller can work through
a large backlog in batches without holding the database's write lock for long. The image bytes
of deleted conversations live outside the database: :func:`delete_conversations` returns their
ids for the caller to discard. ``admin_api.housekeeping`` runs these on ``chatflow serve``'s
schedule, and the console's delete on the conversations it is asked to delete.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from chatflow.engine.stores.channeltables import (
    DeliveryRow,
    ImageRow,
    WebhookInboundRow,
    WebhookSessionRow,
)
from chatflow.engine.stores.recordsdb import AgentMarkRow, ConversationRow, MessageRow, TokenRow

RECORDS_BATCH = 200
"""Most conversations one step lists and deletes."""


def expired_conversations(
    engine: Engine, cutoff: datetime, limit: int = RECORDS_BATCH
) -> list[str]:
    """Ids of ended conversations that started before ``cutoff``, oldest first, at most
    ``limit``. A conversation lasts minutes, so its start stands for its end here, and the start
    is indexed."""
    with Session(engine) as db:
        query = (
            select(ConversationRow.session_id)
            .where(col(ConversationRow.started_at) < cutoff, ConversationRow.status == "ended")
            .order_by(col(ConversationRow.started_at))
            .limit(limit)
        )
        return list(db.exec(query).all())


def delete_conversations(
    db: Session, session_ids: Sequence[str], merchant_id: str | None = None
) -> list[str]:
    """Delete these conversations' records, transcripts, image rows, webhook deliveries and
    agents' pins and mutes in ``db``'s transaction (the caller commits), within one merchant
    when ``merchant_id`` is given; return the deleted images' ids, whose bytes the caller
    discards after the commit.
    The caller chooses ended conversations: nothing here looks at their status."""
    ids = list(session_ids)
    if not ids:
        return []

    def mine(table: type[ConversationRow] | type[MessageRow] | type[ImageRow]) -> list[Any]:
        where: list[Any] = [col(table.session_id).in_(ids)]
        if merchant_id is not None:
            where.append(col(table.merchant_id) == merchant_id)
        return where

    images = list(db.exec(select(ImageRow.id).where(*mine(ImageRow))).all())
    db.exec(delete(ImageRow).where(*mine(ImageRow)))
    db.exec(delete(MessageRow).where(*mine(MessageRow)))
    owned = list(db.exec(select(ConversationRow.session_id).where(*mine(ConversationRow))).all())
    db.exec(delete(ConversationRow).where(*mine(ConversationRow)))
    if owned:  # a webhook session is the merchant's when its record is
        db.exec(delete(DeliveryRow).where(col(DeliveryRow.session_id).in_(owned)))
        db.exec(delete(AgentMarkRow).where(col(AgentMarkRow.session_id).in_(owned)))
        db.exec(delete(WebhookSessionRow).where(col(WebhookSessionRow.session_id).in_(owned)))
    return images


def prune_webhook_ids(engine: Engine, before: float) -> int:
    """Forget webhook message ids taken in before ``before`` (UNIX seconds): a provider retries
    a delivery for minutes or hours, so after that a repeat cannot come."""
    with Session(engine) as db:
        done = db.exec(delete(WebhookInboundRow).where(col(WebhookInboundRow.received_at) < before))
        db.commit()
        return int(done.rowcount or 0)


def prune_tokens(engine: Engine, now: datetime) -> int:
    """Delete login tokens that expired before ``now``: no request can use them any more."""
    with Session(engine) as db:
        done = db.exec(delete(TokenRow).where(col(TokenRow.expires_at) < now))
        db.commit()
        return int(done.rowcount or 0)
