"""Text normalization: the evasions it undoes, what it must leave alone, and offsets that lead
back to what the author wrote."""

from __future__ import annotations

import random
import string

import pytest

from plaza.confusables import single_character_classes
from plaza.moderation.detectors import normalize as normalize_module
from plaza.moderation.detectors.normalize import SEPARATORS, character_table, normalize


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("ＣＯＣＡＩＮＥ", "cocaine"),  # full-width
        ("𝐜𝐨𝐜𝐚𝐢𝐧𝐞 ⓒⓞⓒⓐⓘⓝⓔ", "cocaine cocaine"),  # styled and enclosed letters
        ("co\u200bca\u200di\u2060ne\ufeff", "cocaine"),  # zero-width characters and joiners
        ("co\u00adcaine", "cocaine"),  # soft hyphen
        ("cocaine\ufe0f\U000e0041", "cocaine"),  # variation selector, tag character
        ("c o c a i n e", "cocaine"),  # spaced out
        ("c.o.c.a.i.n.e", "cocaine"),
        ("v-i-a-g-r-a", "viagra"),
        ("s_e_x or s*e*x or s . e . x", "sex or sex or sex"),
        ("сосаіnе", "cocaine"),  # all Cyrillic look-alikes
        ("cосaine", "cocaine"),  # mixed scripts in one word
        ("ϲοϲаіnе", "cocaine"),  # Greek and Cyrillic
        ("v1agra", "viagra"),  # digit one for i
        ("V I A G R A", "viagra"),
        ("he11o", "heiio"),  # "1" and "l" meet "i"
        ("c0caine", "cocaine"),  # digit zero for o
        ("VIAGRA Viagra", "viagra viagra"),  # case
        ("Straße", "strasse"),  # case folding expands
        ("vïagrá", "viagra"),  # diacritics dropped
        ("cocaine\u0336\u0337", "cocaine"),  # combining overlays (Zalgo)
        ("賣淫", "卖淫"),  # traditional to simplified
        ("冰 毒 冰.毒 冰-毒", "冰毒冰毒冰毒"),  # separators between ideographs
        ("hello   world\t\n!", "heiio worid !"),  # any whitespace, runs made one
    ],
)
def test_evasions_read_as_the_plain_text(written, read):
    assert normalize(written).text == read


@pytest.mark.parametrize(
    "text",
    [
        "is sexy",  # two words stay two words
        "a b",  # two single letters are not glued
        "x-ray",
        "e.g. this",
        "冰,毒",  # sentence punctuation between ideographs stays
        "中文 text 中文",
        "한국어 문장",  # Korean keeps its spaces
        "一二人ニ",  # ideographs and kana are not mapped to look-alikes
        "がぎぐ",  # voicing marks are part of kana, not diacritics
    ],
)
def test_ordinary_text_is_left_as_written(text):
    assert normalize(text).text == text


def test_ascii_letters_and_digits_map_to_themselves_but_i_l_1_and_o_0():
    table = character_table()
    changed = {
        ch: table[ord(ch)] for ch in string.ascii_lowercase + string.digits if ord(ch) in table
    }
    assert changed == {"l": "i", "1": "i", "0": "o"}


def test_no_look_alike_turns_a_separator_into_a_letter():
    table = character_table()
    assert all(table.get(ord(ch), ch) == ch for ch in SEPARATORS if ch != "'")
    assert normalize("s|e|x").text == "sex"


def test_confusable_classes_come_from_unicode_data():
    classes = single_character_classes()
    letter_classes = {
        frozenset(m for m in c if m in string.ascii_lowercase + string.digits) for c in classes
    }
    assert frozenset("il1") in letter_classes and frozenset("o0") in letter_classes
    assert not any(len(c) > 1 for c in letter_classes - {frozenset("il1"), frozenset("o0")})


def test_the_table_is_idempotent():
    table = character_table()
    assert all(out.translate(table) == out for out in table.values())
    for text in ["Ｓｔｒａßｅ ｖ１ａｇｒａ", "賣 淫 c.o.c.a.i.n.e", "ﬁnancial ㎏ ①"]:
        once = normalize(text).text
        assert normalize(once).text == once


def test_long_texts_take_the_array_path_with_the_same_result():
    long_text = "他說這個東西很貴，但是質量不錯！ＯＫ Cафе " * 20
    with_expansion = long_text + "Straße\u200b"
    table = character_table()
    assert len(long_text) > normalize_module._ARRAY_FROM_CHARS
    for text in (long_text, with_expansion):
        assert normalize_module._translate(text) == text.translate(table)


def spans(written: str, needle: str) -> str:
    """The original text behind the first occurrence of `needle` in the normalized text."""
    normalized = normalize(written)
    start = normalized.text.index(needle)
    begin, end = normalized.original_span(start, start + len(needle))
    return written[begin:end]


@pytest.mark.parametrize(
    ("written", "needle", "original"),
    [
        ("buy ＣＯＣＡＩＮＥ now", "cocaine", "ＣＯＣＡＩＮＥ"),
        ("xx c.o.c.a.i.n.e yy", "cocaine", "c.o.c.a.i.n.e"),
        ("\u200bco\u200bcaine\u200b!", "cocaine", "co\u200bcaine"),
        ("die Straße hier", "ss", "ß"),
        ("die Straße hier", "strasse", "Straße"),
        ("我要買冰 毒", "冰毒", "冰 毒"),
        ("a  b  viagra", "viagra", "viagra"),
        ("𝐜𝐨𝐜𝐚𝐢𝐧𝐞!", "cocaine", "𝐜𝐨𝐜𝐚𝐢𝐧𝐞"),
        ("e\u0301e\u0301 cafe\u0301", "cafe", "cafe"),
    ],
)
def test_spans_lead_back_to_what_was_written(written, needle, original):
    assert spans(written, needle) == original


def per_character_spans(original: str) -> list[tuple[int, int]]:
    """The spans of every normalized character, found the slow way: each original character's
    output written out, then the extra spaces and the separators joining letters taken away."""
    table = character_table()
    spans = [(i, i + 1) for i, ch in enumerate(original) for _ in table.get(ord(ch), ch)]
    mapped = original.translate(table)
    extra = set(normalize_module._extra_spaces(mapped))
    spans = [span for i, span in enumerate(spans) if i not in extra]
    spaced = "".join(ch for i, ch in enumerate(mapped) if i not in extra)
    joining = set(normalize_module._join_letters(spaced)[1])
    return [span for i, span in enumerate(spans) if i not in joining]


def test_spans_agree_with_a_character_by_character_replay():
    pieces = [*"ab l1O0 .-_", "ß", "\u200b", "ﬁ", "㎏", "賣", "冰", "毒", "е", "Ｃ", "\u0301"]
    pieces += ["①", "…", "  ", "x.y.z", "冰 毒"]
    rng = random.Random(5)
    for _ in range(400):
        original = "".join(rng.choices(pieces, k=rng.randint(1, 30)))
        normalized = normalize(original)
        expected = per_character_spans(original)
        assert len(expected) == len(normalized.text)
        assert [normalized.original_span(i, i + 1) for i in range(len(expected))] == expected


def test_a_span_outside_the_text_is_refused():
    normalized = normalize("abc")
    with pytest.raises(ValueError):
        normalized.original_span(2, 4)
    with pytest.raises(ValueError):
        normalized.original_span(1, 1)


def test_empty_and_invisible_texts_normalize_to_nothing():
    assert normalize("").text == ""
    assert normalize("\u200b\u200c\ufeff").text == ""
