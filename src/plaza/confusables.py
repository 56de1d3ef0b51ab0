"""Unicode's confusable characters as classes of look-alikes, and the skeletons built on them.

Two users of the same data: public-account handles (UTS #39 skeletons, so "paypa1" cannot pass
for "paypal") and moderation's text normalization (so "cосаіnе" written with Cyrillic letters
meets the listed "cocaine"). The classes come from Unicode's confusables data as shipped by
the `confusable-homoglyphs` package (not a hand-made list). The package lists, for each
character, the strings it is confusable with, both ways; joining those pairs gives the classes.

For skeletons, a class's representative is its longest ASCII member ("rn" for "m", so "m" and
"rn" meet), else its lower-case ASCII letter ("l" for "1", "I", "|"), else its smallest member.
The skeleton is taken twice with lower-casing in between, so "0" (class of "O") meets "o".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache

from confusable_homoglyphs import utils as confusables_data  # type: ignore[import-untyped]


def _pairs() -> Iterable[tuple[str, str]]:
    """(character, a string it is confusable with), as Unicode lists them."""
    data: dict[str, list[dict[str, str]]] = confusables_data.load("confusables.json")
    for char, homoglyphs in data.items():
        for homoglyph in homoglyphs:
            # The data wraps right-to-left characters in LEFT-TO-RIGHT MARKs for display.
            other = homoglyph["c"].replace("\u200e", "")
            if other:
                yield char, other


def _classes(pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The connected components of the pairs (union-find with path halving)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[root_a] = root_b
    classes: dict[str, list[str]] = {}
    for member in list(parent):
        classes.setdefault(find(member), []).append(member)
    return list(classes.values())


def _rank(member: str) -> tuple[bool, int, bool, bool, str]:
    ascii_ = member.isascii() and member.isprintable()
    return (not ascii_, -len(member) if ascii_ else len(member), not member.islower(),
            not member.isalpha(), member)  # fmt: skip


@cache
def representatives() -> dict[str, str]:
    """character -> the representative of its confusable class (strings of several characters
    such as "rn" take part, so a representative may be longer than the character)."""
    reps: dict[str, str] = {}
    for members in _classes(_pairs()):
        rep = min(members, key=_rank)
        for member in members:
            if len(member) == 1:
                reps[member] = rep
    return reps


@cache
def single_character_classes() -> tuple[frozenset[str], ...]:
    """The classes joined by character-to-character pairs only.

    Text normalization maps one character to one character, so offsets into the text survive
    and "m" never meets "rn" (which would make "corn" read as "com"). Capital and small ASCII
    letters are joined too: the data says "I" looks like "l" and "1", and "O" like "0", so
    once case is ignored "i", "l" and "1" are one class, as are "o" and "0". Only ASCII case
    pairs are joined: through Greek, "Ν" looks like "N" while its small "ν" looks like "v",
    and joining every case pair would make "n" meet "v".
    """
    pairs = [(a, b) for a, b in _pairs() if len(a) == 1 and len(b) == 1]
    pairs += [(chr(c), chr(c).lower()) for c in range(ord("A"), ord("Z") + 1)]
    return tuple(frozenset(members) for members in _classes(pairs))


def _map(text: str) -> str:
    reps = representatives()
    return "".join(reps.get(ch, ch) for ch in unicodedata.normalize("NFD", text))


def skeleton(text: str) -> str:
    """The string two confusable handles share."""
    return unicodedata.normalize("NFD", _map(_map(text).lower()))
