"""Keyword lists: evasions are caught, innocent words are not, offsets point at what the author
wrote, exceptions suppress hits inside them, and list files are checked line by line."""

from __future__ import annotations

import pytest

from plaza.errors import Invalid
from plaza.moderation.detectors.keywords import (
    KeywordEntry,
    KeywordMatcher,
    ListFileError,
    parse_term_file,
)
from plaza.moderation.detectors.signals import Signal

ENTRIES = [
    KeywordEntry("illegal_goods", 1, "cocaine"),
    KeywordEntry("illegal_goods", 1, "冰毒"),
    KeywordEntry("sexual", 2, "賣淫"),  # listed in traditional characters
    KeywordEntry("spam", 1, "viagra"),
    KeywordEntry("sexual", 1, "cunt"),
    KeywordEntry("harassment", 3, "ass"),
    KeywordEntry("sexual", 1, "cock"),
    KeywordEntry("sexual", 1, "sex"),
    KeywordEntry("sexual", 3, "🍆"),
]


@pytest.fixture(scope="module")
def matcher() -> KeywordMatcher:
    return KeywordMatcher.build(ENTRIES)


def found(matcher: KeywordMatcher, text: str) -> list[tuple[str, int, str, str]]:
    """(policy, clause, listed term, the original text matched) of each signal, checking that
    the evidence's offsets cut exactly the matched text out of the original."""
    out = []
    for signal in matcher.scan(text):
        evidence = signal.evidence
        assert signal.detector == "keywords" and signal.score == 1.0
        assert text[int(evidence["start"]) : int(evidence["end"])] == evidence["matched"]
        out.append(
            (signal.policy_id, signal.clause, str(evidence["term"]), str(evidence["matched"]))
        )
    return out


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("buy cocaine here", "cocaine"),
        ("buy ＣＯＣＡＩＮＥ here", "ＣＯＣＡＩＮＥ"),  # full-width
        ("buy co\u200bca\u200bine here", "co\u200bca\u200bine"),  # zero-width inside
        ("buy c o c a i n e here", "c o c a i n e"),  # spacing
        ("buy c.o.c.a.i.n.e here", "c.o.c.a.i.n.e"),  # punctuation
        ("buy сосаіnе here", "сосаіnе"),  # Cyrillic look-alikes
        ("buy cосaine here", "cосaine"),  # mixed scripts
        ("buy c0caine here", "c0caine"),  # digit for letter
        ("buy CoCaInE here", "CoCaInE"),  # case
        ("Cocaine!", "Cocaine"),  # at the edges of the text, punctuation after
        ("我要买cocaine吗", "cocaine"),  # Latin inside Chinese: ideographs are boundaries
    ],
)
def test_latin_evasions_are_caught(matcher, text, matched):
    assert found(matcher, text) == [("illegal_goods", 1, "cocaine", matched)]


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("出售冰毒", "冰毒"),
        ("出售冰 毒", "冰 毒"),
        ("出售冰.毒", "冰.毒"),
        ("出售冰\u200b毒", "冰\u200b毒"),
    ],
)
def test_chinese_terms_match_anywhere_and_through_separators(matcher, text, matched):
    assert found(matcher, text) == [("illegal_goods", 1, "冰毒", matched)]


@pytest.mark.parametrize("text", ["这里卖淫", "這裡賣淫", "这里賣淫"])
def test_traditional_and_simplified_chinese_meet(matcher, text):
    assert [(p, t) for p, _, t, _ in found(matcher, text)] == [("sexual", "賣淫")]


@pytest.mark.parametrize("text", ["v1agra", "V I A G R A", "ｖｉａｇｒａ", "vïagra", "v-i-a-g-r-a"])
def test_viagra_variants(matcher, text):
    assert [(p, t, m) for p, _, t, m in found(matcher, text)] == [("spam", "viagra", text)]


@pytest.mark.parametrize(
    "text",
    [
        "Scunthorpe United won",  # cunt
        "a cocktail at the bar",  # cock
        "peacock and hitchcock",
        "first class, we assess the assassin's passage in Sussex",  # ass
        "Essex, sextant, sextet, Middlesex",  # sex
        "is sexy",  # two words stay apart
        "cocaines",  # a longer word
        "冰箱有毒",  # the two characters apart
        "冰,毒",  # a comma between ideographs is a sentence break
        "卖东西",  # near-miss of 卖淫
        "viagraviagra",
    ],
)
def test_innocent_text_does_not_match(matcher, text):
    assert found(matcher, text) == []


