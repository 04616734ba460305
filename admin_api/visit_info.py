"""Where the visitor of a conversation was (seed 001 联系人信息: IP, terminal, source): the
``visit`` of the workbench's visitor panel and of the console's record detail.

The record keeps what the web channel saw when the conversation started
(:class:`chatflow.engine.records.Visit`); the browser, the OS and the kind of device are parsed
from its ``User-Agent`` when read, by ua-parser (the uap-core rules through its compiled
matcher), once per distinct string. What cannot be told is null, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal, Protocol

import ua_parser
from pydantic import BaseModel
from sqlmodel import Session as Db

from chatflow.admin_api.merchant_names import site_name
from chatflow.admin_api.recordquery import Record
from chatflow.engine.session import Session

DeviceKind = Literal["desktop", "mobile", "tablet", "bot"]


class VisitOut(BaseModel):
    """Where the visitor was when the conversation started; nulls when unknown (the webhook
    channel has no browser, and records older than this have none)."""

    ip: str | None
    user_agent: str | None
    browser: str | None
    """Browser and version, e.g. ``Chrome 124.0``."""
    os: str | None
    """Operating system and version, e.g. ``Windows 10``, ``iOS 17.4``."""
    device: DeviceKind | None
    page_url: str | None
    """The page the chat was opened on."""
    page_title: str | None
    referrer: str | None
    """Where the visitor came to that page from."""
    channel: str | None
    """The webhook channel the conversation came through (its name in ``chatflow.yaml``, else
    its key), or else the web channel's site (its name, else its key)."""
    channel_type: Literal["web", "webhook"] | None = None
    """What ``channel`` names: ``webhook``, a webhook channel; ``web``, the site of the web
    channel; null when unknown (a record older than chatflow keeping it)."""
    started_at: datetime | None


@dataclass(frozen=True, slots=True)
class Agent:
    """A ``User-Agent`` as people read it."""

    browser: str | None = None
    os: str | None = None
    device: DeviceKind | None = None


_TABLETS = frozenset({"iPad", "Generic Tablet", "Kindle"})
_MOBILE_DEVICES = frozenset({"iPhone", "iPod"})
_MOBILE_OS = frozenset(
    {
        "iOS", "Android", "HarmonyOS", "Windows Phone", "Windows Mobile", "BlackBerry OS",
        "KaiOS", "Firefox OS", "Symbian OS", "Tizen", "webOS",
    }
)  # fmt: skip
_DESKTOP_OS = frozenset(
    {
        "Windows", "Mac OS X", "Mac OS", "Linux", "Ubuntu", "Chrome OS", "Debian", "Fedora",
        "Red Hat", "Gentoo", "FreeBSD", "OpenBSD", "NetBSD", "Solaris",
    }
)  # fmt: skip


def _named(family: str, *versions: str | None) -> str:
    """``Chrome 124.0``: the family and its major.minor version, as far as known."""
    shown = [v for v in versions if v]
    return f"{family} {'.'.join(shown)}" if shown else family


def _kind(result: ua_parser.Result) -> DeviceKind | None:
    """The kind of device, from what ua-parser found: uap-core marks crawlers ``Spider`` and
    names tablets and phones; Android tablets leave ``Mobile`` out of the string (Google's
    convention). An iPad asking for desktop sites says it is a Mac: a desktop here."""
    device, os = result.device, result.os
    family = device.family if device else ""
    brand = (device.brand or "") if device else ""
    os_family = os.family if os else ""
    if family == "Spider" or brand == "Spider":
        return "bot"
    if family in _TABLETS or family.startswith("Kindle") or brand == "Generic_Android_Tablet":
        return "tablet"
    if os_family == "BlackBerry Tablet OS":
        return "tablet"
    if os_family == "Android" and "Mobile" not in result.string:
        return "tablet"
    if family in _MOBILE_DEVICES or os_family in _MOBILE_OS or brand == "Generic_Android":
        return "mobile"
    if os_family in _DESKTOP_OS:
        return "desktop"
    return None


@lru_cache(maxsize=4096)
def parse_agent(user_agent: str) -> Agent:
    """Browser, OS and device kind of a ``User-Agent`` (cached: a deployment sees few distinct
    strings, and an export reads each record's)."""
    try:
        result = ua_parser.parse(user_agent)
    except Exception:  # a parser bug must not break a record or an export
        return Agent()
    browser, os = result.user_agent, result.os
    return Agent(
        browser=_named(browser.family, browser.major, browser.minor) if browser else None,
        os=_named(os.family, os.major, os.minor) if os and os.family != "Other" else None,
        device=_kind(result),
    )


class Visited(Protocol):
    """What a conversation record keeps of the visit (a row or a records-list record)."""

    @property
    def visitor_ip(self) -> str | None: ...
    @property
    def user_agent(self) -> str | None: ...
    @property
    def page_url(self) -> str | None: ...
    @property
    def page_title(self) -> str | None: ...
    @property
    def referrer(self) -> str | None: ...


def visit_out(
    record: Visited | None,
    channel: str | None,
    started_at: datetime | None,
    channel_type: str | None = None,
) -> VisitOut:
    """The visit of ``record``; ``channel_type`` (``web``/``webhook``) defaults to the
    record's own."""
    agent = parse_agent(record.user_agent) if record and record.user_agent else Agent()
    kind = channel_type or (getattr(record, "channel_type", None) if record else None)
    return VisitOut(
        ip=record.visitor_ip if record else None,
        user_agent=record.user_agent if record else None,
        browser=agent.browser,
        os=agent.os,
        device=agent.device,
        page_url=record.page_url if record else None,
        page_title=record.page_title if record else None,
        referrer=record.referrer if record else None,
        channel=channel,
        channel_type=kind if kind in ("web", "webhook") else None,
        started_at=started_at.replace(tzinfo=started_at.tzinfo or UTC) if started_at else None,
    )


def record_channel(db: Db, record: Record) -> str:
    """The webhook channel a conversation came through (its key), else its site's name (or
    key): from the record's own channel columns (older rows were filled in at the upgrade)."""
    if record.channel_type == "webhook" and record.channel_key:
        return record.channel_key
    return site_name(db, record.site_key)


def session_channel(
    session: Session, names: Mapping[str, str] | None = None
) -> tuple[Literal["web", "webhook"], str]:
    """A live session's channel, as it started: ``webhook`` and the webhook channel's name (in
    ``names``, else its key), else ``web`` and the site's name (the web channel's id is the
    site's key)."""
    sys = session.sys
    if sys.channel_id and sys.channel_id != session.site_key:
        return "webhook", (names or {}).get(sys.channel_id) or sys.channel_id
    return "web", sys.channel_name or session.site_key
