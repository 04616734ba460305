"""The demo deployment with webhook (IM) channels, for the webhook and browser tests: the config
written into a folder, the app built on it, and inbound messages signed as a provider signs them.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from chatflow.admin_api.app import create_app
from chatflow.admin_api.settings import ServeSettings
from chatflow.channels.webhook_signing import sign
from chatflow.engine.clock import FrozenClock

ROOT = Path(__file__).resolve().parents[1]
SECRET = "im-channel-test-secret"
"""Every channel's signing secret (``secret_env: IM_SECRET``)."""
START = "2026-11-23T10:00:00+08:00"
"""A Monday, inside the demo's service hours."""
IM_SITE = "demo-im"
"""The site added for the channels (running :data:`TALK`) unless a channel names another."""

QUOTED = ("name", "webhook_url")
"""A channel's fields written quoted: free text."""

TALK = """\
id: talk
start: bot
nodes:
  bot:
    type: bot
    prompt: 您好，这里是演示 IM。
    rules: [{keywords: [价格], replies: ["99 元"]}]
    fallback_message: "收到：{{ sys.last_input }}"
    exit_keywords: [再见]
    exit: bye
  bye: {type: end, message: 再见}
"""
"""The channel's flow: it answers every message and stays, so bursts never end it."""


def im_deployment(folder: Path, *channels: Mapping[str, str], allow_loopback: bool = True) -> Path:
    """The demo deployment in ``folder`` (its ``chatflow.yaml``, returned, and ``flows``) with
    ``channels``: each a channel's fields (``key``, ``webhook_url``, maybe ``name``, ``site``),
    on site :data:`IM_SITE` unless it names another, signed with ``IM_SECRET``. The site
    :data:`IM_SITE` is added when a channel is on it; ``allow_loopback`` lets deliveries reach
    a receiver on 127.0.0.1 (else the SSRF guard holds them)."""
    listed = [
        {"key": channel["key"], "site": IM_SITE, "secret_env": "IM_SECRET", **channel}
        for channel in channels
    ]
    on_im_site = any(channel["site"] == IM_SITE for channel in listed)
    if not (folder / "flows").exists():
        shutil.copytree(ROOT / "flows", folder / "flows")
        if on_im_site:
            (folder / "flows" / "talk.flow.yaml").write_text(TALK, encoding="utf-8")
    config = (ROOT / "examples/demo/chatflow.yaml").read_text(encoding="utf-8")
    config = config.replace("flows: ../../flows", "flows: ./flows")
    if on_im_site:
        site = f"      - {{key: {IM_SITE}, name: 演示 IM, flow: talk}}\n"
        config = config.replace("    sites:\n", "    sites:\n" + site, 1)
    yaml = "".join(f"      - {{{', '.join(_fields(channel))}}}\n" for channel in listed)
    config = config.replace("    groups:\n", "    channels:\n" + yaml + "    groups:\n", 1)
    if allow_loopback:
        config += 'http:\n  allow_hosts: ["127.0.0.1"]\n'
    path = folder / "chatflow.yaml"
    path.write_text(config, encoding="utf-8")
    return path


def _fields(channel: Mapping[str, str]) -> list[str]:
    """``key: value`` of a YAML flow mapping; a name or URL quoted (JSON is YAML)."""
    return [
        f"{field}: {json.dumps(value, ensure_ascii=False) if field in QUOTED else value}"
        for field, value in channel.items()
    ]


def im_app(config: Path, clock: FrozenClock) -> FastAPI:
    """The app on ``config`` (data next to it), the channels' secret in its environment."""
    settings = ServeSettings(config=config, data=config.parent / "data", env={"IM_SECRET": SECRET})
    return create_app(settings, clock=clock)


def post_inbound(base: str, channel: str, message: dict[str, Any]) -> httpx.Response:
    """``message`` posted to ``channel`` of the app at ``base`` as its provider posts it: stamped
    at :data:`START` and signed."""
    at = int(FrozenClock(START).now().timestamp())
    body = json.dumps({**message, "timestamp": at}).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Chatflow-Signature": sign(SECRET.encode(), body, at),
    }
    return httpx.post(f"{base}/api/v1/channels/{channel}/inbound", content=body, headers=headers)
