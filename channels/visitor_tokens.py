"""Visitor tokens: a session id signed with the deployment's secret (HMAC-SHA256).

Stateless, so any worker can check one; a token names exactly one session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


class VisitorTokens:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the visitor token secret must be at least 16 bytes")
        self._secret = secret

    def issue(self, session_id: str) -> str:
        return f"{session_id}.{self._mac(session_id)}"

    def session_of(self, token: str) -> str | None:
        """The session id a valid token names, else None."""
        session_id, _, mac = token.rpartition(".")
        if not session_id or not hmac.compare_digest(mac, self._mac(session_id)):
            return None
        return session_id

    def _mac(self, session_id: str) -> str:
        digest = hmac.new(self._secret, session_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")
