"""Known pictures: PDQ perceptual hashes matched against operators' hash lists.

PDQ (Meta's, through `pdqhash`) gives a picture a 256-bit hash that barely moves when the
picture is resized, recompressed, slightly cropped, brightened, made grayscale or written
over; a listed picture re-uploaded that way lies within a small Hamming distance of its
listed hash (31 of 256 bits is the threshold Meta suggests). Mirroring and rotating change
the hash wholesale, so the eight dihedral variants of the upload's hash are all compared.

Hashes are written as 64 hexadecimal digits, most significant bit first, the format of the
reference implementation and of shared hash lists.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pdqhash  # type: ignore[import-untyped]
from PIL import Image, ImageOps

from plaza.moderation.detectors.listfiles import ListFileError, list_lines
from plaza.moderation.detectors.signals import Signal

__all__ = [
    "DIHEDRAL",
    "HashEntry",
    "HashList",
    "ImageHashes",
    "ListFileError",
    "hash_problem",
    "parse_hash_file",
    "pdq_hashes",
]

# The order of pdqhash.compute_dihedral's hashes.
DIHEDRAL = (
    "original", "rotate90", "rotate180", "rotate270",
    "flip_x", "flip_y", "flip_plus1", "flip_minus1",
)  # fmt: skip
# Pictures are hashed at most this large: PDQ reduces to 64x64 anyway, and its reference
# implementation suggests downsampling big pictures first for speed.
HASH_SIDE_PX = 512
MAX_DISTANCE = 31
# PDQ's own advice: a hash of quality below 50 (a nearly flat picture) is not reliable.
MIN_QUALITY = 50
_HEX = re.compile("[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class ImageHashes:
    """A picture's PDQ hash, its quality (0-100) and the hashes of its 8 dihedral variants
    (`dihedral[0]` is the picture as it is, equal to `hash_hex`)."""

    hash_hex: str
    quality: int
    dihedral: tuple[str, ...]


def pdq_hashes(image: Image.Image | bytes) -> ImageHashes:
    """Hash a picture (a Pillow image or encoded bytes, EXIF orientation applied). Bytes
    Pillow cannot read raise its error: the media pipeline stores only pictures it decoded."""
    if isinstance(image, bytes):
        with Image.open(io.BytesIO(image)) as opened:
            # A JPEG is decoded straight at a fraction of its size (DCT scaling), not in full.
            opened.draft("RGB", (HASH_SIDE_PX, HASH_SIDE_PX))
            picture = ImageOps.exif_transpose(opened).convert("RGB")
    else:
        picture = image.convert("RGB")
    picture.thumbnail((HASH_SIDE_PX, HASH_SIDE_PX))
    pixels = np.ascontiguousarray(np.asarray(picture, dtype=np.uint8))
    vectors, quality = pdqhash.compute_dihedral(pixels)
    dihedral = tuple(np.packbits(v.astype(np.uint8)).tobytes().hex() for v in vectors)
    return ImageHashes(hash_hex=dihedral[0], quality=int(quality), dihedral=dihedral)


@dataclass(frozen=True, slots=True)
class HashEntry:
    """A listed hash, filed under a policy clause."""

    policy_id: str
    clause: int
    hash_hex: str


def _words(hash_hex: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(hash_hex), dtype=np.uint64)


class HashList:
    """The operators' hashes as one matrix (a row of four 64-bit words per hash), compared
    with a picture's eight hashes by XOR and population count in numpy."""

    __slots__ = ("_entries", "_matrix")

    def __init__(self, entries: list[HashEntry], matrix: np.ndarray) -> None:
        self._entries = entries
        self._matrix = matrix

    @classmethod
    def build(cls, entries: Iterable[HashEntry]) -> HashList:
        """Compile `entries` (repeats count once); a malformed hash is a ValueError."""
        unique: dict[HashEntry, None] = {}
        for entry in entries:
            problem = hash_problem(entry.hash_hex)
            if problem:
                raise ValueError(f"hash {entry.hash_hex!r}: {problem}")
            unique[HashEntry(entry.policy_id, entry.clause, entry.hash_hex.lower())] = None
        listed = list(unique)
        matrix = np.zeros((len(listed), 4), dtype=np.uint64)
        for row, entry in enumerate(listed):
            matrix[row] = _words(entry.hash_hex)
        return cls(listed, matrix)

    def __len__(self) -> int:
        return len(self._entries)

    def match(
        self,
        hashes: ImageHashes,
        *,
        max_distance: int = MAX_DISTANCE,
        min_quality: int = MIN_QUALITY,
    ) -> list[Signal]:
        """One signal per policy with a listed hash within `max_distance` bits of any of the
        picture's dihedral hashes: the nearest, with its distance, the listed hash and the
        variant that matched. Nothing when the picture's hash quality is below `min_quality`."""
        if not self._entries or hashes.quality < min_quality:
            return []
        distances = np.stack([
            np.bitwise_count(self._matrix ^ _words(variant)).sum(axis=1, dtype=np.int64)
            for variant in hashes.dihedral
        ])  # fmt: skip
        nearest = distances.min(axis=0)
        best: dict[str, tuple[int, int]] = {}
        for found in np.flatnonzero(nearest <= max_distance):
            row, distance = int(found), int(nearest[found])
            policy_id = self._entries[row].policy_id
            if policy_id not in best or distance < best[policy_id][0]:
                best[policy_id] = (distance, row)
        signals = []
        for policy_id, (distance, row) in best.items():
            entry = self._entries[row]
            variant = DIHEDRAL[int(distances[:, row].argmin())]
            evidence: dict[str, str | int | float] = {"distance": distance, "hash": entry.hash_hex,
                        "variant": variant, "quality": hashes.quality}  # fmt: skip
            score = round(1 - distance / 256, 3)
            signals.append(Signal(policy_id, entry.clause, "image.hash", score, evidence))
        return signals


def hash_problem(hash_hex: str) -> str | None:
    """Why `hash_hex` is not a PDQ hash, or None."""
    if not _HEX.fullmatch(hash_hex.lower()):
        return "expected a PDQ hash: 64 hexadecimal digits"
    return None


def parse_hash_file(data: str | bytes) -> list[str]:
    """The hashes of a list file, lower-cased: one a line, `#` comments and blank lines
    skipped, repeats once. A bad line refuses the whole file (ListFileError naming it)."""
    hashes: dict[str, None] = {}
    for line_no, line in list_lines(data):
        problem = hash_problem(line)
        if problem:
            raise ListFileError(line_no, problem)
        hashes[line.lower()] = None
    return list(hashes)
