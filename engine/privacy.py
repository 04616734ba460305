"""The deployment's ``privacy`` section, applied: what a record keeps of a visit, and of an
address in the server's access log (docs/records-and-stats.md, "Personal data").

Pure functions: the caller applies them before anything is written, so what is not kept is
never stored anywhere.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

from chatflow.engine.config import Privacy
from chatflow.engine.records import Visit

IPV4_KEPT = 24
IPV6_KEPT = 48
"""Bits of a masked address kept: the network a provider assigns a customer's line is at least
this wide (an IPv4 /24 of 256 addresses; an IPv6 /48 site), so a region stays, one household
does not (the masking Google Analytics and Matomo apply)."""


def masked_ip(address: str) -> str | None:
    """``address`` with its host bits zeroed (an IPv4-mapped IPv6 address as IPv4); None when
    it is not an IP address (a test client's ``testclient``), since nothing of it is known to
    be safe to keep."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    kept = IPV4_KEPT if ip.version == 4 else IPV6_KEPT
    return str(ipaddress.ip_network(f"{ip}/{kept}", strict=False).network_address)


def kept_ip(address: str | None, privacy: Privacy) -> str | None:
    """What ``privacy.visitor_ip`` keeps of a visitor's address."""
    if address is None or privacy.visitor_ip == "none":
        return None
    if privacy.visitor_ip == "masked":
        return masked_ip(address)
    return address


def without_query(url: str | None) -> str | None:
    """``url`` without its query string (the fragment is never kept anyway)."""
    if url is None:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def kept_visit(visit: Visit, privacy: Privacy) -> Visit:
    """What the record keeps of ``visit``."""
    ip = kept_ip(visit.ip, privacy)
    if privacy.page_query:
        return visit if ip == visit.ip else replace(visit, ip=ip)
    return replace(
        visit, ip=ip, page_url=without_query(visit.page_url), referrer=without_query(visit.referrer)
    )
