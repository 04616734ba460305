"""What the console calls a merchant's sites, groups, agents and webhook channels: the one
reader of names for the records, the workbench's lists and the exports.

The ``*_names`` maps hold only what has a name; a reader falls back to the id (a site's key, an
account) for the rest, as the console does.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from chatflow.engine.config import DeploymentConfig, WebhookChannel
from chatflow.engine.stores.recordsdb import AccountRow, GroupRow, SiteRow


def site_names(db: Session, merchant_id: str) -> dict[str, str]:
    """The merchant's sites' names by key."""
    rows = db.exec(select(SiteRow.key, SiteRow.name).where(col(SiteRow.merchant_id) == merchant_id))
    return {key: name for key, name in rows.all() if name}


def group_names(db: Session, merchant_id: str) -> dict[str, str]:
    """The merchant's skill groups' names by id."""
    rows = db.exec(
        select(GroupRow.id, GroupRow.name).where(col(GroupRow.merchant_id) == merchant_id)
    )
    return {group: name for group, name in rows.all() if name}


def agent_names(db: Session, merchant_id: str) -> dict[str, str]:
    """The merchant's accounts' nicknames by account."""
    statement = select(AccountRow.account, AccountRow.nickname).where(
        col(AccountRow.merchant_id) == merchant_id
    )
    return {account: nickname for account, nickname in db.exec(statement).all() if nickname}


def site_name(db: Session, site_key: str) -> str:
    """One site's name, else its key."""
    site = db.get(SiteRow, site_key)
    return site.name if site is not None and site.name else site_key


def merchant_channels(config: DeploymentConfig, merchant_id: str) -> list[WebhookChannel]:
    """The merchant's webhook channels, in ``chatflow.yaml``'s order."""
    return [
        channel
        for merchant in config.merchants
        if merchant.id == merchant_id
        for channel in merchant.channels
    ]


def webhook_channel_names(config: DeploymentConfig, merchant_id: str) -> dict[str, str]:
    """The merchant's webhook channels' names in ``chatflow.yaml`` by key (the key when the
    channel has none): what records and exports call a webhook channel."""
    return {
        channel.key: channel.name or channel.key
        for channel in merchant_channels(config, merchant_id)
    }
