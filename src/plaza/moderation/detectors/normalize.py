"""Text normalization before matching: the tricks that make "ｃ0саіnе", "c o c a i n e" and
"co\u200bcaine" read as "cocaine", and "賣淫" as "卖淫", while every offset found in the
normalized text can still be traced back to what the author wrote.

Per character: look-alikes mapped through Unicode's confusables
(`plaza.confusables.single_character_classes`: Cyrillic "а" to "a", "0" to "o", "1" and "l"
to "i"), NFKC (full-width and styled letters become plain ones), diacritics of Latin, Greek
and Cyrillic letters dropped ("vïagra"), invisible characters removed (zero width spaces and
joiners, soft hyphens, variation selectors, bidirectional controls, tags), any whitespace a
plain space, case folded, look-alikes mapped again, and traditional Chinese mapped to
simplified (OpenCC's t2s, one character at a time so lengths hold; phrase conversion would
not matter for matching since terms go through the same mapping). All of this is one
translation table, built once per process. Then, in context: runs of spaces made one,
separators between single letters removed when at least three letters are so joined
("s.e.x", "v-i-a-g-r-a"; "is sexy" stays as it is), and separators between Chinese or
Japanese characters removed ("冰 毒").

The normalized text is for matching only: it is never shown. `Normalized.original_span` maps
a span of it back to the original text (computed when first asked, which is when something
matched).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache

import numpy as np
import opencc

from plaza.confusables import single_character_classes

# Scripts written without spaces between words, where a term is found anywhere: Han and kana
# (Chinese, Japanese), Hangul (Korean attaches particles to words), Thai, Lao, Myanmar, Khmer.
# The katakana middle dot U+30FB is a separator, not a letter.
HAN_KANA = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3038-\u303b\u3040-\u30fa\u30fc-\u30ff"
    "\u31c0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
)
NO_SPACE_SCRIPTS = (
    HAN_KANA + "\u0e00-\u0eff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u3130-\u318f"
    "\ua960-\ua97f\uac00-\ud7ff"
)
# A letter or digit of a script that separates words with spaces (Latin, Cyrillic, ...): a
# term made of these matches only between word boundaries.
SPACED_WORD_CHAR = re.compile(f"[^\\W_{NO_SPACE_SCRIPTS}]")

# What evaders put between letters. Sentence punctuation (",;:!?") is not included, so two
# Chinese clauses are never glued together into a term.
SEPARATORS = " .-_*+~|/\\·•・'`^="
_SEP_CHAR = "[" + "".join(re.escape(ch) for ch in SEPARATORS) + "]"
_SEP = _SEP_CHAR + "{1,3}"
_SPACE_RUNS = re.compile("  +")
_JOINED = re.compile(
    # three or more single letters joined by separators: "s e x", "v.i.a.g.r.a"
    rf"(?<![^\W_])[^\W_](?:{_SEP}[^\W_]){{2,}}(?![^\W_])"
    # separators between two Chinese or Japanese characters: "冰 毒", "冰.毒"
    rf"|(?<=[{HAN_KANA}]){_SEP}(?=[{HAN_KANA}])"
)
# Quick tests that `_JOINED` has anything to do, which most texts fail: two single letters
# joined by separators (starting with the separator, which the engine looks for fast), or
# separators between Chinese or Japanese characters.
_TWO_SINGLES = re.compile(rf"{_SEP_CHAR}[^\W_]{_SEP}[^\W_](?![^\W_])")
_HAN_KANA_APART = re.compile(f"[{HAN_KANA}]{_SEP}[{HAN_KANA}]")

# Diacritics dropped from letters (and removed when written on their own, as in "Zalgo"
# text): the general combining blocks. Marks that are letters' parts in other scripts (the
# Japanese voicing marks, Indic vowel signs, Arabic and Hebrew points) are kept.
_DIACRITICS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Default-ignorable characters that are not of the format category (Cf): combining grapheme
# joiner, Hangul fillers, Khmer inherent vowels, Mongolian selectors, variation selectors.
_IGNORABLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0000-\U000e0fff]"
)
# Code points whose mapping is computed; the rest are unassigned, private, or ideographs and
# Hangul syllables, which NFKC and case folding leave alone (ideographs get t2s below).
_CANDIDATES = (
    (0x0000, 0x3400), (0x4DC0, 0x4E00), (0xA000, 0xAC00), (0xD7A4, 0xD800),
    (0xF900, 0x20000), (0x2F800, 0x2FA20), (0xE0000, 0xE1000),
)  # fmt: skip
_HAN_BLOCKS = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0x20000, 0x2F800), (0x30000, 0x323B0))


class Normalized:
    """A text as matched (`text`) beside the text as written (`original`)."""

    __slots__ = ("_alignment", "_joined", "_mapped", "original", "text")

    def __init__(self, original: str, text: str, mapped: str, joined: tuple[int, ...]) -> None:
        self.original = original
        self.text = text
        # What `original_span` needs, kept from `normalize`'s steps rather than redone: the
        # table's output, and where joining letters removed separators from it (spaced).
        self._mapped = mapped
        self._joined = joined
        self._alignment: tuple[_Widths, ...] | None = None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that `text[start:end]` was made from.

        Characters removed inside the span (a zero-width space, a separator) are part of it;
        those removed at its edges are not.
        """
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span {start}..{end} is not inside the normalized text")
        if self._alignment is None:
            self._alignment = (
                _Widths((i, 0) for i in self._joined),
                _Widths((i, 0) for i in _extra_spaces(self._mapped)),
                _Widths(_width_changes(self.original)),
            )
        first, last = start, end - 1
        for step in self._alignment:
            first, last = step.source(first), step.source(last)
        return first, last + 1

    def __repr__(self) -> str:
        return f"Normalized({self.original!r} -> {self.text!r})"