def test_emoji_terms_match_anywhere(matcher):
    assert found(matcher, "hey 🍆🍆") == [("sexual", 3, "🍆", "🍆")]


def test_one_signal_per_term_with_the_first_span_and_a_count(matcher):
    text = "cocaine, more COCAINE and c.o.c.a.i.n.e"
    (signal,) = matcher.scan(text)
    assert signal.evidence == {
        "term": "cocaine", "matched": "cocaine", "start": 0, "end": 7, "count": 3,
    }  # fmt: skip


def test_one_text_can_raise_several_policies_in_order_of_appearance(matcher):
    assert [(p, t) for p, _, t, _ in found(matcher, "viagra and cocaine and 冰毒")] == [
        ("spam", "viagra"),
        ("illegal_goods", "cocaine"),
        ("illegal_goods", "冰毒"),
    ]


def test_an_exception_suppresses_hits_inside_it_for_its_policy_only():
    matcher = KeywordMatcher.build([
        KeywordEntry("illegal_goods", 1, "cocaine"),
        KeywordEntry("illegal_goods", 1, "cocaine bust", exception=True),
        KeywordEntry("violence", 2, "bust"),
    ])  # fmt: skip
    assert found(matcher, "Police report a COCAINE  BUST") == [
        ("violence", 2, "bust", "BUST")  # the exception is illegal_goods's alone
    ]
    assert found(matcher, "cocaine bust; also selling cocaine") == [
        ("violence", 2, "bust", "bust"),
        ("illegal_goods", 1, "cocaine", "cocaine"),  # the second one, outside the exception
    ]


def test_exceptions_respect_word_boundaries_too():
    matcher = KeywordMatcher.build([
        KeywordEntry("sexual", 1, "sex"),
        KeywordEntry("sexual", 1, "sex education", exception=True),
    ])  # fmt: skip
    assert found(matcher, "sex education") == []
    assert found(matcher, "sex educations") == [("sexual", 1, "sex", "sex")]


def test_the_same_term_in_two_policies_raises_both():
    matcher = KeywordMatcher.build(
        [KeywordEntry("spam", 1, "free money"), KeywordEntry("illegal_goods", 4, "FREE MONEY")]
    )
    assert sorted(found(matcher, "get free money")) == [
        ("illegal_goods", 4, "FREE MONEY", "free money"),
        ("spam", 1, "free money", "free money"),
    ]


def test_term_count_and_an_empty_matcher():
    assert KeywordMatcher.build(ENTRIES + ENTRIES[:2]).term_count == len(ENTRIES)
    empty = KeywordMatcher.build([])
    assert empty.term_count == 0 and empty.scan("cocaine") == []


@pytest.mark.parametrize("term", ["\u200b", "...", "  ", "x" * 201])
def test_a_term_with_nothing_to_match_is_refused(term):
    with pytest.raises(ValueError):
        KeywordMatcher.build([KeywordEntry("spam", 1, term)])


def test_signals_serialize_to_json():
    signal = KeywordMatcher.build([KeywordEntry("spam", 1, "viagra")]).scan("V1AGRA")[0]
    assert isinstance(signal, Signal)
    assert signal.as_json() == {
        "policy_id": "spam",
        "clause": 1,
        "detector": "keywords",
        "score": 1.0,
        "evidence": {"term": "viagra", "matched": "V1AGRA", "start": 0, "end": 6, "count": 1},
    }


def test_a_term_file_is_read_line_by_line():
    data = "\ufeff# illegal goods, 2024\ncocaine\r\n\n  冰毒  \n# comment\ncocaine\n🍆\n"
    assert parse_term_file(data) == ["cocaine", "冰毒", "🍆"]
    assert parse_term_file(data.encode()) == ["cocaine", "冰毒", "🍆"]


@pytest.mark.parametrize(
    ("data", "line_no", "reason"),
    [
        ("ok\nbad\x00term\n", 2, "control character U+0000"),
        ("ok\n\nbad\x07\n", 3, "control character U+0007"),
        ("ok\nin\tside\n", 2, "control character U+0009"),
        ("x" * 201, 1, "longer than 200 characters"),
        ("ok\n\u200b\u200c\n", 2, "nothing to match"),
        ("ok\n#c\n...\n", 3, "nothing to match"),
        (b"ok\n\xff\xfe\n", 2, "not UTF-8"),
    ],
)
def test_a_bad_line_refuses_the_file_and_is_named(data, line_no, reason):
    with pytest.raises(ListFileError) as caught:
        parse_term_file(data)
    assert caught.value.line_no == line_no
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"line {line_no}: ")
    assert isinstance(caught.value, Invalid) and caught.value.status == 422
