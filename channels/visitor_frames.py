"""Client frames of the visitor channel: parsing and checking, shared by websocket and REST.

A frame is a JSON object ``{"type": text|choice|rate|typing|end, ..., "id"?: client id}``; each
bad input becomes a :class:`FrameError` with a stable ``code`` the client can act on.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from chatflow.engine.events import Choice, Event, Rating, VisitorEnded, VisitorText

MAX_FRAME_BYTES = 16_384
"""Largest client frame accepted."""
MAX_TEXT = 2_000
"""Longest visitor message, in characters."""
MAX_CLIENT_ID = 64


class FrameError(Exception):
    def __init__(self, code: str, message: str, client_id: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.client_id = client_id

    def frame(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.client_id:
            out["id"] = self.client_id
        return out


@dataclass(frozen=True)
class Typing:
    """A typing notice: forwarded live to agents, never logged."""


def parse_raw(raw: str | bytes, limit: int = MAX_FRAME_BYTES) -> dict[str, Any]:
    """A client frame's JSON object (the agent websocket uses it too, with its own ``limit``)."""
    if len(raw) > limit:
        raise FrameError("too_large", f"a frame may be at most {limit} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise FrameError("bad_json", "the frame is not valid JSON") from None
    if not isinstance(data, dict):
        raise FrameError("bad_frame", "a frame must be a JSON object with a 'type'")
    return data


def to_event(data: dict[str, Any]) -> Event | Typing:
    """The event a client frame stands for (its key derives from the client id when given)."""
    client_id = data.get("id", "")
    if not isinstance(client_id, str) or len(client_id) > MAX_CLIENT_ID:
        raise FrameError("bad_id", f"'id' must be a string of at most {MAX_CLIENT_ID} characters")
    key = f"client:{client_id}" if client_id else f"anon:{uuid.uuid4().hex}"
    kind = data.get("type")
    if kind == "typing":
        return Typing()
    if kind == "text":
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise FrameError("bad_text", "'text' must be a non-empty string", client_id)
        if len(text) > MAX_TEXT:
            raise FrameError(
                "too_long", f"a message may be at most {MAX_TEXT} characters", client_id
            )
        return VisitorText(key=key, text=text, client_id=client_id)
    if kind == "choice":
        value = data.get("value")
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            raise FrameError("bad_choice", "'value' must be the label of an option", client_id)
        return Choice(key=key, value=value, client_id=client_id)
    if kind == "rate":
        score = data.get("score")
        if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 10:
            raise FrameError("bad_score", "'score' must be a whole number from 1 to 10", client_id)
        return Rating(key=key, score=score, client_id=client_id)
    if kind == "end":
        return VisitorEnded(key=key, client_id=client_id)
    raise FrameError(
        "unknown_type",
        f"unknown frame type {kind!r}; expected one of: text, choice, rate, typing, end",
        client_id,
    )
