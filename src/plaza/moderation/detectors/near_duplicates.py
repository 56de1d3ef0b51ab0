"""The same or nearly the same text from many accounts: MinHash sketches and a banded LSH index.

A sketch is datasketch's MinHash of the text's normalized character 3-grams, computed the way
datasketch's "affine32" scheme computes it (crc32 of each 3-gram, the MurmurHash3 finalizer,
then `a * h + b` modulo 2^32 for each of 128 permutations drawn from datasketch's seed), so
the values are datasketch's own (tests/moderation/detectors/test_near_duplicates.py checks
them against it). What differs is the cost: one numpy expression over the 3-grams and a bare
array, instead of a MinHash object per text (about a third of the time, measured in
bench/moderation.py).

The index is LSH with datasketch's bands for a 0.8 threshold (9 bands of 13 values), but its
buckets hold one text per author, and a query stops as soon as it has found `enough` other
authors. datasketch's `MinHashLSH.query` returns every text in every matching bucket, so one
account sending the same text ten thousand times made each of its next sends confirm ten
thousand candidates (3 ms a message, and more the longer the flood went on); here a query
costs at most one comparison per distinct author in the text's buckets, and a flood by one
account stays one entry per bucket.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from functools import cache

import numpy as np

from plaza.moderation.detectors.normalize import normalize

NUM_PERM = 128
SHINGLE_CHARS = 3
# Fewer distinct shingles than this (a text under about ten characters: "ok", "hello!") says
# nothing about spam: everybody sends those.
MIN_SHINGLES = 8
# datasketch's MinHashLSH(threshold=0.8, num_perm=128) picks 9 bands of 13 values: the pair
# that minimizes its false positive and negative rates, computed by numerical integration
# (40 ms, which it pays on every index it builds).
BANDS, ROWS = 9, 13
_SEED = 1  # datasketch's default seed: sketches match its MinHash(num_perm=128)
# The MurmurHash3 32-bit finalizer's shifts and multipliers (datasketch's _FMIX_CONSTANTS).
_FMIX32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The 128 affine permutations `h -> a * h + b (mod 2^32)`, `a` odd: drawn once, from
    datasketch's seed and in its order, so every process computes the same sketches."""
    gen = np.random.RandomState(_SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint64).astype(np.uint32)
    a.flags.writeable = b.flags.writeable = False
    return a, b


def _fmix32(hv: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX32
    hv = hv ^ (hv >> np.uint32(s1))
    hv = hv * np.uint32(m1)
    hv = hv ^ (hv >> np.uint32(s2))
    hv = hv * np.uint32(m2)
    return hv ^ (hv >> np.uint32(s3))


class Sketch:
    """A text's MinHash: 128 uint32 values, read-only."""

    __slots__ = ("values",)

    def __init__(self, values: np.ndarray) -> None:
        values.flags.writeable = False
        self.values = values

    def jaccard(self, other: Sketch) -> float:
        """The estimated Jaccard similarity of the two texts' 3-gram sets."""
        return int(np.count_nonzero(self.values == other.values)) / NUM_PERM

    def bands(self) -> list[bytes]:
        """The LSH bucket key of each band."""
        values = self.values
        return [values[i * ROWS : (i + 1) * ROWS].tobytes() for i in range(BANDS)]


def minhash_of(text: str) -> Sketch | None:
    """The sketch of `text`'s normalized character 3-grams, or None when the text is too short
    to say anything (fewer than MIN_SHINGLES distinct 3-grams).

    Character shingles work alike for Chinese (no spaces) and spaced scripts, and the
    normalization makes look-alike and spacing variants of one text the same text.
    """
    normalized = normalize(text).text.strip()
    shingles = {
        normalized[i : i + SHINGLE_CHARS] for i in range(len(normalized) - SHINGLE_CHARS + 1)
    }
    if len(shingles) < MIN_SHINGLES:
        return None
    hashed = np.fromiter((zlib.crc32(s.encode()) for s in shingles), np.uint32, len(shingles))
    a, b = _permutations()
    with np.errstate(over="ignore"):  # the wraparound is the modulo 2^32
        permuted = _fmix32(hashed)[:, None] * a + b
    return Sketch(permuted.min(axis=0))


class _Entry:
    """A remembered text, and in how many of its buckets it is still its author's newest."""

    __slots__ = ("author_id", "bands", "listed", "sketch")

    def __init__(self, author_id: int, sketch: Sketch, bands: list[bytes]) -> None:
        self.author_id = author_id
        self.sketch = sketch
        self.bands = bands
        self.listed = len(bands)


class DuplicateIndex:
    """Recent texts' sketches, to ask "who else wrote this?".

    A plain object its owner keeps (one per process or worker) and feeds; it holds at most
    `capacity` texts, forgetting the oldest first. Each of a text's 9 band keys names a bucket
    of the texts sharing that band, one per author: an author's newer text replaces their older
    one there, and a text replaced in all its buckets can no longer be found, so it is
    forgotten. Candidates are confirmed with their estimated Jaccard similarity, so a false
    candidate does not count as a copy.
    """

    def __init__(self, *, capacity: int = 10_000, threshold: float = 0.8) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.threshold = threshold
        self._entries: OrderedDict[str, _Entry] = OrderedDict()  # oldest first
        # per band: band key -> author -> key of that author's newest text in the bucket
        self._buckets: list[dict[bytes, dict[int, str]]] = [{} for _ in range(BANDS)]

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, key: str, author_id: int, sketch: Sketch) -> None:
        """Remember `key` (a content reference) by `author_id`; re-adding a key replaces it."""
        self.remove(key)
        entry = _Entry(author_id, sketch, sketch.bands())
        for table, band in zip(self._buckets, entry.bands, strict=True):
            bucket = table.setdefault(band, {})
            older = bucket.pop(author_id, None)
            bucket[author_id] = key
            if older is not None:
                replaced = self._entries[older]
                replaced.listed -= 1
                if not replaced.listed:
                    del self._entries[older]
        self._entries[key] = entry
        while len(self._entries) > self.capacity:
            self.remove(next(iter(self._entries)))

    def remove(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for table, band in zip(self._buckets, entry.bands, strict=True):
            bucket = table.get(band)
            if bucket is not None and bucket.get(entry.author_id) == key:
                del bucket[entry.author_id]
                if not bucket:
                    del table[band]

    def authors_similar_to(
        self, sketch: Sketch, *, excluding: int | None = None, enough: int | None = None
    ) -> set[int]:
        """The authors of remembered texts at least `threshold` similar to `sketch`, other
        than `excluding`; with `enough`, stops once it has found that many."""
        found: set[int] = set()
        compared: set[str] = set()  # a text in several matching buckets is compared once
        for table, band in zip(self._buckets, sketch.bands(), strict=True):
            for author_id, key in (table.get(band) or {}).items():
                if author_id == excluding or author_id in found or key in compared:
                    continue
                compared.add(key)
                if sketch.jaccard(self._entries[key].sketch) >= self.threshold:
                    found.add(author_id)
                    if enough is not None and len(found) >= enough:
                        return found
        return found
