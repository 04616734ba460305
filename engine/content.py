"""Engine-side reads of merchant content: the per-merchant word filters and the blacklist.

The server's agent-message path asks :meth:`WordFilterCache.check_agent_message` before sending;
the visitor channel asks :func:`is_blacklisted` before starting a conversation. Both read the
records database; the admin API writes it and calls :meth:`WordFilterCache.invalidate`. The
one write here is :func:`name_visitor`: the name a channel gives a new conversation's visitor.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from chatflow.engine.stores.contenttables import BlacklistRow, VisitorRow, WordRow
from chatflow.engine.wordfilter import Verdict, WordFilter


def load_word_filter(engine: Engine, merchant_id: str) -> WordFilter:
    """The merchant's words, compiled."""
    with Session(engine) as db:
        rows = db.exec(
            select(WordRow.kind, WordRow.word).where(WordRow.merchant_id == merchant_id)
        ).all()
    return WordFilter.from_words((kind, word) for kind, word in rows)


class WordFilterCache:
    """One compiled :class:`WordFilter` per merchant, rebuilt after a change.

    This process's admin routes call :meth:`invalidate` on every change; other workers (scale-out)
    rebuild when their copy is older than ``ttl`` seconds, so a change reaches them within it.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        ttl: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._ttl = ttl
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._filters: dict[str, tuple[float, WordFilter]] = {}

    def cached(self, merchant_id: str) -> WordFilter | None:
        """The compiled filter if it is fresh, without touching the database."""
        with self._lock:
            entry = self._filters.get(merchant_id)
        if entry is None or self._monotonic() - entry[0] > self._ttl:
            return None
        return entry[1]

    def get(self, merchant_id: str) -> WordFilter:
        """The merchant's filter, loading it (a blocking database read) when not fresh."""
        current = self.cached(merchant_id)
        if current is not None:
            return current
        loaded_at = self._monotonic()
        compiled = load_word_filter(self._engine, merchant_id)
        with self._lock:
            self._filters[merchant_id] = (loaded_at, compiled)
        return compiled

    def invalidate(self, merchant_id: str) -> None:
        with self._lock:
            self._filters.pop(merchant_id, None)

    def check(self, merchant_id: str, text: str) -> Verdict:
        return self.get(merchant_id).check(text)

    async def check_agent_message(self, merchant_id: str, text: str) -> Verdict:
        """Check an agent's message: ``blocked`` words refuse it (``verdict.reason`` says why);
        ``alerts`` go to the supervisors. The database is read off the event loop."""
        compiled = self.cached(merchant_id)
        if compiled is None:
            compiled = await asyncio.to_thread(self.get, merchant_id)
        return compiled.check(text)

    async def check_visitor_message(self, merchant_id: str, text: str) -> Verdict:
        """Check a visitor's message: never blocked (``blocked`` is empty), only alerts."""
        verdict = await self.check_agent_message(merchant_id, text)
        return Verdict([], verdict.alerts)


def is_blacklisted(engine: Engine, merchant_id: str, visitor_id: str) -> bool:
    """Whether the merchant blacklisted this visitor; the visitor channel then refuses politely."""
    with Session(engine) as db:
        return db.get(BlacklistRow, (merchant_id, visitor_id)) is not None


def name_visitor(
    engine: Engine, merchant_id: str, visitor_id: str, name: str, at: datetime
) -> bool:
    """Give the visitor ``name`` if the merchant's profile of it has none (a new profile when
    there is none): what a channel's client calls the visitor never replaces a name an agent or
    an admin gave. Safe when two conversations of one visitor start at once. Whether it named.

    A returning visitor who has a name (a member's every visit) costs one read by key."""
    with Session(engine) as db:
        profile = db.get(VisitorRow, (merchant_id, visitor_id))
        if profile is not None and profile.name is not None:
            return False
        if profile is None:
            db.add(
                VisitorRow(merchant_id=merchant_id, visitor_id=visitor_id, name=name, updated_at=at)
            )
            try:
                db.commit()
                return True
            except IntegrityError:
                db.rollback()  # another worker made the profile a moment ago
        named = db.exec(
            update(VisitorRow)
            .where(
                col(VisitorRow.merchant_id) == merchant_id,
                col(VisitorRow.visitor_id) == visitor_id,
                col(VisitorRow.name).is_(None),
            )
            .values(name=name, updated_at=at)
        )
        db.commit()
        return bool(named.rowcount)