def normalize(text: str) -> Normalized:
    """`text` normalized for matching (see the module's docstring)."""
    mapped = _translate(text)
    joined, removed = _join_letters(_single_spaces(mapped))
    return Normalized(text, joined, mapped, removed)


# Measured (bench/moderation.py's machine): from about 80 characters of Chinese on, numpy wins.
_ARRAY_FROM_CHARS = 100


def _translate(text: str) -> str:
    """`text.translate(character_table())`, faster.

    str.translate looks every non-ASCII character up in a dict (about 60 ns each); numpy
    looks them all up at once in an array indexed by code point. The array only knows
    one-to-one mappings, so a text with a character that is removed or becomes several
    (a zero-width space, "ß") takes the dict. Short and ASCII texts take the dict too: for
    them it is the faster (ASCII has a fast path in CPython).
    """
    table = character_table()
    if len(text) < _ARRAY_FROM_CHARS or text.isascii():
        return text.translate(table)
    one_to_one, other = _code_point_arrays()
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if other[codes].any():
        return text.translate(table)
    return one_to_one[codes].tobytes().decode("utf-32-le", "surrogatepass")


@cache
def _code_point_arrays() -> tuple[np.ndarray, np.ndarray]:
    """(what each code point becomes, when it becomes one character; whether it does not)."""
    one_to_one = np.arange(0x110000, dtype=np.uint32)
    other = np.zeros(0x110000, dtype=np.bool_)
    for cp, out in character_table().items():
        if len(out) == 1:
            one_to_one[cp] = ord(out)
        else:
            other[cp] = True
    return one_to_one, other


def _single_spaces(text: str) -> str:
    return _SPACE_RUNS.sub(" ", text) if "  " in text else text


def _join_letters(text: str) -> tuple[str, tuple[int, ...]]:
    """`text` with the separators inside `_JOINED`'s matches removed, and their positions."""
    if not _may_join(text):
        return text, ()
    pieces: list[str] = []
    removed: list[int] = []
    done = 0
    for match in _JOINED.finditer(text):
        start, end = match.span()
        pieces.append(text[done:start])
        for i in range(start, end):
            if text[i] in SEPARATORS:
                removed.append(i)
            else:
                pieces.append(text[i])
        done = end
    pieces.append(text[done:])
    return "".join(pieces), tuple(removed)


def _may_join(text: str) -> bool:
    return _TWO_SINGLES.search(text) is not None or (
        not text.isascii() and _HAN_KANA_APART.search(text) is not None
    )


