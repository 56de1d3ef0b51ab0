"""Uploads become clean pictures or clear refusals (plaza.media.images, pure)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from plaza.errors import Invalid, PlazaError, UnsupportedMediaType
from plaza.media.images import process
from tests.media import pictures

LIMITS = {"max_pixels": 50_000_000, "thumbnail_px": 32}


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _close_to(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel[:3], colour, strict=True))


def test_a_phone_photo_is_turned_upright_and_loses_every_bit_of_metadata():
    original = pictures.jpeg_with_gps_and_orientation()
    assert b"secret-comment" in original and b"PhoneMaker" in original
    result = process(original, **LIMITS)
    picture = result.picture
    assert picture.content_type == "image/jpeg"
    # Stored 80x40 with orientation 6 (rotate 90° clockwise to show): shown 40x80, the top
    # (red) half now on the right.
    assert (picture.width, picture.height) == (40, 80)
    image = _open(picture.data)
    assert image.size == (40, 80)
    assert _close_to(image.getpixel((35, 40)), pictures.RED)
    assert _close_to(image.getpixel((5, 40)), pictures.BLUE)
    assert len(image.getexif()) == 0
    for key in ("exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp"):
        assert key not in image.info
    for secret in (b"secret-comment", b"PhoneMaker", b"Exif", b"ICC_PROFILE"):
        assert secret not in picture.data
    thumb = _open(result.thumbnail.data)
    assert max(thumb.size) == 32 and thumb.size == (16, 32)
    assert (result.thumbnail.width, result.thumbnail.height) == (16, 32)
    assert len(thumb.getexif()) == 0 and b"Exif" not in result.thumbnail.data


@pytest.mark.parametrize(
    ("make", "content_type"),
    [
        (pictures.png, "image/png"),
        (pictures.webp, "image/webp"),
        (pictures.noisy_jpeg, "image/jpeg"),
        (pictures.heic, "image/jpeg"),  # stored converted
        (pictures.animated_gif, "image/png"),  # first frame only
    ],
)
def test_each_supported_kind_is_told_by_its_content(make, content_type):
    result = process(make(), **LIMITS)
    assert result.picture.content_type == content_type
    assert result.thumbnail.content_type == content_type
    image = _open(result.picture.data)
    assert Image.MIME[image.format or ""] == content_type
    assert image.size == (result.picture.width, result.picture.height)


def test_an_animated_gif_keeps_its_first_frame():
    image = _open(process(pictures.animated_gif(), **LIMITS).picture.data)
    assert getattr(image, "n_frames", 1) == 1
    assert _close_to(image.convert("RGB").getpixel((10, 10)), pictures.RED)


def test_a_heic_keeps_its_pixels():
    image = _open(process(pictures.heic(), **LIMITS).picture.data)
    assert image.size == (64, 48)
    assert _close_to(image.getpixel((10, 5)), pictures.RED)
    assert _close_to(image.getpixel((10, 40)), pictures.BLUE)


def test_the_same_upload_gives_the_same_bytes():
    """Content addressing stores a picture uploaded twice once: encoding is deterministic."""
    data = pictures.jpeg_with_gps_and_orientation()
    assert process(data, **LIMITS) == process(data, **LIMITS)


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        (pictures.TEXT, UnsupportedMediaType, "unsupported_media_type"),
        (b"", UnsupportedMediaType, "unsupported_media_type"),
        (b"%PDF-1.4\n" + b"0" * 100, UnsupportedMediaType, "unsupported_media_type"),
        (pictures.truncated_jpeg(), Invalid, "corrupt_image"),
        (pictures.png()[:-20], Invalid, "corrupt_image"),
        # Over our limit (50 M) but under Pillow's own guard ...
        (pictures.png_claiming(8000, 8000), Invalid, "too_many_pixels"),
        # ... and far past both: refused from the header, never decoded.
        (pictures.png_claiming(100_000, 100_000), Invalid, "too_many_pixels"),
    ],
    ids=["text", "empty", "pdf", "truncated-jpeg", "truncated-png", "bomb", "huge-bomb"],
)
def test_bad_uploads_are_refused_with_a_reason(data, error, code):
    with pytest.raises(PlazaError) as refused:
        process(data, **LIMITS)
    assert isinstance(refused.value, error)
    assert refused.value.code == code
    assert refused.value.status in (415, 422)
    assert refused.value.message


def test_the_pixel_limit_is_a_setting():
    data = pictures.png(60, 30)
    assert process(data, max_pixels=1800, thumbnail_px=32).picture.width == 60
    with pytest.raises(Invalid) as refused:
        process(data, max_pixels=1799, thumbnail_px=32)
    assert refused.value.code == "too_many_pixels" and "1799" in refused.value.message


def _with_metadata(fmt: str) -> bytes:
    """A picture in `fmt` carrying EXIF (GPS), an ICC profile and, where the format has one, a
    comment or text chunk; no orientation, so the decoded image itself goes to the encoder."""
    from PIL import ImageCms, PngImagePlugin

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(pictures.GPS_IFD).update({1: "N", 2: (52.0, 31.0, 12.0)})
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    extra: dict[str, object] = {"exif": exif.tobytes(), "icc_profile": icc}
    if fmt == "JPEG":
        extra["comment"] = b"secret-comment"
    if fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "secret-comment")
        extra["pnginfo"] = text
    return pictures.save(pictures.two_halves(), fmt, **extra)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_metadata_is_stripped_from_every_kind_even_when_upright(fmt):
    original = _with_metadata(fmt)
    assert b"PhoneMaker" in original
    result = process(original, **LIMITS)
    for encoded in (result.picture, result.thumbnail):
        for secret in (b"PhoneMaker", b"secret-comment", b"Exif", b"ICC_PROFILE", b"iCCP"):
            assert secret not in encoded.data, (fmt, secret)
        image = _open(encoded.data)
        assert len(image.getexif()) == 0
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
