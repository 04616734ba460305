"""The records database: tenants (merchants, sites, groups, accounts), tokens, conversation
records and transcripts. SQLite under the data folder by default, PostgreSQL when scaled out.

Its tables live in their own SQLModel registry, apart from the session store's, so each database
only gets the tables it owns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Engine,
    Index,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel, create_engine

logger = logging.getLogger("chatflow.engine.recordsdb")

_REGISTRY = registry()


def unique_where(name: str, columns: tuple[str, ...], where: str) -> Index:
    """A unique index over the rows matching ``where``, a SQL condition (a partial index:
    SQLite and PostgreSQL both have them)."""
    return Index(
        name,
        *columns,
        unique=True,
        sqlite_where=sql_text(where),
        postgresql_where=sql_text(where),
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class RecordsTable(SQLModel, registry=_REGISTRY):
    """Base of the records database's tables."""


class MerchantRow(RecordsTable, table=True):
    __tablename__ = "merchant"
    id: str = Field(primary_key=True)
    name: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class SiteRow(RecordsTable, table=True):
    __tablename__ = "site"
    key: str = Field(primary_key=True)
    merchant_id: str = Field(index=True, foreign_key="merchant.id")
    name: str | None = None
    flow_id: str
    groups: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    allowed_origins: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    disabled_at: datetime | None = None
    """Set once when the site is disabled; a disabled site can never be enabled again (seed 000)."""
    captcha: bool | None = False
    """New web sessions need a solved captcha (null in rows older than the setting: off)."""
    captcha_image: str | None = None
    """The ``image_blob`` id of the uploaded captcha background; None: the default ones."""


class GroupRow(RecordsTable, table=True):
    __tablename__ = "agent_group"
    merchant_id: str = Field(primary_key=True, foreign_key="merchant.id")
    id: str = Field(primary_key=True)
    name: str | None = None
    max_sessions: int = 5
    routing: str = "fifo"
    ring_timeout: float = 15
    rest_after_missed: bool = False
    auto_accept: bool = False


STAFF_NO_INDEX = "ux_account_staff_no"
"""No two accounts of a merchant share a staff number (工号); an empty one is not a number."""


class AccountRow(RecordsTable, table=True):
    __tablename__ = "account"
    __table_args__ = (
        UniqueConstraint("account"),
        unique_where(STAFF_NO_INDEX, ("merchant_id", "staff_no"), "staff_no <> ''"),
    )
    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(index=True, foreign_key="merchant.id")
    account: str
    password_hash: str
    nickname: str
    staff_no: str
    role: str = "agent"
    groups: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    default_status: str = "free"
    permission_group_id: int | None = Field(default=None, foreign_key="permission_group.id")
    """Sub-accounts get their permissions from a permission group; None = the role's defaults."""
    site_scope: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """Sites the account may act on; None = all sites of the merchant (seed 000)."""
    agent_scope: str = "self"
    """Whose conversations and agents it sees: ``self``, ``groups`` (``scope_groups``) or ``all``."""
    scope_groups: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """The agent groups of ``agent_scope: groups``."""
    enabled: bool = True
    owner: bool = False
    """The merchant's owner account: sub-accounts can neither list nor change it."""
    token_epoch: int = 0
    """Raised on password change, disable and delete: every token of an older epoch is dead."""
    created_at: datetime = Field(default_factory=utcnow)