class _Widths:
    """How one text became another where most characters stayed one character each: the
    exceptions, as (index in the source, how many characters it became, 0 when removed)."""

    __slots__ = ("_sources", "_targets", "_widths")

    def __init__(self, changes: Iterable[tuple[int, int]]) -> None:
        self._sources: list[int] = []
        self._widths: list[int] = []
        self._targets: list[int] = []  # where each exception's output starts in the target
        shift = 0
        for source, width in changes:
            self._sources.append(source)
            self._widths.append(width)
            self._targets.append(source + shift)
            shift += width - 1

    def source(self, target: int) -> int:
        """The index of the source character that the target's character `target` came from."""
        k = bisect.bisect_right(self._targets, target) - 1
        if k < 0:
            return target
        if target < self._targets[k] + self._widths[k]:
            return self._sources[k]
        return self._sources[k] + 1 + target - self._targets[k] - self._widths[k]


def _width_changes(original: str) -> list[tuple[int, int]]:
    """(position, width) of each character of `original` that the table removes (width 0)
    or turns into several, found with the code point arrays."""
    _, other = _code_point_arrays()
    codes = np.frombuffer(original.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = character_table()
    return [(i, len(table[ord(original[i])])) for i in np.flatnonzero(other[codes]).tolist()]


def _extra_spaces(text: str) -> Iterator[int]:
    """Positions `_single_spaces` removes."""
    if "  " in text:
        for match in _SPACE_RUNS.finditer(text):
            yield from range(match.start() + 1, match.end())


@cache
def character_table() -> dict[int, str]:
    """code point -> what it becomes ("" when removed), for every character that changes.

    Idempotent: what a character becomes is left alone by the table, so normalizing a
    normalized term changes nothing.
    """
    look_alikes = _look_alikes()
    simplified = _simplified()
    table: dict[int, str] = {}
    for low, high in _CANDIDATES:
        for cp in range(low, high):
            ch = chr(cp)
            if unicodedata.category(ch) in ("Cn", "Cs", "Co"):
                continue
            folded = _fold(ch, look_alikes, simplified)
            if folded != ch:
                table[cp] = folded
    for traditional, simple in simplified.items():
        table.setdefault(ord(traditional), simple)
    for _ in range(3):  # the output of one step can be the input of another (t2s after NFKC)
        changed = False
        for cp, out in table.items():
            again = "".join(table.get(ord(c), c) for c in out)
            if again != out:
                table[cp], changed = again, True
        if not changed:
            break
    return table


def _fold(ch: str, look_alikes: dict[str, str], simplified: dict[str, str]) -> str:
    out: list[str] = []
    # Look-alikes first too: NFKC reads the lunate sigma "ϲ" (which looks like "c") as a
    # sigma, whose small form looks like "o".
    for c in _DIACRITICS.sub("", unicodedata.normalize("NFKD", look_alikes.get(ch, ch))):
        if _ignorable(c):
            continue
        if c.isspace():
            out.append(" ")
            continue
        for folded in look_alikes.get(c, c).casefold():
            base = look_alikes.get(folded, folded)
            out.append(simplified.get(base, base))
    return unicodedata.normalize("NFC", "".join(out))


def _ignorable(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category == "Cf" or (category == "Cc" and not ch.isspace()) or bool(_IGNORABLE.match(ch))


@cache
def _look_alikes() -> dict[str, str]:
    """character -> the ASCII letter or digit it looks like (see `single_character_classes`).

    A class without an ASCII letter or digit maps nothing: its look-alikes stay themselves.
    ASCII punctuation keeps its meaning ("|" is a separator, not an "l"), and ideographs, kana
    and Hangul are never mapped (Unicode lists "二" beside katakana "ニ").
    """
    no_space = re.compile(f"[{NO_SPACE_SCRIPTS}]")
    targets: dict[str, str] = {}
    for members in single_character_classes():
        ascii_ = [m.lower() for m in members if m.isascii() and m.isalnum()]
        letters = [m for m in ascii_ if m.isalpha()]
        if not ascii_:
            continue
        target = min(letters or ascii_)
        for member in members:
            if (member.isascii() and not member.isalnum()) or no_space.match(member):
                continue
            targets[member] = target
    return targets


@cache
def _simplified() -> dict[str, str]:
    """traditional ideograph -> simplified, by OpenCC's t2s one character at a time."""
    ideographs = [chr(cp) for low, high in _HAN_BLOCKS for cp in range(low, high)]
    converted = opencc.OpenCC("t2s").convert("\n".join(ideographs)).split("\n")
    if len(converted) != len(ideographs):  # never seen; checked so a change cannot misalign
        raise RuntimeError("OpenCC t2s did not convert one ideograph per line")
    return {t: s for t, s in zip(ideographs, converted, strict=True) if s != t and len(s) == 1}
