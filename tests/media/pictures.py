"""Test pictures, made with Pillow when a test runs (nothing binary is checked in)."""

from __future__ import annotations

import io
import struct
import zlib

import pillow_heif
from PIL import Image, ImageCms

RED, BLUE = (220, 20, 20), (20, 20, 220)
GPS_IFD, ORIENTATION = 0x8825, 0x0112


def two_halves(width: int = 80, height: int = 40) -> Image.Image:
    """Top half red, bottom half blue: rotations show in the pixels."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (0, height // 2, width, height))
    return image


def save(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def jpeg_with_gps_and_orientation() -> bytes:
    """A phone photo as sent: stored sideways with orientation 6, GPS coordinates, a comment
    and an ICC profile."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (52.0, 31.0, 12.0)
    gps[3] = "E"
    gps[4] = (13.0, 24.0, 36.0)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return save(
        two_halves(), "JPEG", exif=exif.tobytes(), comment=b"secret-comment", icc_profile=srgb
    )


def png(width: int = 60, height: int = 30) -> bytes:
    return save(two_halves(width, height), "PNG")


def noisy_jpeg(width: int = 400, height: int = 300) -> bytes:
    return save(Image.effect_noise((width, height), 80).convert("RGB"), "JPEG", quality=90)


def truncated_jpeg() -> bytes:
    data = noisy_jpeg()
    return data[: len(data) // 2]


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header (IHDR) claims width x height; the pixel data is a few bytes."""
    data = bytearray(png(4, 4))
    ihdr = 8  # after the signature: length (4), b"IHDR" (4), then width, height, ...
    start = ihdr + 8
    data[start : start + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr + 4 : start + 13]))
    data[start + 13 : start + 17] = struct.pack(">I", crc)
    return bytes(data)


def heic() -> bytes:
    pillow_heif.register_heif_opener()
    return save(two_halves(64, 48), "HEIF")


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (30, 20), RED), Image.new("RGB", (30, 20), BLUE)]
    return save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def webp() -> bytes:
    return save(two_halves(50, 50), "WEBP")


TEXT = b"hello, this is not a picture\n"
