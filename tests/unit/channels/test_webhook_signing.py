"""Webhook signatures: ``t=<unix>,v1=<hex>`` over ``t.body``, fresh within five minutes."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from chatflow.channels.webhook_signing import SignatureError, sign, verify

SECRET = b"s3cret-for-tests"
BODY = b'{"message_id":"m1","user_id":"u1","type":"text","text":"hi","timestamp":1}'
NOW = 1_800_000_000


def test_a_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET, f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, NOW) == f"t={NOW},v1={expected}"
    assert verify(SECRET, BODY, sign(SECRET, BODY, NOW), NOW + 299) == NOW


def test_any_of_several_v1_values_may_match() -> None:
    good = sign(SECRET, BODY, NOW).split("v1=")[1]
    assert verify(SECRET, BODY, f"t={NOW}, v1={'0' * 64}, v1={good.upper()}", NOW) == NOW


@pytest.mark.parametrize(
    ("header", "now", "reason"),
    [
        (None, NOW, "missing"),
        ("", NOW, "missing"),
        ("v1=abc", NOW, "malformed"),
        (f"t={NOW}", NOW, "malformed"),
        (f"t=soon,v1={'0' * 64}", NOW, "malformed"),
        ("garbage", NOW, "malformed"),
        (sign(SECRET, BODY, NOW), NOW + 301, "stale"),
        (sign(SECRET, BODY, NOW), NOW - 301, "stale"),
        (sign(b"another-secret!!", BODY, NOW), NOW, "mismatch"),
        (sign(SECRET, BODY + b" ", NOW), NOW, "mismatch"),
        (sign(SECRET, BODY, NOW).replace(f"t={NOW}", f"t={NOW + 1}"), NOW, "mismatch"),
    ],
    ids=[
        "none",
        "empty",
        "no-t",
        "no-v1",
        "t-not-number",
        "garbage",
        "old",
        "future",
        "wrong-secret",
        "other-body",
        "moved-timestamp",
    ],
)
def test_bad_signatures_are_refused_with_a_reason(
    header: str | None, now: int, reason: str
) -> None:
    with pytest.raises(SignatureError) as info:
        verify(SECRET, BODY, header, now)
    assert info.value.reason == reason
