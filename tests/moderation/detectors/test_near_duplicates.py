"""Near copies of one text from many accounts: sketches estimate the similarity of texts and
are the same in every process, evasive copies stay copies, and the index finds other authors
without letting one account's flood make every query dearer."""

from __future__ import annotations

import subprocess
import sys

import pytest

from plaza.moderation.detectors.near_duplicates import (
    DuplicateIndex,
    grams_of,
    minhash_of,
)

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


@pytest.mark.parametrize(
    ("one", "other"),
    [(AD, AD_CHANGED), (AD, OTHER), (AD, AD + " and more shipping today"), (AD_CN, AD_CN[:20])],
)
def test_sketches_estimate_the_jaccard_similarity_of_the_grams(one, other):
    """128 permutations: the estimate is within about 0.1 of the exact similarity."""
    a, b = grams_of(one), grams_of(other)
    exact = len(a & b) / len(a | b)
    first, second = minhash_of(one), minhash_of(other)
    assert first is not None and second is not None
    assert abs(first.jaccard(second) - exact) < 0.12


def test_a_text_has_the_same_sketch_in_every_process():
    """The seed is fixed: a sketch computed elsewhere (another node, a later release)
    compares with this one."""
    script = (
        "from plaza.moderation.detectors.near_duplicates import minhash_of;"
        f"print(minhash_of({AD!r}).bands[0].hex())"
    )
    elsewhere = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.strip()
    sketch = minhash_of(AD)
    assert sketch is not None and sketch.bands[0].hex() == elsewhere


def test_repeated_letters_are_too_few_distinct_grams():
    assert minhash_of("哈" * 100) is None
    assert minhash_of("ha" * 50) is None


def test_the_index_stops_counting_at_enough_and_leaves_out_the_author():
    index = DuplicateIndex(capacity=100)
    for author in range(1, 21):
        index.add(f"m{author}", author, minhash_of(AD))
    assert len(index.authors_similar_to(minhash_of(AD), excluding=3)) == 19
    assert 3 not in index.authors_similar_to(minhash_of(AD), excluding=3)
    assert len(index.authors_similar_to(minhash_of(AD), excluding=3, enough=10)) == 10


def test_one_accounts_flood_stays_one_entry_and_evicts_nobody():
    """10,000 copies from one account: the index keeps one of them (per bucket, the newest),
    so others' texts are not pushed out and a query compares one text per author."""
    index = DuplicateIndex(capacity=50)
    index.add("other", 2, minhash_of(AD_CN))
    for n in range(10_000):
        index.add(f"flood{n}", 1, minhash_of(f"{AD} #{n % 7}"))
    assert len(index) <= 8  # the copies that differ in every band, at most
    assert index.authors_similar_to(minhash_of(AD_CN_TRADITIONAL)) == {2}
    assert index.authors_similar_to(minhash_of(AD), excluding=2) == {1}
    index.remove("flood9999")
    index.add("late", 3, minhash_of(AD_CHANGED))
    assert index.authors_similar_to(minhash_of(AD)) >= {3}
