"""Visitor-facing output: the ``seq``-numbered frames of a session's output log.

Every output to the visitor (bot, agent and system messages, the visitor's own messages echoed
back with their client id, queue positions, agent joined, surveys, ended) is a :class:`Frame`
appended to the session's log in the same store write as the state change that produced it.
Channels replay ``seq > after`` from the log, then stream live; the JSON form is the server frame
of the web visitor channel (``message``, ``queue``, ``agent_joined``, ``survey``, ``ended``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

FrameType = Literal["message", "queue", "agent_joined", "survey", "ended"]
"""The kinds of frame the output log holds (``typing`` and ``error`` are live-only, not logged)."""

Sender = Literal["visitor", "bot", "agent", "system"]
"""Who a ``message`` frame is from."""


@dataclass(frozen=True)
class Frame:
    """One numbered output of a session.

    ``body`` holds the type's fields: ``message {from, text, id?, options?}``,
    ``queue {position, ahead}``, ``agent_joined {staff_no, nickname}``,
    ``survey {style, levels, labels, prompt}``, ``ended {reason, id?}``.
    """

    seq: int
    """1, 2, 3... per session, without gaps."""
    type: FrameType
    body: Mapping[str, Any]
    at: str
    """When it was produced, ISO 8601 in UTC."""
    author: str = field(default="", compare=False)
    """The agent account that wrote an agent ``message`` (the records' line author, the agents'
    transcripts). The stores keep it beside the frame's text, never in it: the visitor never
    gets it, and a line logged before the stores kept it reads back with none ("")."""

    def to_json(self) -> dict[str, Any]:
        """The wire form: ``{"type": ..., "seq": ..., <body fields>, "at": ...}``."""
        return {"type": self.type, "seq": self.seq, **self.body, "at": self.at}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], author: str = "") -> Frame:
        body = {k: v for k, v in data.items() if k not in ("type", "seq", "at")}
        at = str(data.get("at", ""))
        return cls(seq=int(data["seq"]), type=data["type"], body=body, at=at, author=author)

    def dumps(self) -> str:
        """Compact JSON text of the wire form (what the stores keep in the output log and the
        visitor socket sends); computed once per frame, since a frame never changes."""
        text: str | None = self.__dict__.get("_text")
        if text is None:
            text = json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))
            self.__dict__["_text"] = text
        return text

    @classmethod
    def loads(cls, text: str | bytes, author: str = "") -> Frame:
        """A frame from its :meth:`dumps` text and the author the store kept beside it."""
        frame = cls.from_json(json.loads(text), author)
        if isinstance(text, str):
            frame.__dict__["_text"] = text
        return frame

    @property
    def text(self) -> str:
        """The text of a ``message`` frame (empty for other kinds)."""
        return str(self.body.get("text", "")) if self.type == "message" else ""

    @property
    def sender(self) -> str:
        """Who sent a ``message`` frame (empty for other kinds)."""
        return str(self.body.get("from", "")) if self.type == "message" else ""
