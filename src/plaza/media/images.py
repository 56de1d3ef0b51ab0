"""Turning an upload into pictures that are safe to keep and serve: pure, bytes in, result out.

- The kind is told by the content alone (Pillow opens it with only the allowed decoders):
  JPEG, PNG, WebP, GIF, and HEIC/HEIF from phones (pillow-heif), which is stored as JPEG.
- A picture claiming more than `max_pixels` is refused from its header, before decoding
  (a decompression bomb); a truncated or corrupt file is refused (verify, then a full load
  with truncated images not tolerated).
- The EXIF orientation is applied, colours are converted to sRGB from an embedded ICC profile,
  and the result is encoded afresh with no metadata at all (no EXIF, GPS, XMP, ICC, comments).
- An animated GIF keeps its first frame only, stored as PNG: decoding every frame of an
  animation multiplies the work (and the memory a hostile file can demand) by its frame count,
  and a still is what a chat bubble or a moment shows. A still GIF becomes PNG the same way
  (lossless; PNG keeps its transparency).

Refusals are PlazaErrors (415 unsupported, 422 corrupt or too many pixels), each with a
message that says why.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from plaza.errors import Invalid, UnsupportedMediaType

pillow_heif.register_heif_opener()

# Pillow format -> the format the picture is stored in.
STORED_AS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG", "HEIF": "JPEG"}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
JPEG_QUALITY = 85
WEBP_QUALITY = 85
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True, slots=True)
class Encoded:
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Processed:
    """What is stored of one upload: the picture and its thumbnail."""

    picture: Encoded
    thumbnail: Encoded


def process(data: bytes, *, max_pixels: int, thumbnail_px: int) -> Processed:
    """Check, clean and re-encode one upload, and make its thumbnail. CPU-bound: run it off
    the event loop."""
    image = _decode(data, max_pixels=max_pixels)
    try:
        stored_as = STORED_AS[image.format or ""]
        clean = _clean(image, stored_as)
    finally:
        image.close()
    thumb = clean.copy()
    thumb.thumbnail((thumbnail_px, thumbnail_px), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return Processed(picture=_encode(clean, stored_as), thumbnail=_encode(thumb, stored_as))


def _decode(data: bytes, *, max_pixels: int) -> Image.Image:
    """Open with the allowed decoders only, check the claimed size, verify, then load fully."""
    formats = list(STORED_AS)
    try:
        probe = Image.open(io.BytesIO(data), formats=formats)
        _check_pixels(probe, max_pixels)
        probe.verify()
        image = Image.open(io.BytesIO(data), formats=formats)
        image.load()
    except UnidentifiedImageError:
        raise UnsupportedMediaType(
            "this is not a picture of a supported kind: send JPEG, PNG, WebP, GIF or HEIC",
            field="file",
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard (the process-wide MAX_IMAGE_PIXELS, left as it is) fires in open()
        # for sizes past its default, before ours can look: a refusal all the same. (Its
        # warning is an exception only where warnings are made errors, as in the tests.)
        raise _too_many_pixels(max_pixels) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, MemoryError) as exc:
        raise Invalid(
            f"the picture is truncated or corrupt and cannot be read ({exc})",
            code="corrupt_image",
            field="file",
        ) from None
    return image


def _check_pixels(image: Image.Image, max_pixels: int) -> None:
    width, height = image.size
    if width < 1 or height < 1:
        raise Invalid("the picture has no pixels", code="corrupt_image", field="file")
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels, width, height)


def _too_many_pixels(max_pixels: int, width: int = 0, height: int = 0) -> Invalid:
    claimed = f" ({width}x{height})" if width else ""
    return Invalid(
        f"the picture claims too many pixels{claimed}; at most {max_pixels} are accepted",
        code="too_many_pixels",
        field="file",
    )


def _clean(image: Image.Image, stored_as: str) -> Image.Image:
    """Upright, sRGB, in a mode the stored format takes, and with no metadata attached."""
    upright = ImageOps.exif_transpose(image) or image
    srgb = _to_srgb(upright)
    if stored_as == "JPEG":
        mode = "L" if srgb.mode in ("L", "1", "I;16", "I") else "RGB"
    elif srgb.mode in ("RGB", "RGBA", "L", "LA"):
        mode = srgb.mode
    else:
        has_alpha = "transparency" in srgb.info or srgb.mode in ("PA", "RGBa", "La")
        mode = "RGBA" if has_alpha else "RGB"
    converted = srgb.convert(mode) if srgb.mode != mode else srgb
    # A plain image (not the decoder's, whose file segments some encoders copy) with its info
    # emptied: the encoders take metadata (EXIF, XMP, ICC, comments) only from the info or
    # from what `_encode` passes, which is none. (Rebuilding from raw pixels would be surer
    # still but costs as much as the decode itself; tests/media/test_images.py checks.)
    clean = converted.copy() if converted is image else converted
    clean.info = {}
    return clean


def _to_srgb(image: Image.Image) -> Image.Image:
    """Pixels in sRGB: a picture tagged with another colour space (Display P3 from phones,
    Adobe RGB from cameras) would show wrong colours once its profile is dropped."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image  # untagged (taken as sRGB), or grey/palette: left as they are
    output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # an unusable profile: keep the pixels as they are
    return converted if converted is not None else image


def _encode(image: Image.Image, stored_as: str) -> Encoded:
    out = io.BytesIO()
    if stored_as == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY)
    elif stored_as == "WEBP":
        image.save(out, "WEBP", quality=WEBP_QUALITY)
    else:
        image.save(out, "PNG")
    width, height = image.size
    return Encoded(out.getvalue(), CONTENT_TYPES[stored_as], width, height)
