"""The HTTP problem every route raises (``admin_api.problems.ApiProblem`` is this class); the app
renders it as problem+json in one place."""

from __future__ import annotations

from typing import Any


class ChannelProblem(Exception):
    """``ChannelProblem(403, "blacklisted", "...")`` -> a problem+json answer."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra
