"""The deployment config's ``server`` section: trusted proxies and the public URL, checked when
the file is read, each problem at its place with what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from chatflow.engine.config import DeploymentConfig, Server
from chatflow.engine.validate import validate_paths
from chatflow.nodes import LANGUAGE


def server(**section: object) -> Server:
    return DeploymentConfig.model_validate({"server": section}).server


def refusal(**section: object) -> str:
    with pytest.raises(ValidationError) as info:
        server(**section)
    [error] = info.value.errors(include_url=False)
    return str(error["msg"])


def test_by_default_nobody_is_trusted_and_there_is_no_public_url() -> None:
    assert DeploymentConfig().server == Server(trusted_proxies=[], public_url=None)


def test_addresses_and_networks_are_kept_in_their_canonical_form() -> None:
    got = server(trusted_proxies=["127.0.0.1", "10.0.0.0/8", "FD00::/8", "0:0::1"])
    assert got.trusted_proxies == ["127.0.0.1", "10.0.0.0/8", "fd00::/8", "::1"]


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("nginx", "'nginx' is neither an IP address"),
        ("10.0.0.0/33", "'10.0.0.0/33' is neither an IP address"),
        ("10.0.0.300", "'10.0.0.300' is neither an IP address"),
        ("*", "'*' is neither an IP address"),
        ("10.0.0.1/8", "did you mean '10.0.0.0/8'?"),
    ],
)
def test_a_bad_trusted_proxy_is_named(entry: str, says: str) -> None:
    assert says in refusal(trusted_proxies=["127.0.0.1", entry])


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://chat.acme.com", "https://chat.acme.com"),
        ("https://Chat.Acme.com/", "https://chat.acme.com"),
        ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
        ("https://www.acme.com/support/", "https://www.acme.com/support"),
        ("http://[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_a_public_url_is_kept_without_its_trailing_slash(url: str, kept: str) -> None:
    assert server(public_url=url).public_url == kept


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://chat.acme.com", "must start with https:// or http://"),
        ("chat.acme.com", "must start with https:// or http://"),
        ("https://", "has no host name"),
        ("https://chat.acme.com:99999", "is not a URL"),
        ("https://chat.acme.com/?a=1", "must have no query"),
        ("https://chat.acme.com/#top", "must have no query"),
        ("https://me:secret@chat.acme.com", "user name or password"),
        ("https://chat.acme.com/a b", "must not contain spaces"),
    ],
)
def test_a_bad_public_url_is_refused_with_the_reason(url: str, says: str) -> None:
    message = refusal(public_url=url)
    assert says in message and repr(url) in message


def test_chatflow_validate_places_each_problem_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("flows").mkdir()
    Path("chatflow.yaml").write_text(
        "flows: ./flows\n"
        "server:\n"
        "  trusted_proxies:\n"
        "    - 10.0.0.0/8\n"
        "    - 10.0.0.1/8\n"
        "  public_url: ftp://chat.acme.com\n",
        encoding="utf-8",
    )
    report = validate_paths(["chatflow.yaml"], LANGUAGE)
    got = {p.json_path: p for p in report.problems}
    assert set(got) == {"$.server.trusted_proxies[1]", "$.server.public_url"}
    assert got["$.server.trusted_proxies[1]"].line == 5
    assert got["$.server.trusted_proxies[1]"].message.startswith("trusted proxy '10.0.0.1/8'")
    assert got["$.server.public_url"].line == 6
    assert "Value error" not in got["$.server.public_url"].format()
