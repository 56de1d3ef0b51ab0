"""Spam checks: each trips at its threshold with evidence, links are counted sanely, and near
copies of one text from many accounts are found through MinHash LSH."""

from __future__ import annotations

import dataclasses

import pytest

from plaza.moderation.detectors.signals import Rule
from plaza.moderation.detectors.spam import (
    DuplicateIndex,
    SpamContext,
    SpamThresholds,
    count_links,
    minhash_of,
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


AD = "Limited offer! Buy cheap watches at example.com today, free shipping worldwide"
AD_CHANGED = "LIMITED OFFER!!! buy cheap watches at example.com today - free shipping worldwide"
AD_CN = "限时优惠！点击链接领取免费礼品，数量有限先到先得，快来抢购吧"
AD_CN_TRADITIONAL = "限時優惠！點擊鏈接領取免費禮品，數量有限先到先得，快來搶購吧"
OTHER = "Are we still meeting at the station at eight? I will bring the tickets"


def test_near_copies_have_similar_sketches_and_others_do_not():
    ad, changed, other = minhash_of(AD), minhash_of(AD_CHANGED), minhash_of(OTHER)
    assert ad is not None and changed is not None and other is not None
    assert ad.jaccard(changed) >= 0.8
    assert ad.jaccard(other) < 0.2
    cn, cn_traditional = minhash_of(AD_CN), minhash_of(AD_CN_TRADITIONAL)
    assert cn is not None and cn_traditional is not None
    assert cn.jaccard(cn_traditional) == 1.0  # the same text once normalized


@pytest.mark.parametrize(
    "variant",
    [
        AD.upper(),
        AD.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}),  # full-width
        AD.replace("e", "е").replace("o", "о").replace("a", "а"),  # Cyrillic look-alikes
        "\u200b".join(AD),  # a zero-width space after every character
        AD.replace("cheap", "c h e a p").replace("free", "f.r.e.e"),
    ],
)
def test_evasive_copies_of_a_text_are_still_copies(variant):
    original, copy = minhash_of(AD), minhash_of(variant)
    assert original is not None and copy is not None
    assert original.jaccard(copy) >= 0.8


def test_short_texts_have_no_sketch():
    assert minhash_of("ok") is None
    assert minhash_of("hello!") is None
    assert minhash_of("你好") is None


def test_the_duplicate_index_finds_other_authors_of_a_text():
    index = DuplicateIndex(capacity=10)
    index.add("m1", 1, minhash_of(AD))
    index.add("m2", 2, minhash_of(AD_CHANGED))
    index.add("m3", 3, minhash_of(OTHER))
    index.add("m4", 4, minhash_of(AD_CN))
    assert index.authors_similar_to(minhash_of(AD)) == {1, 2}
    assert index.authors_similar_to(minhash_of(AD_CN_TRADITIONAL)) == {4}
    index.remove("m2")
    index.remove("unknown")
    assert index.authors_similar_to(minhash_of(AD)) == {1}
    assert len(index) == 3


def test_the_duplicate_index_forgets_the_oldest_beyond_its_capacity():
    index = DuplicateIndex(capacity=2)
    index.add("m1", 1, minhash_of(AD))
    index.add("m2", 2, minhash_of(AD_CHANGED))
    index.add("m1", 1, minhash_of(AD))  # added again: now the newest
    index.add("m3", 3, minhash_of(OTHER))  # m2 is the oldest and goes
    assert len(index) == 2
    assert index.authors_similar_to(minhash_of(AD)) == {1}
    with pytest.raises(ValueError):
        DuplicateIndex(capacity=0)
