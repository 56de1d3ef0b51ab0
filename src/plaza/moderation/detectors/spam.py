"""Spam checks over facts the caller gathered: one sender's rate across conversations and
posts, the same or nearly the same text from many accounts, link-heavy text, and a brand-new
account writing to many strangers.

Pure: the caller counts (sends in a window, strangers written to, similar texts by other
authors through its own `DuplicateIndex`) and this module judges. Scores start at 0.5 when an
observation reaches its threshold and reach 1.0 at twice the threshold; what a score leads
to is the policy's business.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache

import numpy as np
from datasketch import MinHash, MinHashLSH  # type: ignore[import-untyped]

from plaza.moderation.detectors.normalize import normalize
from plaza.moderation.detectors.signals import Rule, Signal

NUM_PERM = 128
SHINGLE_CHARS = 3
# Fewer distinct shingles than this (a text under about ten characters: "ok", "hello!") says
# nothing about spam: everybody sends those.
MIN_SHINGLES = 8


@dataclass(frozen=True, slots=True)
class SpamContext:
    """What the caller knows about one piece of content and its sender, counted up to now."""

    text: str
    sender_recent_sends: int  # messages, posts and comments by the sender in the window
    window_seconds: int  # the window those sends were counted over
    account_age_seconds: float
    strangers_messaged_recently: int  # people who are not friends, written to in the window
    similar_authors: int  # other accounts that recently wrote (nearly) the same text


@dataclass(frozen=True, slots=True)
class SpamThresholds:
    """Where each check starts to signal; the engine fills these from settings."""

    rate_sends: int = 60  # sends per rate_window_seconds, across conversations and posts
    rate_window_seconds: int = 60
    duplicate_authors: int = 5  # other accounts with (nearly) the same text
    links: int = 5  # links in one text
    new_account_seconds: float = 86_400.0  # an account younger than this is new
    new_account_strangers: int = 10  # strangers a new account wrote to in the window


def _escalating(observed: float, threshold: float) -> float:
    """0.5 at the threshold, 1.0 at twice the threshold and beyond."""
    return round(min(1.0, 0.5 + 0.5 * (observed - threshold) / threshold), 3)


def spam_signals(ctx: SpamContext, thresholds: SpamThresholds, rule: Rule) -> list[Signal]:
    """The spam checks that `ctx` trips, each a signal filed under `rule`."""
    signals = []

    def signal(detector: str, score: float, **evidence: str | int | float) -> None:
        signals.append(Signal(rule.policy_id, rule.clause, detector, score, evidence))

    if ctx.window_seconds > 0 and thresholds.rate_sends > 0:
        rate = ctx.sender_recent_sends / ctx.window_seconds
        limit = thresholds.rate_sends / thresholds.rate_window_seconds
        if rate >= limit:
            score = _escalating(rate, limit)
            sends, window = ctx.sender_recent_sends, ctx.window_seconds
            signal("spam.rate", score, count=sends, window_seconds=window)
    if ctx.similar_authors >= thresholds.duplicate_authors > 0:
        score = _escalating(ctx.similar_authors, thresholds.duplicate_authors)
        signal("spam.duplicate", score, authors=ctx.similar_authors)
    links = count_links(ctx.text)
    if links.links >= thresholds.links > 0:
        signal("spam.links", _escalating(links.links, thresholds.links), links=links.links,
               hosts=links.hosts)  # fmt: skip
    strangers = ctx.strangers_messaged_recently
    if ctx.account_age_seconds < thresholds.new_account_seconds and (
        strangers >= thresholds.new_account_strangers > 0
    ):
        score = _escalating(strangers, thresholds.new_account_strangers)
        signal("spam.strangers", score, strangers=strangers,
               account_age_seconds=int(ctx.account_age_seconds))  # fmt: skip
    return signals


@dataclass(frozen=True, slots=True)
class LinkCount:
    links: int
    hosts: int  # distinct hosts ("www." ignored)


# A URL with a scheme, or a bare domain of ASCII labels ending in an alphabetic top-level
# domain ("example.com/x", "shop.example.co.uk"): "e.g." and "3.14" are not links, and an
# e-mail address is not counted as one.
_LINK = re.compile(
    r"\b(?:https?|ftp)://(?:[^\s/?#@]*@)?(?P<host>[^\s/?#:]+)\S*"
    r"|(?<![\w@.-])(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:[a-z]{2,24}|xn--[a-z0-9-]{1,59}))(?![\w@-])(?::\d{1,5})?(?:/\S*)?"
)


def count_links(text: str) -> LinkCount:
    """Links in `text`, written plainly or full-width, with the Chinese full stop as a dot."""
    plain = unicodedata.normalize("NFKC", text).casefold().replace("。", ".")
    links = 0
    hosts = set()
    for match in _LINK.finditer(plain):
        links += 1
        host = match.group("host") or match.group("domain")
        hosts.add(host.removeprefix("www."))
    return LinkCount(links, len(hosts))


@cache
def _permutations() -> np.ndarray:
    """MinHash's permutation parameters: drawn once (the same seed every time, so sketches of
    different processes compare), instead of once per sketch, which costs more than the
    hashing."""
    permutations: np.ndarray = MinHash(num_perm=NUM_PERM).permutations
    permutations.flags.writeable = False
    return permutations


def minhash_of(text: str) -> MinHash | None:
    """The MinHash sketch of `text`'s normalized character 3-grams, or None when the text is
    too short to say anything (fewer than MIN_SHINGLES distinct 3-grams).

    Character shingles work alike for Chinese (no spaces) and spaced scripts, and the
    normalization makes look-alike and spacing variants of one text the same text.
    """
    normalized = normalize(text).text.strip()
    shingles = {
        normalized[i : i + SHINGLE_CHARS] for i in range(len(normalized) - SHINGLE_CHARS + 1)
    }
    if len(shingles) < MIN_SHINGLES:
        return None
    # crc32 (C) instead of datasketch's default SHA-1 (Python) halves the cost; the scheme
    # mixes the 32-bit value before permuting, so crc32's linearity does not show. The GPU
    # probe datasketch makes on every update by default ("detect") costs as much again.
    sketch = MinHash(num_perm=NUM_PERM, permutations=_permutations(), scheme="affine32",
                     hashfunc=zlib.crc32, gpu_mode="disable")  # fmt: skip
    sketch.update_batch([s.encode() for s in shingles])
    return sketch


class DuplicateIndex:
    """Recent texts' sketches in a MinHash LSH, to ask "who else wrote this?".

    A plain object its owner keeps (one per process or worker) and feeds; it holds at most
    `capacity` texts, forgetting the oldest first. Candidates from the LSH are confirmed with
    their estimated Jaccard similarity, so a false candidate does not count as a copy.
    """

    def __init__(self, *, capacity: int = 10_000, threshold: float = 0.8) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._entries: OrderedDict[str, tuple[int, MinHash]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, key: str, author_id: int, minhash: MinHash) -> None:
        """Remember `key` (a content reference) by `author_id`; re-adding a key replaces it."""
        self.remove(key)
        self._lsh.insert(key, minhash)
        self._entries[key] = (author_id, minhash)
        while len(self._entries) > self.capacity:
            oldest, _ = self._entries.popitem(last=False)
            self._lsh.remove(oldest)

    def remove(self, key: str) -> None:
        if self._entries.pop(key, None) is not None:
            self._lsh.remove(key)

    def authors_similar_to(self, minhash: MinHash) -> set[int]:
        """The authors of remembered texts at least `threshold` similar to `minhash`."""
        authors = set()
        for key in self._lsh.query(minhash):
            author_id, other = self._entries[key]
            if minhash.jaccard(other) >= self.threshold:
                authors.add(author_id)
        return authors
