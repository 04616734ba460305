"""Log lines for ``chatflow serve``: the event name, then the structured fields as key=value.

Engine modules log ``logger.info("engine.step", extra={"session_id": ..., "flow_id": ...})``; this
formatter keeps those fields visible without a JSON dependency.
"""

from __future__ import annotations

import logging

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
