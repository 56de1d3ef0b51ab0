"""The same or nearly the same text from many accounts: MinHash sketches and a banded LSH index.

A sketch is the MinHash (128 permutations) of the text's normalized character 3-grams,
computed by rensa (Rust). Every chat message pays for one, and the choice was measured: from
the 3-grams of an 80-character message, datasketch's MinHash took about 45 µs (its fastest
settings: crc32, no GPU probe), the same arithmetic written as numpy arrays about 20 µs, rensa
about 4 µs; with the normalization and the 3-grams, the whole sketch is half of datasketch's
(bench/moderation.py, "near-duplicates per chat message"). The similarity of two sketches is
rensa's estimate of the Jaccard similarity of the 3-gram sets.

The index is LSH with datasketch's bands for a 0.8 threshold (9 bands of 13 values), but its
buckets hold one text per author, and a query stops as soon as it has found `enough` other
authors. datasketch's `MinHashLSH.query` returns every text in every matching
bucket, so one account sending the same text ten thousand times made each of its next sends
confirm ten thousand candidates (3 ms a message, and more the longer the flood went on); here
a query costs at most one comparison per distinct author in the text's buckets, and a flood by
one account stays one entry per bucket.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from typing import NamedTuple

from rensa import RMinHash  # type: ignore[import-untyped]

from plaza.moderation.detectors.normalize import normalize

NUM_PERM = 128
SHINGLE_CHARS = 3
# Fewer distinct shingles than this (a text under about ten characters: "ok", "hello!") says
# nothing about spam: everybody sends those.
MIN_SHINGLES = 8
# datasketch's MinHashLSH(threshold=0.8, num_perm=128) picks 9 bands of 13 values: the pair
# that minimizes its false positive and negative rates, computed by numerical integration
# (40 ms, which it paid on every index it built).
BANDS, ROWS = 9, 13
# Fixed, so that every process of every release computes the same sketch of the same text.
SEED = 1
_BAND_BYTES = ROWS * array("I").itemsize  # a band's 13 values, as rensa's uint32


class Sketch(NamedTuple):
    """A text's MinHash and its LSH band keys (a query and an add both need them).

    The index keeps its parts in a plain tuple, which the garbage collector stops tracking
    (rensa's object and bytes are not tracked): ten thousand remembered texts add nothing to
    its full collections, where an object each with a list of bands made screening a quarter
    dearer in a busy server (measured with the collector off)."""

    minhash: RMinHash
    bands: tuple[bytes, ...]

    @classmethod
    def of(cls, minhash: RMinHash) -> Sketch:
        values = array("I", minhash.digest()).tobytes()
        width = _BAND_BYTES
        return cls(minhash, tuple(values[i * width : (i + 1) * width] for i in range(BANDS)))

    def jaccard(self, other: Sketch) -> float:
        """The estimated Jaccard similarity of the two texts' 3-gram sets."""
        return float(self.minhash.jaccard(other.minhash))


def grams_of(text: str) -> set[str]:
    """The distinct character 3-grams of `text` as normalized for comparison: look-alike and
    spacing variants of one text are the same text. Character shingles work alike for Chinese
    (no spaces) and spaced scripts."""
    normalized = normalize(text).text.strip()
    return {normalized[i : i + SHINGLE_CHARS] for i in range(len(normalized) - SHINGLE_CHARS + 1)}


def minhash_of(text: str) -> Sketch | None:
    """The sketch of `text`, or None when the text is too short to say anything (fewer than
    MIN_SHINGLES distinct 3-grams)."""
    grams = grams_of(text)
    if len(grams) < MIN_SHINGLES:
        return None
    minhash = RMinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update(list(grams))
    return Sketch.of(minhash)


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
        # key -> (author, minhash, band keys), oldest first; and in how many of its buckets
        # each text is still its author's newest
        self._entries: OrderedDict[str, tuple[int, RMinHash, tuple[bytes, ...]]] = OrderedDict()
        self._listed: dict[str, int] = {}
        # per band: band key -> author -> key of that author's newest text in the bucket
        self._buckets: list[dict[bytes, dict[int, str]]] = [{} for _ in range(BANDS)]

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, key: str, author_id: int, sketch: Sketch) -> None:
        """Remember `key` (a content reference) by `author_id`; re-adding a key replaces it."""
        self.remove(key)
        listed = self._listed
        for table, band in zip(self._buckets, sketch.bands, strict=True):
            bucket = table.setdefault(band, {})
            older = bucket.pop(author_id, None)
            bucket[author_id] = key
            if older is not None:
                listed[older] -= 1
                if not listed[older]:
                    del self._entries[older], listed[older]
        self._entries[key] = (author_id, sketch.minhash, sketch.bands)
        listed[key] = BANDS
        while len(self._entries) > self.capacity:
            self.remove(next(iter(self._entries)))

    def remove(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        del self._listed[key]
        author_id, _, bands = entry
        for table, band in zip(self._buckets, bands, strict=True):
            bucket = table.get(band)
            if bucket is not None and bucket.get(author_id) == key:
                del bucket[author_id]
                if not bucket:
                    del table[band]

    def authors_similar_to(
        self, sketch: Sketch, *, excluding: int | None = None, enough: int | None = None
    ) -> set[int]:
        """The authors of remembered texts at least `threshold` similar to `sketch`, other
        than `excluding`; with `enough`, stops once it has found that many."""
        found: set[int] = set()
        compared: set[str] = set()  # a text in several matching buckets is compared once
        for table, band in zip(self._buckets, sketch.bands, strict=True):
            for author_id, key in (table.get(band) or {}).items():
                if author_id == excluding or author_id in found or key in compared:
                    continue
                compared.add(key)
                if sketch.minhash.jaccard(self._entries[key][1]) >= self.threshold:
                    found.add(author_id)
                    if enough is not None and len(found) >= enough:
                        return found
        return found
