from __future__ import annotations

import random
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatflow.engine.wordfilter import Verdict, WordFilter, fold


def test_forbidden_blocks_with_a_reason_naming_the_word_and_others_alert() -> None:
    words = WordFilter.from_words(forbidden=["微信"], sensitive=["退款"], reminder=["投诉"])
    verdict = words.check("加我微信，退款的事我帮你，别投诉")
    assert verdict.blocked == ["微信"] and not verdict.allowed
    assert "「微信」" in verdict.reason
    assert verdict.alerts == [("sensitive", "退款"), ("reminder", "投诉")]
    clean = words.check("您好，请问有什么可以帮您？")
    assert clean == Verdict() and clean.allowed and clean.reason == ""


def test_matching_ignores_case_and_full_width_and_reports_the_configured_spelling() -> None:
    words = WordFilter.from_words([("forbidden", "WeChat"), ("sensitive", "QQ")])
    verdict = words.check("add me on wechat or ｑｑ")
    assert verdict.blocked == ["WeChat"]
    assert verdict.alerts == [("sensitive", "QQ")]
    assert fold("ＡＢＣ") == "abc"


def test_overlapping_and_nested_words_are_all_found_once_each() -> None:
    words = WordFilter.from_words(forbidden=["he", "she", "his", "hers"])
    assert words.check("ushers and she").blocked == ["she", "he", "hers"]


def test_a_word_of_two_kinds_blocks_and_alerts() -> None:
    words = WordFilter.from_words(
        [("forbidden", "刷单"), ("sensitive", "刷单"), ("sensitive", "  ")]
    )
    verdict = words.check("我们不刷单")
    assert verdict.blocked == ["刷单"] and verdict.alerts == [("sensitive", "刷单")]
    assert len(words) == 1 and words.words() == [("forbidden", "刷单"), ("sensitive", "刷单")]


def test_unknown_kind_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="known kinds: forbidden, sensitive, reminder"):
        WordFilter.from_words([("rude", "x")])


def test_thousands_of_words_in_one_pass() -> None:
    rng = random.Random(7)
    vocabulary = {
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 8))) for _ in range(5000)
    }
    words = WordFilter.from_words(forbidden=sorted(vocabulary))
    text = " ".join(rng.choices(sorted(vocabulary), k=50)) + " " + "zz" * 2000
    found = set(words.find(text))
    expected = {w for w in vocabulary if w in text}
    assert found == expected


@given(
    st.lists(st.text(alphabet="abcAB", min_size=1, max_size=4), max_size=12),
    st.text(alphabet="abcAB ", max_size=40),
)
def test_finds_exactly_the_words_a_naive_search_finds(vocabulary: list[str], text: str) -> None:
    words = WordFilter.from_words(forbidden=vocabulary)
    naive = {
        fold(w).strip() for w in vocabulary if fold(w).strip() and fold(w).strip() in fold(text)
    }
    assert set(words.find(text)) == naive
    assert len(words.find(text)) == len(naive)  # each word once
