from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from chatflow.admin_api.auth import LOGINS_PER_IP, AuthError, AuthService, Throttled
from chatflow.admin_api.passwords import hash_password
from chatflow.engine.stores.recordsdb import AccountRow, MerchantRow, create_tables, records_engine


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine() -> Iterator[Engine]:
    eng = records_engine("sqlite://")
    create_tables(eng)
    with Session(eng) as db:
        db.add(MerchantRow(id="acme"))
        db.flush()
        db.add(
            AccountRow(
                merchant_id="acme",
                account="alice01",
                password_hash=hash_password("Demo-pass1"),
                nickname="Alice",
                staff_no="1001",
                groups={"presales": 1},
            )
        )
        db.commit()
    yield eng
    eng.dispose()


def account_id(engine: Engine) -> int:
    with Session(engine) as db:
        row = db.get(AccountRow, 1)
        assert row is not None and row.id is not None
        return row.id


def test_login_gives_a_token_that_resolves_to_the_agent(engine: Engine) -> None:
    auth = AuthService(engine, Clock())
    token = auth.login("alice01", "Demo-pass1", "127.0.0.1")
    principal = auth.resolve(token)
    assert principal is not None
    assert (principal.account, principal.merchant_id, principal.staff_no) == (
        "alice01",
        "acme",
        "1001",
    )
    assert auth.resolve(token + "x") is None


def test_wrong_password_and_unknown_account_get_the_same_generic_error(engine: Engine) -> None:
    auth = AuthService(engine, Clock())
    with pytest.raises(AuthError) as wrong:
        auth.login("alice01", "nope", "127.0.0.1")
    with pytest.raises(AuthError) as unknown:
        auth.login("nobody01", "Demo-pass1", "127.0.0.1")
    assert str(wrong.value) == str(unknown.value) == AuthService.GENERIC


def test_failed_logins_are_throttled_per_account_then_per_ip(engine: Engine) -> None:
    clock = Clock()
    auth = AuthService(engine, clock)
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.login("alice01", "bad", "10.0.0.1")
    with pytest.raises(Throttled) as info:
        auth.login("alice01", "Demo-pass1", "10.0.0.2")  # even the right password waits
    assert info.value.retry_after > 0
    clock.now += timedelta(minutes=6)
    assert auth.login("alice01", "Demo-pass1", "10.0.0.2")
    for i in range(30):
        with pytest.raises(AuthError):
            auth.login(f"guess{i:04d}", "bad", "10.9.9.9")
    with pytest.raises(Throttled):
        auth.login("alice01", "Demo-pass1", "10.9.9.9")


def test_successful_logins_do_not_use_up_the_address_budget(engine: Engine) -> None:
    """An office behind one address logs everyone in at nine; only failures count per IP."""
    auth = AuthService(engine, Clock())
    for _ in range(LOGINS_PER_IP.count + 10):
        assert auth.login("alice01", "Demo-pass1", "10.1.1.1")
    for i in range(LOGINS_PER_IP.count - 1):
        with pytest.raises(AuthError):
            auth.login(f"guess{i:04d}", "bad", "10.1.1.1")
    assert auth.login("alice01", "Demo-pass1", "10.1.1.1")  # the 30th try, and right
    with pytest.raises(AuthError):
        auth.login("guess9999", "bad", "10.1.1.1")
    with pytest.raises(Throttled):  # 30 failures: now even the right password waits
        auth.login("alice01", "Demo-pass1", "10.1.1.1")


def test_logout_kills_one_token_and_revoke_all_kills_every_token(engine: Engine) -> None:
    auth = AuthService(engine, Clock())
    told: list[int] = []
    auth.on_revoke(told.append)
    first = auth.login("alice01", "Demo-pass1", "127.0.0.1")
    second = auth.login("alice01", "Demo-pass1", "127.0.0.1")
    auth.logout(first)
    assert auth.resolve(first) is None and auth.resolve(second) is not None
    auth.revoke_all(account_id(engine))
    assert auth.resolve(second) is None
    assert told == [account_id(engine), account_id(engine)]
    assert auth.resolve(auth.login("alice01", "Demo-pass1", "127.0.0.1")) is not None


def test_tokens_expire_and_disabled_accounts_cannot_use_or_get_them(engine: Engine) -> None:
    clock = Clock()
    auth = AuthService(engine, clock, token_ttl=timedelta(hours=1))
    token = auth.login("alice01", "Demo-pass1", "127.0.0.1")
    clock.now += timedelta(minutes=61)
    assert auth.resolve(token) is None
    token = auth.login("alice01", "Demo-pass1", "127.0.0.1")
    with Session(engine) as db:
        row = db.get(AccountRow, account_id(engine))
        assert row is not None
        row.enabled = False
        db.add(row)
        db.commit()
    assert auth.resolve(token) is None
    with pytest.raises(AuthError):
        auth.login("alice01", "Demo-pass1", "127.0.0.1")
