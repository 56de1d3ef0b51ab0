"""PDQ hash matching: a listed picture is found again after the usual re-upload changes, an
unrelated one is not, and hash files are checked line by line."""

from __future__ import annotations

import numpy as np
import pdqhash
import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

from plaza.moderation.detectors.images import (
    HashEntry,
    HashList,
    ListFileError,
    parse_hash_file,
    pdq_hashes,
)
from tests.moderation.detectors.pictures import encode, landscape

ORIGINAL = landscape(1)
WIDTH, HEIGHT = ORIGINAL.size


@pytest.fixture(scope="module")
def listed() -> HashList:
    return HashList.build([HashEntry("violence", 2, pdq_hashes(ORIGINAL).hash_hex)])


def with_caption(image: Image.Image) -> Image.Image:
    captioned = image.copy()
    font = ImageFont.load_default(size=40)
    ImageDraw.Draw(captioned).text((300, 520), "look at this!!", fill=(255, 255, 255), font=font)
    return captioned


REUPLOADS = {
    "resized": lambda: ORIGINAL.resize((400, 300)),
    "recompressed": lambda: encode(ORIGINAL, quality=25),
    "cropped": lambda: ORIGINAL.crop((8, 6, WIDTH - 8, HEIGHT - 6)),
    "brighter": lambda: ImageEnhance.Brightness(ORIGINAL).enhance(1.3),
    "darker": lambda: ImageEnhance.Brightness(ORIGINAL).enhance(0.7),
    "grayscale": lambda: ImageOps.grayscale(ORIGINAL),
    "captioned": lambda: with_caption(ORIGINAL),
    "mirrored": lambda: ImageOps.mirror(ORIGINAL),
    "upside down": lambda: ImageOps.flip(ORIGINAL),
    "rotated 90": lambda: ORIGINAL.rotate(90, expand=True),
    "rotated 270, as PNG": lambda: encode(ORIGINAL.rotate(270, expand=True), "PNG"),
}


@pytest.mark.parametrize("change", sorted(REUPLOADS))
def test_a_listed_picture_is_found_after_a_reupload_change(listed, change):
    hashes = pdq_hashes(REUPLOADS[change]())
    (signal,) = listed.match(hashes)
    assert (signal.policy_id, signal.clause, signal.detector) == ("violence", 2, "image.hash")
    distance = signal.evidence["distance"]
    assert isinstance(distance, int) and distance <= 31
    assert signal.evidence["hash"] == pdq_hashes(ORIGINAL).hash_hex
    assert signal.score == round(1 - distance / 256, 3)


@pytest.mark.parametrize("seed", [2, 3, 4, 5])
def test_an_unrelated_picture_is_not_matched(listed, seed):
    hashes = pdq_hashes(landscape(seed))
    assert hashes.quality >= 50
    assert listed.match(hashes) == []


def test_an_exact_copy_is_at_distance_zero_and_names_its_variant(listed):
    (signal,) = listed.match(pdq_hashes(encode(ORIGINAL, "PNG")))
    assert signal.evidence["distance"] == 0 and signal.evidence["variant"] == "original"
    assert signal.score == 1.0


def test_the_nearest_listed_hash_per_policy():
    near, far = pdq_hashes(ORIGINAL).hash_hex, pdq_hashes(ORIGINAL.resize((200, 150))).hash_hex
    other_policy = pdq_hashes(ImageOps.grayscale(ORIGINAL)).hash_hex
    hash_list = HashList.build([
        HashEntry("violence", 1, far),
        HashEntry("violence", 4, near.upper()),  # upper case is the same hash
        HashEntry("csam", 1, other_policy),
        HashEntry("violence", 4, near),  # a repeat counts once
    ])  # fmt: skip
    assert len(hash_list) == 3
    found = {s.policy_id: s for s in hash_list.match(pdq_hashes(ORIGINAL))}
    assert set(found) == {"violence", "csam"}
    assert found["violence"].clause == 4 and found["violence"].evidence["distance"] == 0


def test_a_flat_picture_is_too_poor_to_match():
    flat = Image.new("RGB", (300, 200), (120, 120, 120))
    hashes = pdq_hashes(flat)
    assert hashes.quality < 50
    assert HashList.build([HashEntry("csam", 1, hashes.hash_hex)]).match(hashes) == []


def test_hashes_are_written_as_the_reference_implementation_writes_them():
    """64 hex digits, most significant bit first (its 16-bit words from w[15] down to w[0])."""
    pixels = np.ascontiguousarray(np.asarray(ORIGINAL.convert("RGB")))
    vector, _ = pdqhash.compute(pixels)  # bit 255 first
    words = [sum(int(vector[255 - (16 * w + b)]) << b for b in range(16)) for w in range(16)]
    reference = "".join(f"{words[w]:04x}" for w in reversed(range(16)))
    ours = pdq_hashes(ORIGINAL.resize((512, 384)))
    assert len(ours.hash_hex) == 64 and len(ours.dihedral) == 8
    assert ours.hash_hex == ours.dihedral[0]
    difference = bin(int(reference, 16) ^ int(ours.hash_hex, 16)).count("1")
    assert difference <= 16  # the same picture, hashed at another size


def test_an_empty_list_matches_nothing_and_a_bad_hash_is_refused():
    assert HashList.build([]).match(pdq_hashes(ORIGINAL)) == []
    with pytest.raises(ValueError):
        HashList.build([HashEntry("csam", 1, "abc")])


def test_a_hash_file_is_read_line_by_line():
    first, second = "a" * 64, "0123456789ABCDEF" * 4
    data = f"# from the hash-sharing programme\n{first}\n\n{second}\r\n{first}\n"
    assert parse_hash_file(data) == [first, second.lower()]
    assert parse_hash_file(data.encode()) == [first, second.lower()]


@pytest.mark.parametrize(
    ("data", "line_no"),
    [
        ("a" * 64 + "\n" + "a" * 63 + "\n", 2),
        ("a" * 64 + "\n\n" + "g" * 64 + "\n", 3),
        ("a" * 65, 1),
        ("a" * 64 + ",100\n", 1),
        ("#\n" + "a" * 32 + "\x00" + "a" * 31, 2),
    ],
)
def test_a_bad_hash_line_refuses_the_file_and_is_named(data, line_no):
    with pytest.raises(ListFileError) as caught:
        parse_hash_file(data)
    assert caught.value.line_no == line_no
    assert str(caught.value).startswith(f"line {line_no}: ")
