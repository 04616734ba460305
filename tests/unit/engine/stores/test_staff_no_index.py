"""Staff numbers (工号) are unique per merchant in the records database itself, SQLite and
PostgreSQL (``records_url``): a new database has the partial unique index, an older one gets it
at start, and one that already shares numbers starts without it, saying which and how to mend."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from chatflow.engine.stores.recordsdb import (
    STAFF_NO_INDEX,
    AccountRow,
    MerchantRow,
    breaks_staff_no_index,
    create_tables,
    records_engine,
    shared_staff_numbers,
)


@pytest.fixture
def engine(records_url: str) -> Iterator[Engine]:
    eng = records_engine(records_url)
    create_tables(eng)
    with Session(eng) as db:
        db.add_all([MerchantRow(id="acme"), MerchantRow(id="globex")])
        db.commit()
    yield eng
    eng.dispose()


def account(account: str, staff_no: str, merchant: str = "acme") -> AccountRow:
    return AccountRow(
        merchant_id=merchant,
        account=account,
        password_hash="x",
        nickname=account,
        staff_no=staff_no,
    )


def add(eng: Engine, *rows: AccountRow) -> None:
    with Session(eng) as db:
        db.add_all(rows)
        db.commit()


def staff_no_index(eng: Engine) -> dict[str, Any] | None:
    found = [i for i in inspect(eng).get_indexes("account") if i["name"] == STAFF_NO_INDEX]
    return dict(found[0]) if found else None


def as_an_older_version(eng: Engine) -> None:
    """The database as made before staff numbers were unique in it."""
    with eng.begin() as db:
        db.execute(text(f"DROP INDEX {STAFF_NO_INDEX}"))


def test_a_new_database_refuses_a_shared_number_within_a_merchant(engine: Engine) -> None:
    index = staff_no_index(engine)
    assert index is not None and index["unique"]
    assert index["column_names"] == ["merchant_id", "staff_no"]
    add(engine, account("alice01", "1001"), account("other01", "1001", merchant="globex"))
    add(engine, account("blank01", ""), account("blank02", ""))  # no number is not a number
    with pytest.raises(IntegrityError) as caught, Session(engine) as db:
        db.add(account("bob0001", "1001"))
        db.commit()
    assert breaks_staff_no_index(caught.value)


def test_a_taken_account_name_is_not_taken_for_a_shared_number(engine: Engine) -> None:
    add(engine, account("alice01", "1001"))
    with pytest.raises(IntegrityError) as caught, Session(engine) as db:
        db.add(account("alice01", "2002", merchant="globex"))
        db.commit()
    assert not breaks_staff_no_index(caught.value)


def test_an_older_database_gets_the_index_at_start(engine: Engine) -> None:
    as_an_older_version(engine)
    add(engine, account("alice01", "1001"), account("other01", "1001", merchant="globex"))
    assert staff_no_index(engine) is None
    create_tables(engine)  # what a newer version does at start
    assert staff_no_index(engine) is not None


def test_an_older_database_sharing_numbers_starts_without_the_index_and_says_how_to_mend(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    as_an_older_version(engine)
    add(
        engine,
        account("bob0001", "1002"),
        account("carol01", "1002"),
        account("dave001", "7"),
        account("erin001", "7"),
        account("frank01", "7"),
        account("alice01", "1001"),
        account("other01", "1002", merchant="globex"),  # another merchant's may be the same
    )
    create_tables(engine)  # starts anyway
    assert staff_no_index(engine) is None
    assert shared_staff_numbers(engine) == {
        "acme": {"1002": ["bob0001", "carol01"], "7": ["dave001", "erin001", "frank01"]}
    }
    [warning] = [r for r in caplog.records if r.getMessage() == "records.staff_numbers_shared"]
    assert warning.levelname == "WARNING"
    assert vars(warning)["merchant"] == "acme"
    assert vars(warning)["shared"] == "'1002': bob0001, carol01; '7': dave001, erin001, frank01"
    assert "PATCH /api/v1/admin/accounts/{account}" in vars(warning)["mend"]
    assert "next start" in vars(warning)["mend"]

    with Session(engine) as db:  # mended in the console
        for name, number in (("carol01", "1003"), ("erin001", "8"), ("frank01", "9")):
            moved = db.exec(select(AccountRow).where(AccountRow.account == name)).one()
            moved.staff_no = number
            db.add(moved)
        db.commit()
    caplog.clear()
    create_tables(engine)  # the next start
    assert staff_no_index(engine) is not None
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


def test_two_concurrent_inserts_of_one_number_one_wins(engine: Engine) -> None:
    """Two writers that both found the number free (two admins, two workers): the second's
    insert waits on the first's open transaction and fails once it commits."""
    first_inserted = threading.Event()
    outcomes: dict[str, str] = {}

    def first() -> None:
        with Session(engine) as db:
            db.add(account("alice01", "1001"))
            db.flush()  # inserted, not committed
            first_inserted.set()
            time.sleep(0.3)  # the second's insert is waiting on this transaction meanwhile
            db.commit()
            outcomes["alice01"] = "created"

    def second() -> None:
        assert first_inserted.wait(10)
        with Session(engine) as db:
            db.add(account("bob0001", "1001"))
            try:
                db.commit()
                outcomes["bob0001"] = "created"
            except IntegrityError as error:
                outcomes["bob0001"] = "staff_no" if breaks_staff_no_index(error) else str(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert outcomes == {"alice01": "created", "bob0001": "staff_no"}
