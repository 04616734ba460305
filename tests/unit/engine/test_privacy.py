"""The ``privacy`` section applied to a visit before its record is written."""

from __future__ import annotations

import pytest

from chatflow.engine.config import DeploymentConfig, Privacy
from chatflow.engine.privacy import kept_visit, masked_ip, without_query
from chatflow.engine.records import Visit

VISIT = Visit(
    ip="203.0.113.77",
    user_agent="Mozilla/5.0",
    page_url="https://shop.example.com/cart?order=A-1001",
    page_title="Cart",
    referrer="https://www.baidu.com/s?wd=printer",
)


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("10.1.2.3", "10.1.2.0"),
        ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::"),
        ("::ffff:198.51.100.9", "198.51.100.0"),  # IPv4-mapped: masked as the IPv4 it is
        ("fe80::1%eth0", "fe80::"),  # a zone is not kept
        ("testclient", None),  # not an address: nothing of it is kept
        ("", None),
    ],
)
def test_masked_ip(address: str, masked: str | None) -> None:
    assert masked_ip(address) == masked


def test_full_keeps_the_visit_as_it_is() -> None:
    assert kept_visit(VISIT, Privacy()) is VISIT


def test_masked_and_none() -> None:
    assert kept_visit(VISIT, Privacy(visitor_ip="masked")) == Visit(
        **{**vars_of(VISIT), "ip": "203.0.113.0"}
    )
    assert kept_visit(VISIT, Privacy(visitor_ip="none")).ip is None
    assert kept_visit(Visit(), Privacy(visitor_ip="masked")) == Visit()


def test_page_query_false_keeps_scheme_host_and_path() -> None:
    kept = kept_visit(VISIT, Privacy(page_query=False))
    assert kept.page_url == "https://shop.example.com/cart"
    assert kept.referrer == "https://www.baidu.com/s"
    assert (kept.ip, kept.user_agent, kept.page_title) == ("203.0.113.77", "Mozilla/5.0", "Cart")
    assert without_query(None) is None


def test_the_config_section_defaults_to_keeping_everything_and_refuses_other_values() -> None:
    assert DeploymentConfig().privacy == Privacy(visitor_ip="full", page_query=True)
    with pytest.raises(ValueError, match="visitor_ip"):
        DeploymentConfig.model_validate({"privacy": {"visitor_ip": "hashed"}})


def vars_of(visit: Visit) -> dict[str, str | None]:
    return {name: getattr(visit, name) for name in visit.__slots__}
