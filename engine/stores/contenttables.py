"""Merchant content in the records database: quick replies, sensitive words, visitor profiles,
tag groups and tags, the blacklist, the workbench apps.

Every row carries ``merchant_id``; every query filters by it. The tables derive from
:class:`RecordsTable`, so :func:`recordsdb.create_tables` creates them with the rest.

The admin API stamps the times from the app's clock (a frozen one in a demo or a test); the
machine-time defaults are only a fallback for rows written without one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from chatflow.engine.stores.recordsdb import RecordsTable, utcnow


class QuickReplyRow(RecordsTable, table=True):
    """A canned answer: personal (``owner_account_id`` set) or team (merchant-wide, None)."""

    __tablename__ = "quick_reply"
    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(index=True, foreign_key="merchant.id")
    owner_account_id: int | None = Field(default=None, index=True)
    """The account of a personal reply; None for a team reply."""
    category: str = ""
    """The group (分组) it is listed under; empty = uncategorised."""
    title: str
    content: str
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WordRow(RecordsTable, table=True):
    """A forbidden, sensitive or reminder word of a merchant."""

    __tablename__ = "sensitive_word"
    __table_args__ = (UniqueConstraint("merchant_id", "kind", "folded"),)
    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(index=True, foreign_key="merchant.id")
    kind: str
    """``forbidden``, ``sensitive`` or ``reminder`` (:data:`chatflow.engine.wordfilter.KINDS`)."""
    word: str
    folded: str
    """``wordfilter.fold(word)``: matching is case- and width-insensitive, so is uniqueness."""
    created_at: datetime = Field(default_factory=utcnow)


class VisitorRow(RecordsTable, table=True):
    """What the merchant knows about a visitor (seed 001 contact details, seed 003 search)."""

    __tablename__ = "visitor_profile"
    merchant_id: str = Field(primary_key=True, foreign_key="merchant.id")
    visitor_id: str = Field(primary_key=True)
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    note: str | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class TagGroupRow(RecordsTable, table=True):
    """A tag group (标签组); ``multi`` = a visitor may hold several of its tags (可否多选)."""

    __tablename__ = "tag_group"
    __table_args__ = (UniqueConstraint("merchant_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(index=True, foreign_key="merchant.id")
    name: str
    multi: bool = True


class TagRow(RecordsTable, table=True):
    __tablename__ = "tag"
    __table_args__ = (UniqueConstraint("group_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(index=True, foreign_key="merchant.id")
    group_id: int = Field(index=True, foreign_key="tag_group.id")
    name: str


class VisitorTagRow(RecordsTable, table=True):
    """A tag held by a visitor."""

    __tablename__ = "visitor_tag"
    merchant_id: str = Field(primary_key=True, foreign_key="merchant.id")
    visitor_id: str = Field(primary_key=True)
    tag_id: int = Field(primary_key=True, foreign_key="tag.id", index=True)


class BlacklistRow(RecordsTable, table=True):
    """A blacklisted visitor: the visitor channel refuses new conversations (seed 001, 003)."""

    __tablename__ = "blacklist"
    merchant_id: str = Field(primary_key=True, foreign_key="merchant.id")
    visitor_id: str = Field(primary_key=True)
    reason: str = ""
    added_by: str = ""
    """The account that added it."""
    added_at: datetime = Field(default_factory=utcnow)


class WorkbenchAppRow(RecordsTable, table=True):
    """A third-party page the workbench shows in its right column (seed 004 来电弹屏)."""

    __tablename__ = "workbench_app"
    __table_args__ = (UniqueConstraint("merchant_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(index=True, foreign_key="merchant.id")
    name: str
    """The tab's title; unique per merchant, compared case-sensitively."""
    url: str
    """``https://``, or ``http://`` on a loopback host (checked by the admin API)."""
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
