"""Admin changes reach the live queue one at a time, each with its row as last committed.

Two PATCHes of one account racing must not leave the queue with the older one: each re-reads
its row inside its turn (``live_queue_update``), and the turns do not overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine
from sqlmodel import Session

from chatflow.admin_api.routes_accounts import live_queue_update
from chatflow.admin_api.scaleout import admin_turn
from chatflow.admin_api.services import PROCESS_TURN
from chatflow.engine.stores.recordsdb import AccountRow, MerchantRow, create_tables, records_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = records_engine(f"sqlite:///{tmp_path / 'records.sqlite3'}")  # shared by threads
    create_tables(eng)
    with Session(eng) as db:
        db.add(MerchantRow(id="acme"))
        db.flush()
        db.add(
            AccountRow(
                merchant_id="acme", account="carol01", password_hash="x", nickname="C", staff_no="1"
            )
        )
        db.commit()
    yield eng
    eng.dispose()


def save_groups(engine: Engine, groups: dict[str, int]) -> None:
    """Another request's change, committed."""
    with Session(engine) as db:
        row = db.get(AccountRow, 1)
        assert row is not None
        row.groups = groups
        db.add(row)
        db.commit()


def test_the_update_sees_the_last_committed_row_not_the_callers_copy(engine: Engine) -> None:
    seen: list[dict[str, int]] = []
    with Session(engine) as db:
        row = db.get(AccountRow, 1)
        assert row is not None and row.groups == {}
        save_groups(engine, {"presales": 2})  # committed after this request read its copy
        live_queue_update(db, row, lambda: seen.append(dict(row.groups)))
    assert seen == [{"presales": 2}]


def test_a_row_deleted_meanwhile_is_left_to_the_deletion(engine: Engine) -> None:
    seen: list[str] = []
    with Session(engine) as db:
        row = db.get(AccountRow, 1)
        assert row is not None
        with Session(engine) as other:
            gone = other.get(AccountRow, 1)
            other.delete(gone)
            other.commit()
        live_queue_update(db, row, lambda: seen.append(row.account))
    assert seen == []


def test_turns_do_not_overlap_and_the_later_one_carries_the_later_save(engine: Engine) -> None:
    race(engine, PROCESS_TURN, PROCESS_TURN)


def test_two_workers_take_turns_through_redis(
    engine: Engine, redis_url: str, redis_prefix: str
) -> None:
    """Scaled out, each worker has its own process lock: the Redis turn orders them."""
    clients = [redis.Redis.from_url(redis_url) for _ in range(2)]
    try:
        race(engine, *(admin_turn(client, redis_prefix) for client in clients))
    finally:
        for client in clients:
            client.close()


def race(
    engine: Engine,
    first_turn: AbstractContextManager[object],
    second_turn: AbstractContextManager[object],
) -> None:
    """The first change is still telling the queue when a second is saved and wants its turn."""
    inside, release = threading.Event(), threading.Event()
    seen: list[tuple[str, dict[str, int]]] = []

    def first() -> None:
        with Session(engine) as db:
            row = db.get(AccountRow, 1)
            assert row is not None

            def update() -> None:
                seen.append(("first", dict(row.groups)))
                inside.set()
                release.wait(30)

            live_queue_update(db, row, update, first_turn)

    def second() -> None:
        save_groups(engine, {"quick": 1})
        with Session(engine) as db:
            row = db.get(AccountRow, 1)
            assert row is not None
            live_queue_update(
                db, row, lambda: seen.append(("second", dict(row.groups))), second_turn
            )

    one = threading.Thread(target=first)
    one.start()
    assert inside.wait(30)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.3)
    assert two.is_alive() and seen == [("first", {})]  # waits for its turn
    release.set()
    one.join(30)
    two.join(30)
    assert seen == [("first", {}), ("second", {"quick": 1})]
