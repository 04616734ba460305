"""A visitor's ``User-Agent`` as agents read it: browser, OS and kind of device (ua-parser), and
nothing worse than "unknown" for a string no rule knows."""

from __future__ import annotations

import pytest

from chatflow.admin_api.visit_info import Agent, parse_agent

AGENTS = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36": Agent("Chrome 124.0", "Windows 10", "desktop"),
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15": Agent("Safari 17.4", "Mac OS X 10.15", "desktop"),
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1":
        Agent("Mobile Safari 17.4", "iOS 17.4", "mobile"),
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36": Agent("Chrome Mobile 124.0", "Android 10", "mobile"),
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1": Agent("Mobile Safari 16.6", "iOS 16.6", "tablet"),
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36": Agent("Chrome 124.0", "Android 14", "tablet"),
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)": Agent(
        "Googlebot 2.1", None, "bot"
    ),
}  # fmt: skip


@pytest.mark.parametrize("user_agent", list(AGENTS))
def test_browsers_systems_and_devices(user_agent: str) -> None:
    assert parse_agent(user_agent) == AGENTS[user_agent]


@pytest.mark.parametrize("user_agent", ["", "garbage", "x" * 512, "\x00\ufffd", "curl/8.5.0"])
def test_what_no_rule_knows_is_unknown(user_agent: str) -> None:
    agent = parse_agent(user_agent)
    assert agent.os is None and agent.device is None
    assert agent.browser in (None, "curl 8.5")
