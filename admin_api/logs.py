"""Log lines for ``chatflow serve``: the event name, then the structured fields as key=value.

Engine modules log ``logger.info("engine.step", extra={"session_id": ..., "flow_id": ...})``; this
formatter keeps those fields visible without a JSON dependency. uvicorn's lines about a client
go through :class:`ClientLines` (its address as the deployment's ``privacy`` keeps it, no tokens).
"""

from __future__ import annotations

import logging
import re

from chatflow.engine.config import Privacy
from chatflow.engine.privacy import kept_ip

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if fields:
            line += " " + " ".join(f"{k}={_value(v)}" for k, v in sorted(fields.items()))
        return line


def _value(value: object) -> str:
    text = str(value)
    return repr(text) if (" " in text or not text) else text


def configure(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


_SECRET_PARAM = re.compile(r"([?&](?:[A-Za-z_]*token|sig|signature)=)[^&\s\"]*", re.IGNORECASE)
"""Query parameters that carry a credential: the visitor and workbench websockets pass their
token in the URL (a browser cannot set headers on a websocket)."""


class ClientLines(logging.Filter):
    """uvicorn's lines about one client (``'%s - "GET /path?q HTTP/1.1" 200'`` on
    ``uvicorn.access``, ``'%s - "WebSocket /path?q" [accepted]'`` on ``uvicorn.error``): the
    client address as ``privacy.visitor_ip`` keeps it, and tokens in the path redacted."""

    def __init__(self, privacy: Privacy) -> None:
        super().__init__()
        self.privacy = privacy

    def filter(self, record: logging.LogRecord) -> bool:
        args, msg = record.args, record.msg
        about_a_client = isinstance(msg, str) and msg.startswith('%s - "')
        if about_a_client and isinstance(args, tuple) and args and isinstance(args[0], str):
            record.args = (self._client(args[0]), *(_redacted(a) for a in args[1:]))
        return True

    def _client(self, address: str) -> str:
        host, sep, port = address.rpartition(":")
        if not sep or not port.isdigit():  # no port: the whole string is the host
            host, port = address, ""
        kept = kept_ip(host, self.privacy) or "-"
        return f"{kept}:{port}" if port and kept != "-" else kept


def _redacted(value: object) -> object:
    return _SECRET_PARAM.sub(r"\1[redacted]", value) if isinstance(value, str) else value


def guard_client_lines(privacy: Privacy) -> None:
    """Filter uvicorn's client lines (call once uvicorn has set up its loggers)."""
    line_filter = ClientLines(privacy)
    for name in ("uvicorn.access", "uvicorn.error"):
        logging.getLogger(name).addFilter(line_filter)
