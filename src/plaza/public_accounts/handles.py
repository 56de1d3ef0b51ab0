"""Handles of public accounts: their form, and their confusable skeleton.

A handle is 3 to 30 characters of a-z, 0-9 and _, compared regardless of case. Two handles
that look alike ("paypa1" and "paypal", "rnicrosoft" and "microsoft", "g00gle" and "google")
would let one account pass for another, so each handle is stored with its *skeleton*, after
Unicode Technical Standard #39: every character replaced by the representative of its
confusable class, and two handles with one skeleton cannot both exist (a unique column).

The classes come from Unicode's confusables data as shipped by the `confusable-homoglyphs`
package (not a hand-made list). The package lists, for each character, the strings it is
confusable with, both ways; joining those pairs gives the classes. A class's representative
is its longest ASCII member ("rn" for "m", so "m" and "rn" meet), else its lower-case ASCII
letter ("l" for "1", "I", "|"), else its smallest member. The skeleton is taken twice with
lower-casing in between, so "0" (class of "O") meets "o".
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from confusable_homoglyphs import utils as confusables_data  # type: ignore[import-untyped]

HANDLE_PATTERN = "^[A-Za-z0-9_]{3,30}$"
_HANDLE = re.compile(HANDLE_PATTERN)


def normalize_handle(raw: str) -> str:
    return raw.strip().lower()


def handle_problem(handle: str) -> str | None:
    """Why `handle` (normalized) is not acceptable, or None."""
    if not _HANDLE.fullmatch(handle):
        return "handle must be 3 to 30 characters of a-z, 0-9 and _"
    return None


def _rank(member: str) -> tuple[bool, int, bool, bool, str]:
    ascii_ = member.isascii() and member.isprintable()
    return (not ascii_, -len(member) if ascii_ else len(member), not member.islower(),
            not member.isalpha(), member)  # fmt: skip


@cache
def _representatives() -> dict[str, str]:
    """character -> the representative of its confusable class."""
    data: dict[str, list[dict[str, str]]] = confusables_data.load("confusables.json")
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for char, homoglyphs in data.items():
        for homoglyph in homoglyphs:
            # The data wraps right-to-left characters in LEFT-TO-RIGHT MARKs for display.
            other = homoglyph["c"].replace("\u200e", "")
            if other:
                a, b = find(char), find(other)
                if a != b:
                    parent[a] = b
    classes: dict[str, list[str]] = {}
    for member in list(parent):
        classes.setdefault(find(member), []).append(member)
    reps: dict[str, str] = {}
    for members in classes.values():
        rep = min(members, key=_rank)
        for member in members:
            if len(member) == 1:
                reps[member] = rep
    return reps


def _map(text: str) -> str:
    reps = _representatives()
    return "".join(reps.get(ch, ch) for ch in unicodedata.normalize("NFD", text))


def skeleton(text: str) -> str:
    """The string two confusable handles share."""
    return unicodedata.normalize("NFD", _map(_map(text).lower()))
