from __future__ import annotations

import pytest

from chatflow.admin_api.passwords import (
    account_problem,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)


@pytest.mark.parametrize("account", ["alice01", "a_b_c_", "A" * 20])
def test_valid_accounts(account: str) -> None:
    assert account_problem(account) is None


@pytest.mark.parametrize("account", ["abc12", "A" * 21, "alice-01", "alice 01", "阿丽丝阿丽丝", ""])
def test_invalid_accounts(account: str) -> None:
    assert account_problem(account) is not None


def test_seed_password_rules_each_reported() -> None:
    assert password_problems("Demo-pass1") == []
    assert password_problems("Aa1!") == ["be 8-20 characters long"]
    assert password_problems("Aa1!" * 6) == ["be 8-20 characters long"]
    assert password_problems("Demo pass1!") == ["contain no spaces"]
    assert password_problems("demo-pass1") == ["contain an upper-case letter"]
    assert password_problems("DEMO-PASS1") == ["contain a lower-case letter"]
    assert password_problems("Demo-passX") == ["contain a digit"]
    assert password_problems("Demopass12") == ["contain a symbol such as !@#$%"]


def test_argon2_hash_and_verify() -> None:
    digest = hash_password("Demo-pass1")
    assert digest.startswith("$argon2id$")
    assert "Demo-pass1" not in digest
    assert verify_password(digest, "Demo-pass1")
    assert not verify_password(digest, "Demo-pass2")
    assert not verify_password(None, "Demo-pass1")
    assert not verify_password("not-a-hash", "Demo-pass1")
    assert not needs_rehash(digest)
