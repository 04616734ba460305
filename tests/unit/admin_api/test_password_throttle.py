"""Passwords given as proof (old or admin password) are throttled like logins, on the same budget.

The throttle's window is checked on :class:`AuthService` with a frozen clock; the routes over
HTTP with the real app and SQLite. Argon2 runs at its cheapest parameters (``cheap_argon2``):
these tests verify dozens of passwords, and the production cost is covered by ``test_auth``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import test_auth
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from sqlmodel import Session
from test_auth import Clock

from chatflow.admin_api.app import create_app
from chatflow.admin_api.auth import AuthError, AuthService, Throttled
from chatflow.admin_api.settings import ServeSettings
from chatflow.engine.stores.recordsdb import AccountRow

pytestmark = pytest.mark.usefixtures("cheap_argon2")

engine = test_auth.engine
"""The fixture: account alice01 (id 1) of merchant acme, password ``PASSWORD``."""
PASSWORD = "Demo-pass1"
NEW = "Demo-pass2"
WRONG = "Wrong-pass1"


# -- AuthService.confirm ---------------------------------------------------------------------


@pytest.fixture
def digest(engine: Engine) -> str:
    with Session(engine) as db:
        row = db.get(AccountRow, 1)
        assert row is not None
        return row.password_hash


def test_proofs_and_logins_share_the_accounts_budget_until_the_window_passes(
    engine: Engine, digest: str
) -> None:
    clock = Clock()
    auth = AuthService(engine, clock)
    for _ in range(3):
        assert not auth.confirm("alice01", digest, WRONG)
    for _ in range(2):
        with pytest.raises(AuthError):
            auth.login("alice01", WRONG, "10.0.0.1")
    with pytest.raises(Throttled) as info:  # 3 wrong proofs + 2 failed logins: 5 of 5 used
        auth.confirm("alice01", digest, PASSWORD)  # even the right password waits
    assert info.value.retry_after > 0 and "wrong passwords" in str(info.value)
    with pytest.raises(Throttled):
        auth.login("alice01", PASSWORD, "10.0.0.1")
    clock.now += timedelta(minutes=6)
    assert auth.confirm("alice01", digest, PASSWORD)


def test_a_right_proof_clears_only_its_own_accounts_count(engine: Engine, digest: str) -> None:
    auth = AuthService(engine, Clock())
    for _ in range(4):
        assert not auth.confirm("alice01", digest, WRONG)
        with pytest.raises(AuthError):
            auth.login("nobody01", WRONG, "10.0.0.1")
    assert auth.confirm("alice01", digest, PASSWORD)
    for _ in range(4):  # alice01 starts again from zero ...
        assert not auth.confirm("alice01", digest, WRONG)
    with pytest.raises(AuthError):  # ... nobody01 does not: this is its fifth and last try
        auth.login("nobody01", WRONG, "10.0.0.1")
    with pytest.raises(Throttled):
        auth.login("nobody01", WRONG, "10.0.0.1")


# -- over HTTP ------------------------------------------------------------------------------

CONFIG = """\
merchants:
  - id: acme
    sites: []
    groups: [{id: presales}]
    agents:
      - {account: alice01, password_env: PW, nickname: Alice, staff_no: "1001", role: admin}
      - {account: bob001, password_env: PW, nickname: Bob, staff_no: "1002", role: agent}
"""

ACCOUNTS = "/api/v1/admin/accounts"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    config = tmp_path / "chatflow.yaml"
    config.write_text(CONFIG)
    settings = ServeSettings(config=config, data=tmp_path / "data", env={"PW": PASSWORD})
    with TestClient(create_app(settings)) as client:
        yield client


def login(client: TestClient, account: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"account": account, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def assert_throttled(response: Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:chatflow:throttled"
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize(
    "url", [f"{ACCOUNTS}/alice01/password", "/api/v1/agents/me/password"], ids=["admin", "me"]
)
def test_wrong_old_passwords_are_throttled_and_so_is_the_login(
    client: TestClient, url: str
) -> None:
    alice = login(client, "alice01")
    for _ in range(5):
        wrong = client.put(url, headers=alice, json={"old_password": WRONG, "new_password": NEW})
        assert wrong.status_code == 403 and wrong.json()["type"] == "urn:chatflow:wrong_password"
    right = client.put(url, headers=alice, json={"old_password": PASSWORD, "new_password": NEW})
    assert_throttled(right)
    assert client.get("/api/v1/agents/me", headers=alice).status_code == 200  # nothing changed
    refused = client.post("/api/v1/auth/login", json={"account": "alice01", "password": PASSWORD})
    assert_throttled(refused)  # the same budget: the login form is no way around it


def test_wrong_admin_passwords_are_throttled_on_the_admins_own_account(
    client: TestClient,
) -> None:
    alice = login(client, "alice01")
    url = f"{ACCOUNTS}/bob001/password"
    for _ in range(5):
        wrong = client.put(url, headers=alice, json={"admin_password": WRONG, "new_password": NEW})
        assert wrong.status_code == 403
    right = client.put(url, headers=alice, json={"admin_password": PASSWORD, "new_password": NEW})
    assert_throttled(right)
    login(client, "bob001")  # bob's password is unchanged and his own count untouched


def test_the_right_password_before_the_limit_works_and_clears_the_count(
    client: TestClient,
) -> None:
    alice = login(client, "alice01")
    url = f"{ACCOUNTS}/alice01/password"
    for _ in range(4):
        wrong = client.put(url, headers=alice, json={"old_password": WRONG, "new_password": NEW})
        assert wrong.status_code == 403
    right = client.put(url, headers=alice, json={"old_password": PASSWORD, "new_password": NEW})
    assert right.status_code == 204, right.text
    assert client.get("/api/v1/agents/me", headers=alice).status_code == 401  # tokens died
    login(client, "alice01", NEW)  # a sixth try, allowed: the right password cleared the count


def test_changing_another_accounts_password_leaves_its_failed_logins_counted(
    client: TestClient,
) -> None:
    alice = login(client, "alice01")
    for _ in range(5):
        failed = client.post("/api/v1/auth/login", json={"account": "bob001", "password": WRONG})
        assert failed.status_code == 401
    url = f"{ACCOUNTS}/bob001/password"
    ok = client.put(url, headers=alice, json={"admin_password": PASSWORD, "new_password": NEW})
    assert ok.status_code == 204, ok.text  # alice's proof counts for alice only
    refused = client.post("/api/v1/auth/login", json={"account": "bob001", "password": NEW})
    assert_throttled(refused)


def test_proofs_leave_the_login_budget_of_the_address_alone(client: TestClient) -> None:
    """An admin resetting many passwords does not lock the office (one address) out of logins."""
    alice = login(client, "alice01")
    url = f"{ACCOUNTS}/bob001/password"
    for i in range(30):  # every request of the test client comes from one address
        body = {"admin_password": PASSWORD, "new_password": NEW if i % 2 == 0 else PASSWORD}
        assert client.put(url, headers=alice, json=body).status_code == 204
    login(client, "bob001")  # the address's second login of the window