class PermissionGroupRow(RecordsTable, table=True):
    """A permission group (權限分組): per-feature ``view`` / ``edit`` rights."""

    __tablename__ = "permission_group"
    __table_args__ = (UniqueConstraint("merchant_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(index=True, foreign_key="merchant.id")
    name: str
    permissions: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    """feature -> ``view`` or ``edit`` (absent = no access)."""


class TokenRow(RecordsTable, table=True):
    __tablename__ = "auth_token"
    token_hash: str = Field(primary_key=True)
    account_id: int = Field(index=True, foreign_key="account.id")
    epoch: int
    issued_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked: bool = False


class ConversationRow(RecordsTable, table=True):
    """One conversation's record: who, where, and the timing the statistics are built from."""

    __tablename__ = "conversation"
    __table_args__ = (
        # records lists, exports and statistics: one merchant's conversations, newest first,
        # read in keyset pages of (started_at, session_id)
        Index("ix_conversation_merchant_started", "merchant_id", "started_at", "session_id"),
    )
    session_id: str = Field(primary_key=True)
    merchant_id: str = Field(index=True)
    site_key: str = Field(index=True)
    visitor_id: str = Field(index=True)
    flow_id: str
    status: str = "bot"
    """bot, queued, with_agent or ended."""
    group_id: str | None = Field(default=None, index=True)
    agent_account: str | None = Field(default=None, index=True)
    agents: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    started_at: datetime = Field(default_factory=utcnow, index=True)
    queued_at: datetime | None = None
    first_ring_at: datetime | None = None
    agent_joined_at: datetime | None = None
    service_ended_at: datetime | None = None
    """When the human service ended (the survey and goodbye may follow)."""
    segment_started_at: datetime | None = None
    """When the agent serving it now joined; None while no agent serves it. A transfer ends one
    service segment and the next agent's join starts another."""
    served_micros: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    """Time agents served the visitor in the segments ended so far (whole microseconds: the
    reception time); None before the first ends, and in records older than segments."""
    first_agent_reply_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None
    closed_by: str | None = None
    """client, seat, admin or timer (seed TCCC ``closeBy``) when a human service ended."""
    rating: int | None = None
    abandoned: bool = False
    """The visitor left (or timed out) while waiting in the queue, never served by an agent."""
    queue_left_at: datetime | None = None
    """When an ``abandoned`` wait ended: the visitor left, or the flow gave it up (nobody of the
    group online, the queue timeout) and went on; null in records older than the column."""
    # Where a web visitor was when the conversation started (``records.Visit``): personal
    # data, kept as long as the record; null for the webhook channel and older records.
    visitor_ip: str | None = None
    user_agent: str | None = None
    """The browser's ``User-Agent`` header, at most 512 characters; parsed when read."""
    page_url: str | None = None
    """The page the chat was opened on (http(s), no fragment)."""
    page_title: str | None = None
    referrer: str | None = None
    """Where the visitor came to that page from."""
    channel_type: str | None = None
    """The channel it came through (``records.Channel``): ``web`` or ``webhook``; null in a
    record older than the column that the upgrade could not tell (:data:`BACKFILLS`)."""
    channel_key: str | None = None
    """The webhook channel's key; null for the web channel."""


class AgentMarkRow(RecordsTable, table=True):
    """A conversation an agent pinned or muted (seed 001 置顶聊天, 消息免打扰): kept per account,
    so every browser of the agent shows it the same; a row holds at least one of the two.

    Rewritten on every change, so ``id`` orders an agent's marks by their last change (the
    agent keeps its newest 200: ``admin_api.agent_marks``). The account is its id, not its name:
    a deleted account's name made again does not inherit its marks.
    """

    __tablename__ = "agent_mark"
    __table_args__ = (UniqueConstraint("account_id", "session_id"),)
    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(index=True, foreign_key="merchant.id")
    account_id: int
    session_id: str
    pinned: bool = False
    muted: bool = False
    updated_at: datetime = Field(default_factory=utcnow)


class MessageRow(RecordsTable, table=True):
    """One line of a transcript."""

    __tablename__ = "message"
    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(index=True)
    merchant_id: str = Field(index=True)
    seq: int
    sender: str
    """visitor, bot, agent or system."""
    agent_account: str | None = None
    text: str
    """A survey's invitation: its prompt."""
    survey: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    """On a survey's invitation (a ``bot`` line): ``{style, levels, labels}``; None otherwise,
    and on every line of records older than the column."""
    at: datetime = Field(default_factory=utcnow, index=True)


class FlowVersionRow(RecordsTable, table=True):
    """One saved version of a merchant's flow: a draft, the published one, or an archived one.

    Versions are numbered 1, 2, ... per (merchant, flow); a partial unique index holds "at most
    one published version per flow" in the database itself, so two concurrent publishes cannot
    both win. Deleting leaves a textless ``deleted`` row at the highest number, so numbers are
    never reused.
    """

    __tablename__ = "flow_version"
    __table_args__ = (
        UniqueConstraint("merchant_id", "flow_id", "version"),
        unique_where(
            "ux_flow_version_published", ("merchant_id", "flow_id"), "status = 'published'"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(index=True, foreign_key="merchant.id")
    flow_id: str = Field(index=True)
    version: int
    yaml: str = Field(sa_column=Column(Text, nullable=False))
    """The flow file's text exactly as uploaded (comments and layout kept)."""
    status: str = "draft"
    """``draft``, ``published`` or ``archived``; ``deleted`` marks a tombstone that keeps a
    deleted version's number from being reused (``engine.flowversions``)."""
    created_by: str
    """Account that saved it, or ``chatflow.yaml`` for flows imported at first start."""
    created_at: datetime = Field(default_factory=utcnow)
    note: str = ""


def records_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the records database; SQLite gets WAL and foreign keys, PostgreSQL UTC.

    ``postgresql://`` and ``postgres://`` URLs use psycopg 3 (``postgresql+psycopg://``).
    Datetime columns are SQLModel's ``UTCDateTime`` (``timestamptz`` on PostgreSQL, UTC text on
    SQLite; aware UTC either way); PostgreSQL sessions also run in UTC, so date arithmetic in
    SQL gives the same answer on both whatever the server's ``timezone`` setting is.
    """
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            url = "postgresql+psycopg://" + url[len(scheme) :]
    if url.startswith("postgresql"):
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: no fsync per commit; a power cut may lose the last commits, never
            # corrupts. Records trail the session store, which keeps the conversation itself.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    elif engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _utc(dbapi_connection: Any, _record: Any) -> None:
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True
            cursor = dbapi_connection.cursor()
            cursor.execute("SET TIME ZONE 'UTC'")
            cursor.close()
            dbapi_connection.autocommit = autocommit

    return engine


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """Held while a worker creates tables and seeds the database from ``chatflow.yaml``.

    Several workers starting at once on one PostgreSQL take turns (a session advisory lock),
    so none of them trips over another's ``CREATE TABLE`` or first insert. SQLite: a no-op
    (one process owns the file). Re-entrant: ``create_tables`` inside it does not wait on itself.
    """
    if engine.dialect.name != "postgresql" or _holding.get():
        yield
        return
    with engine.connect() as conn:
        conn.execute(sql_text("SELECT pg_advisory_lock(:key)"), {"key": _STARTUP_LOCK})
        conn.commit()
        held = _holding.set(True)
        try:
            yield
        finally:
            _holding.reset(held)
            conn.execute(sql_text("SELECT pg_advisory_unlock(:key)"), {"key": _STARTUP_LOCK})
            conn.commit()


_STARTUP_LOCK = 0x63686174666C6F77  # "chatflow"
_holding: ContextVar[bool] = ContextVar("chatflow_startup_lock", default=False)


def create_tables(engine: Engine) -> None:
    """Create the records tables that do not exist yet."""
    from chatflow.engine.stores import (
        channeltables,  # noqa: F401  (registers its tables)
        contenttables,  # noqa: F401  (registers its tables)
    )

    with startup_lock(engine):
        _REGISTRY.metadata.create_all(engine)
        _add_missing_columns(engine)
        _add_missing_indexes(engine)


BACKFILLS: dict[tuple[str, str], str] = {
    # Every webhook conversation has had its ``webhook_session`` row, written before it starts
    # and deleted only with its record; every other record is of the web channel.
    ("conversation", "channel_type"): (
        "UPDATE conversation SET"
        " channel_type = CASE WHEN EXISTS (SELECT 1 FROM webhook_session w"
        " WHERE w.session_id = conversation.session_id) THEN 'webhook' ELSE 'web' END,"
        " channel_key = (SELECT w.channel_key FROM webhook_session w"
        " WHERE w.session_id = conversation.session_id)"
    ),
}
"""What the rows an older database already holds get in a column added to them, once, right
after the column is added: ``(table, column) -> UPDATE``. A column without one stays null there."""


def _add_missing_columns(engine: Engine) -> None:
    """Add nullable columns that newer code has and an older database lacks (forward only),
    filling them in older rows where :data:`BACKFILLS` says how."""
    existing = inspect(engine)
    with engine.begin() as connection:
        for table in _REGISTRY.metadata.sorted_tables:
            if not existing.has_table(table.name):
                continue
            have = {column["name"] for column in existing.get_columns(table.name)}
            added = []
            for column in table.columns:
                if column.name in have or not column.nullable:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                connection.execute(
                    sql_text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
                )
                added.append(column.name)
            for name in added:
                backfill = BACKFILLS.get((table.name, name))
                if backfill is not None:
                    connection.execute(sql_text(backfill))


def _add_missing_indexes(engine: Engine) -> None:
    """Create indexes that newer code declares and an older database lacks. A unique index the
    old rows already break is left out (logged): the code keeps its checks either way."""
    existing = inspect(engine)
    for table in _REGISTRY.metadata.sorted_tables:
        have = {index["name"] for index in existing.get_indexes(table.name)}
        for index in table.indexes:
            if index.name in have:
                continue
            try:
                with engine.begin() as connection:
                    index.create(connection)
            except IntegrityError:
                logger.warning(
                    "records.index_not_created",
                    extra={"table": table.name, "index": index.name},
                )
                if index.name == STAFF_NO_INDEX:
                    _warn_shared_staff_numbers(engine)


def breaks_staff_no_index(error: IntegrityError) -> bool:
    """Whether ``error`` is a write that gave an account a staff number another account of its
    merchant has (PostgreSQL names the index, SQLite its columns)."""
    said = str(error.orig)
    return STAFF_NO_INDEX in said or "account.merchant_id, account.staff_no" in said


def shared_staff_numbers(engine: Engine) -> dict[str, dict[str, list[str]]]:
    """Staff numbers that several accounts of a merchant have (made before they were unique):
    merchant -> number -> its accounts, all sorted."""
    rows = sql_text(
        "SELECT a.merchant_id, a.staff_no, a.account FROM account a"
        " JOIN (SELECT merchant_id, staff_no FROM account WHERE staff_no <> ''"
        " GROUP BY merchant_id, staff_no HAVING count(*) > 1) d"
        " ON a.merchant_id = d.merchant_id AND a.staff_no = d.staff_no"
        " ORDER BY a.merchant_id, a.staff_no, a.account"
    )
    shared: dict[str, dict[str, list[str]]] = {}
    with engine.connect() as connection:
        for merchant_id, staff_no, account in connection.execute(rows):
            shared.setdefault(merchant_id, {}).setdefault(staff_no, []).append(account)
    return shared


def _warn_shared_staff_numbers(engine: Engine) -> None:
    """One warning per merchant whose accounts share staff numbers: which, and how to mend.
    The admin API's check still refuses a new clash; the index is tried again at every start."""
    for merchant_id, numbers in shared_staff_numbers(engine).items():
        logger.warning(
            "records.staff_numbers_shared",
            extra={
                "merchant": merchant_id,
                "shared": "; ".join(
                    f"{number!r}: {', '.join(accounts)}" for number, accounts in numbers.items()
                ),
                "mend": "keep each number on one account and give the others new ones"
                " (console: Accounts > Edit, or PATCH /api/v1/admin/accounts/{account});"
                " the next start then makes staff numbers unique in the database",
            },
        )
