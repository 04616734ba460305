from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from chatflow.engine.content import WordFilterCache, is_blacklisted
from chatflow.engine.stores.contenttables import BlacklistRow, WordRow
from chatflow.engine.stores.recordsdb import MerchantRow, create_tables, records_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = records_engine(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    create_tables(eng)
    with Session(eng) as db:
        db.add(MerchantRow(id="acme"))
        db.add(MerchantRow(id="other"))
        db.commit()
    yield eng
    eng.dispose()


def add_word(engine: Engine, merchant: str, kind: str, word: str) -> None:
    with Session(engine) as db:
        db.add(WordRow(merchant_id=merchant, kind=kind, word=word, folded=word.casefold()))
        db.commit()


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_cache_is_per_merchant_and_rebuilt_on_invalidate_or_after_ttl(engine: Engine) -> None:
    add_word(engine, "acme", "forbidden", "微信")
    add_word(engine, "other", "forbidden", "QQ")
    ticks = Ticks()
    cache = WordFilterCache(engine, ttl=30, monotonic=ticks)
    assert cache.check("acme", "加微信").blocked == ["微信"]
    assert cache.check("acme", "加QQ").allowed  # another merchant's word
    add_word(engine, "acme", "forbidden", "QQ")
    assert cache.check("acme", "加QQ").allowed  # still the cached copy
    cache.invalidate("acme")
    assert cache.check("acme", "加QQ").blocked == ["QQ"]
    add_word(engine, "acme", "sensitive", "退款")
    ticks.now = 31  # another worker changed the words: seen after the ttl
    assert cache.check("acme", "退款").alerts == [("sensitive", "退款")]


@pytest.mark.anyio
async def test_async_checks_for_agents_and_visitors(engine: Engine) -> None:
    add_word(engine, "acme", "forbidden", "微信")
    add_word(engine, "acme", "reminder", "投诉")
    cache = WordFilterCache(engine)
    agent = await cache.check_agent_message("acme", "加微信，别投诉")
    assert agent.blocked == ["微信"] and agent.alerts == [("reminder", "投诉")]
    visitor = await cache.check_visitor_message("acme", "加微信，我要投诉")
    assert visitor.allowed and visitor.alerts == [("reminder", "投诉")]


def test_blacklist_is_per_merchant(engine: Engine) -> None:
    with Session(engine) as db:
        db.add(BlacklistRow(merchant_id="acme", visitor_id="v1", reason="spam"))
        db.commit()
    assert is_blacklisted(engine, "acme", "v1")
    assert not is_blacklisted(engine, "other", "v1")
    assert not is_blacklisted(engine, "acme", "v2")
