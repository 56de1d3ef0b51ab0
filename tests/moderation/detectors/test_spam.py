"""Spam checks: each trips at its threshold with evidence, and links are counted sanely (near
copies across accounts: test_near_duplicates.py)."""

from __future__ import annotations

import dataclasses
import sys
import unicodedata

import pytest

from plaza.moderation.detectors.signals import Rule
from plaza.moderation.detectors.spam import (
    LINK_MARKS,
    SpamContext,
    SpamThresholds,
    count_links,
    spam_signals,
)

RULE = Rule("spam", 1)
QUIET = SpamContext(
    text="see you at eight",
    sender_recent_sends=3,
    window_seconds=60,
    account_age_seconds=30 * 86_400,
    strangers_messaged_recently=0,
    similar_authors=0,
)
THRESHOLDS = SpamThresholds(
    rate_sends=20, rate_window_seconds=60, duplicate_authors=5, links=4,
    new_account_seconds=86_400, new_account_strangers=10,
)  # fmt: skip


def signals(**changes: object) -> dict[str, tuple[float, dict[str, object]]]:
    context = dataclasses.replace(QUIET, **changes)  # type: ignore[arg-type]
    return {
        s.detector: (s.score, dict(s.evidence)) for s in spam_signals(context, THRESHOLDS, RULE)
    }


def test_ordinary_activity_raises_nothing():
    assert signals() == {}


@pytest.mark.parametrize(
    ("sends", "window", "score"),
    [(19, 60, None), (20, 60, 0.5), (30, 60, 0.75), (40, 60, 1.0), (400, 60, 1.0), (10, 30, 0.5)],
)
def test_the_sending_rate(sends, window, score):
    found = signals(sender_recent_sends=sends, window_seconds=window).get("spam.rate")
    if score is None:
        assert found is None
    else:
        assert found == (score, {"count": sends, "window_seconds": window})


def test_the_same_text_from_many_accounts():
    assert "spam.duplicate" not in signals(similar_authors=4)
    assert signals(similar_authors=5)["spam.duplicate"] == (0.5, {"authors": 5})
    assert signals(similar_authors=12)["spam.duplicate"] == (1.0, {"authors": 12})


def test_link_heavy_text():
    three = "a.com b.com https://c.org/x"
    assert "spam.links" not in signals(text=three)
    four = three + " http://www.c.org/y"
    assert signals(text=four)["spam.links"] == (0.5, {"links": 4, "hosts": 3})
    eight = four + " https://d.net e.io f.xyz g.top"
    assert signals(text=eight)["spam.links"] == (1.0, {"links": 8, "hosts": 7})


def test_a_new_account_writing_to_many_strangers():
    new = {"account_age_seconds": 3_600, "strangers_messaged_recently": 15}
    assert signals(**new)["spam.strangers"] == (
        0.75, {"strangers": 15, "account_age_seconds": 3_600}
    )  # fmt: skip
    assert "spam.strangers" not in signals(**{**new, "account_age_seconds": 2 * 86_400})
    assert "spam.strangers" not in signals(**{**new, "strangers_messaged_recently": 9})


def test_signals_are_filed_under_the_rule():
    (signal,) = spam_signals(
        dataclasses.replace(QUIET, similar_authors=9), THRESHOLDS, Rule("x", 7)
    )
    assert (signal.policy_id, signal.clause) == ("x", 7)


@pytest.mark.parametrize(
    ("text", "links", "hosts"),
    [
        ("no links here. Really, e.g. 3.14 or v1.2", 0, 0),
        ("mail bob@example.com", 0, 0),
        ("https://example.com/a?b=c and www.example.com and example.com/x", 3, 1),
        ("http://user:pw@evil.com:8080/a", 1, 1),
        ("shop.example.co.uk, xn--fiqs8s.cn", 2, 2),
        ("ＥＸＡＭＰＬＥ．ＣＯＭ 或 example。org", 2, 2),  # full-width, Chinese full stop
    ],
)
def test_links_and_hosts_are_counted(text, links, hosts):
    counted = count_links(text)
    assert (counted.links, counted.hosts) == (links, hosts)


def test_the_link_marks_are_every_character_that_normalizes_to_a_dot_or_colon():
    """count_links skips texts without any of LINK_MARKS: the list must hold every character
    that NFKC turns into one (or that count_links reads as a dot), as this Python's Unicode
    data says."""
    derived = {
        c
        for c in map(chr, range(sys.maxunicode + 1))
        if c == "。" or any(mark in unicodedata.normalize("NFKC", c) for mark in ".:")
    }
    assert derived == set(LINK_MARKS)
