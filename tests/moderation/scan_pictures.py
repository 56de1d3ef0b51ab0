"""Pictures for the scan tests, drawn with Pillow when a test runs (none is checked in).

A seed gives a picture of overlapping coloured shapes: enough structure for a PDQ hash of
full quality, and two seeds give pictures far apart (over 100 of 256 bits)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw


def picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x0, y0, x0 + rng.randrange(40, 300), y0 + rng.randrange(40, 300))
        fill = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse(box, fill=fill)
        else:
            draw.rectangle(box, fill=fill)
    return image


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def reuploaded(image: Image.Image) -> bytes:
    """The picture as it comes back around: shrunk to 60% and recompressed as a JPEG."""
    smaller = image.resize((image.width * 3 // 5, image.height * 3 // 5))
    out = io.BytesIO()
    smaller.save(out, "JPEG", quality=60)
    return out.getvalue()
