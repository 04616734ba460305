"""Account names and passwords: the seed's policy, argon2 hashing, and constant-effort checks.

Policy (seed 000, sub-accounts): account 6-20 of ``[A-Za-z0-9_]``; password 8-20 characters, no
spaces, with an upper-case letter, a lower-case letter, a digit and a symbol.
"""

from __future__ import annotations

import re
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ACCOUNT_PATTERN = re.compile(r"^[A-Za-z0-9_]{6,20}$")
_SYMBOLS = set(string.punctuation)

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("chatflow-dummy-password-for-timing")


def account_problem(account: str) -> str | None:
    """Why ``account`` is not a valid account name, or None."""
    if not ACCOUNT_PATTERN.fullmatch(account):
        return "account must be 6-20 characters of letters, digits or _"
    return None


def password_problems(password: str) -> list[str]:
    """Every rule ``password`` breaks (empty when it is acceptable)."""
    problems: list[str] = []
    if not 8 <= len(password) <= 20:
        problems.append("be 8-20 characters long")
    if any(ch.isspace() for ch in password):
        problems.append("contain no spaces")
    if not any(ch.isupper() for ch in password):
        problems.append("contain an upper-case letter")
    if not any(ch.islower() for ch in password):
        problems.append("contain a lower-case letter")
    if not any(ch.isdigit() for ch in password):
        problems.append("contain a digit")
    if not any(ch in _SYMBOLS for ch in password):
        problems.append("contain a symbol such as !@#$%")
    return problems


def hash_password(password: str) -> str:
    """An argon2id hash (salt and parameters inside)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; an absent account still costs one argon2 verification."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with older parameters and should be replaced at next login."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
