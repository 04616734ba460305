"""Agent and admin authentication: login, tokens, and their revocation.

Login answers one generic error whether the account is unknown, disabled or the password wrong,
and costs one argon2 verification either way. Failed logins are throttled per account and per
client IP; a password given as proof by a logged-in account (:meth:`AuthService.confirm`, before a
password change) draws on the same per-account budget, so a stolen token guesses no faster than
the login form. A token is 32 random bytes; only its SHA-256 is stored. Tokens die on logout, and
every token of an account dies when its ``token_epoch`` is raised (password change, disable,
delete); listeners are told so open websockets can be closed.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from chatflow.admin_api.passwords import hash_password, needs_rehash, verify_password
from chatflow.engine.clock import as_utc
from chatflow.engine.errors import ChatflowError
from chatflow.engine.ratelimit import Limit, MemoryRateLimiter, RateLimiter
from chatflow.engine.stores.recordsdb import AccountRow, TokenRow

LOGINS_PER_ACCOUNT = Limit(5, 300)
"""Login tries per account in five minutes (a success clears the count); per IP below."""
LOGINS_PER_IP = Limit(30, 300)
"""Failed login tries per client address in five minutes: a success is taken back, so an office
whose agents all log in at nine behind one address is never throttled by its own logins."""


class AuthError(ChatflowError):
    """Login refused; the message never says whether the account exists."""


class Throttled(AuthError):
    """Too many failed password tries; ``retry_after`` seconds until the next one is allowed."""

    def __init__(
        self, retry_after: float, message: str = "too many failed logins; try again later"
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Principal:
    """Who a valid token belongs to."""

    account_id: int
    account: str
    merchant_id: str
    role: str
    nickname: str
    staff_no: str
    groups: dict[str, int] = field(default_factory=dict)


def _account_key(account: str) -> str:
    """The per-account limiter's key: logins and password proofs share it."""
    return f"account:{account.lower()}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthService:
    """Logins and tokens over the records database."""

    GENERIC = "account or password is incorrect"

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime],
        *,
        token_ttl: timedelta = timedelta(hours=12),
        per_account: RateLimiter | None = None,
        per_ip: RateLimiter | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._ttl = token_ttl

        def seconds() -> float:
            return clock().timestamp()

        self._per_account = per_account or MemoryRateLimiter(LOGINS_PER_ACCOUNT, seconds)
        self._per_ip = per_ip or MemoryRateLimiter(LOGINS_PER_IP, seconds)
        self._revoke_listeners: list[Callable[[int], None]] = []

    def on_revoke(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(account_id)`` whenever an account's tokens die."""
        self._revoke_listeners.append(listener)

    def login(self, account: str, password: str, ip: str) -> str:
        """A new token, or :class:`AuthError` / :class:`Throttled`."""
        account_key, ip_key = _account_key(account), f"ip:{ip}"
        for limiter, key in ((self._per_account, account_key), (self._per_ip, ip_key)):
            wait = limiter.hit(key)
            if wait:
                raise Throttled(wait)
        with Session(self._engine) as db:
            row = db.exec(select(AccountRow).where(AccountRow.account == account)).first()
            ok = verify_password(row.password_hash if row else None, password)
            if not ok or row is None or not row.enabled or row.id is None:
                raise AuthError(self.GENERIC)
            self._per_account.reset(account_key)
            self._per_ip.forgive(ip_key)
            if needs_rehash(row.password_hash):
                row.password_hash = hash_password(password)
                db.add(row)
            token = secrets.token_urlsafe(32)
            now = self._clock()
            db.add(
                TokenRow(
                    token_hash=_digest(token),
                    account_id=row.id,
                    epoch=row.token_epoch,
                    issued_at=now,
                    expires_at=now + self._ttl,
                )
            )
            db.commit()
            return token

    def confirm(self, account: str, password_hash: str, password: str) -> bool:
        """Whether ``password`` is ``account``'s; a try counted like a login, or :class:`Throttled`.

        The per-account limiter and key of :meth:`login`, so both ways of guessing a password
        share one budget; a right password clears that account's count only. Not the per-IP
        budget: a token guesses one account anyway, and an admin's mistyped proofs would use up
        the logins of everyone behind the same office address.
        """
        key = _account_key(account)
        wait = self._per_account.hit(key)
        if wait:
            raise Throttled(wait, "too many wrong passwords; try again later")
        if not verify_password(password_hash, password):
            return False
        self._per_account.reset(key)
        return True

    def resolve(self, token: str) -> Principal | None:
        """The principal of a live token, else None."""
        if not token:
            return None
        with Session(self._engine) as db:
            row = db.get(TokenRow, _digest(token))
            if row is None or row.revoked:
                return None
            if as_utc(row.expires_at) <= self._clock():
                return None
            account = db.get(AccountRow, row.account_id)
            if account is None or not account.enabled or account.token_epoch != row.epoch:
                return None
            return Principal(
                account_id=row.account_id,
                account=account.account,
                merchant_id=account.merchant_id,
                role=account.role,
                nickname=account.nickname,
                staff_no=account.staff_no,
                groups=dict(account.groups),
            )

    def logout(self, token: str) -> None:
        """Kill one token."""
        with Session(self._engine) as db:
            row = db.get(TokenRow, _digest(token))
            if row is not None:
                row.revoked = True
                db.add(row)
                db.commit()
                self._tell(row.account_id)

    def revoke_all(self, account_id: int) -> None:
        """Kill every token of the account (password change, disable, delete)."""
        with Session(self._engine) as db:
            account = db.get(AccountRow, account_id)
            if account is not None:
                account.token_epoch += 1
                db.add(account)
                db.commit()
        self._tell(account_id)

    def _tell(self, account_id: int) -> None:
        for listener in self._revoke_listeners:
            listener(account_id)
