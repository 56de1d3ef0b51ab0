"""Keyword and phrase lists per policy, matched with Aho-Corasick after normalization.

One automaton holds every list's terms, so a text is read once whatever the number of terms
(the cost does not grow with the lists; bench/moderation.py measures it). Terms are
normalized like the text (`normalize`), so "ｖ１ａｇｒａ" and "賣淫" meet "viagra" and "卖淫".
A term that starts (ends) with a letter or digit of a script written with spaces matches
only at a word boundary there, so the listed "cunt" is not found in "Scunthorpe" nor "ass" in
"class"; terms of Chinese, Japanese and the other scripts written without spaces match
anywhere. An exception entry of a policy suppresses that policy's hits that lie inside it
("cocaine bust" listed as an exception keeps news about a seizure from matching "cocaine").

The automaton comes from ahocorasick-rs (Rust), measured several times faster than
pyahocorasick on the same lists; `KeywordMatcher.build` takes another `Automaton` factory so
the benchmark can compare the two through the same code.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import ahocorasick_rs

from plaza.moderation.detectors.listfiles import ListFileError, list_lines
from plaza.moderation.detectors.normalize import SPACED_WORD_CHAR, Normalized, normalize
from plaza.moderation.detectors.signals import Signal

__all__ = [
    "Automaton",
    "KeywordEntry",
    "KeywordMatcher",
    "ListFileError",
    "parse_term_file",
    "rust_automaton",
    "term_problem",
]

TERM_MAX_CHARS = 200


@dataclass(frozen=True, slots=True)
class KeywordEntry:
    """A term of a policy's list, filed under one clause; an exception suppresses the policy's
    hits inside it instead of raising one."""

    policy_id: str
    clause: int
    term: str
    exception: bool = False


class Automaton(Protocol):
    """Finds every occurrence, overlapping ones included, of a fixed set of patterns."""

    def find(self, text: str) -> Sequence[tuple[int, int, int]]:
        """(pattern index, start, end) of each occurrence, offsets in characters."""
        ...


AutomatonFactory = Callable[[list[str]], Automaton]


class _RustAutomaton:
    def __init__(self, patterns: list[str]) -> None:
        self._automaton = ahocorasick_rs.AhoCorasick(
            patterns, matchkind=ahocorasick_rs.MatchKind.Standard
        )

    def find(self, text: str) -> Sequence[tuple[int, int, int]]:
        return self._automaton.find_matches_as_indexes(text, overlapping=True)


def rust_automaton(patterns: list[str]) -> Automaton:
    """The default automaton: ahocorasick-rs."""
    return _RustAutomaton(patterns)


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A normalized term, where it must meet word boundaries, and what a match of it means."""

    text: str
    boundary_before: bool
    boundary_after: bool
    hits: tuple[KeywordEntry, ...]
    exception_policies: frozenset[str]


class KeywordMatcher:
    """The compiled lists: immutable once built, cheap to share between requests.
    `term_count` is the number of distinct entries, exceptions included."""

    __slots__ = ("_automaton", "_patterns", "term_count")

    def __init__(self, patterns: list[_Pattern], automaton: Automaton, term_count: int) -> None:
        self._patterns = patterns
        self._automaton = automaton
        self.term_count = term_count

    @classmethod
    def build(
        cls, entries: Iterable[KeywordEntry], *, automaton: AutomatonFactory = rust_automaton
    ) -> KeywordMatcher:
        """Compile `entries` (repeats count once). A term with nothing to match once normalized
        is a ValueError: list files and the API refuse those before they get here."""
        by_pattern: dict[str, list[KeywordEntry]] = {}
        unique = dict.fromkeys(entries)
        for entry in unique:
            pattern = normalize(entry.term).text
            problem = _problem(entry.term, pattern)
            if problem:
                raise ValueError(f"keyword {entry.term!r}: {problem}")
            by_pattern.setdefault(pattern, []).append(entry)
        patterns = [
            _Pattern(
                text=text,
                boundary_before=SPACED_WORD_CHAR.match(text[0]) is not None,
                boundary_after=SPACED_WORD_CHAR.match(text[-1]) is not None,
                hits=tuple(e for e in group if not e.exception),
                exception_policies=frozenset(e.policy_id for e in group if e.exception),
            )
            for text, group in by_pattern.items()
        ]
        compiled = automaton([p.text for p in patterns]) if patterns else _NoAutomaton()
        return cls(patterns, compiled, len(unique))

    def scan(self, text: str | Normalized) -> list[Signal]:
        """One signal per (policy, clause, term) found, in the order of first occurrence, with
        the first occurrence's span in the original text and how many there were."""
        normalized = normalize(text) if isinstance(text, str) else text
        haystack = normalized.text
        found = self._automaton.find(haystack)
        if not found:
            return []
        hits: list[tuple[_Pattern, int, int]] = []
        excepted: dict[str, list[tuple[int, int]]] = {}
        for index, start, end in found:
            pattern = self._patterns[index]
            if pattern.boundary_before and start and SPACED_WORD_CHAR.match(haystack, start - 1):
                continue
            if pattern.boundary_after and SPACED_WORD_CHAR.match(haystack, end):
                continue
            for policy_id in pattern.exception_policies:
                excepted.setdefault(policy_id, []).append((start, end))
            if pattern.hits:
                hits.append((pattern, start, end))
        first: dict[KeywordEntry, tuple[int, int]] = {}
        counts: dict[KeywordEntry, int] = {}
        for pattern, start, end in sorted(hits, key=lambda hit: (hit[1], hit[2])):
            for entry in pattern.hits:
                spans = excepted.get(entry.policy_id, ())
                if any(low <= start and end <= high for low, high in spans):
                    continue
                first.setdefault(entry, (start, end))
                counts[entry] = counts.get(entry, 0) + 1
        signals = []
        for entry, (start, end) in first.items():
            begin, finish = normalized.original_span(start, end)
            evidence: dict[str, str | int | float] = {
                "term": entry.term,
                "matched": normalized.original[begin:finish],
                "start": begin,
                "end": finish,
                "count": counts[entry],
            }
            signals.append(Signal(entry.policy_id, entry.clause, "keywords", 1.0, evidence))
        return signals


class _NoAutomaton:
    def find(self, text: str) -> Sequence[tuple[int, int, int]]:
        return ()


def term_problem(term: str) -> str | None:
    """Why `term` cannot be listed, or None: too long, or nothing to match once normalized
    (only invisible characters, spaces or punctuation). Emoji may be listed."""
    return _problem(term, normalize(term).text)


def _problem(term: str, normalized: str) -> str | None:
    if len(term) > TERM_MAX_CHARS:
        return f"longer than {TERM_MAX_CHARS} characters"
    if all(ch.isspace() or unicodedata.category(ch).startswith("P") for ch in normalized):
        return "nothing to match once normalized (only spaces, punctuation or invisible characters)"
    return None


def parse_term_file(data: str | bytes) -> list[str]:
    """The terms of a list file: one a line, UTF-8, `#` comments and blank lines skipped,
    exact repeats once. A bad line refuses the whole file (ListFileError naming the line)."""
    terms: dict[str, None] = {}
    for line_no, line in list_lines(data):
        problem = term_problem(line)
        if problem:
            raise ListFileError(line_no, problem)
        terms[line] = None
    return list(terms)
