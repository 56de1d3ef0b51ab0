"""Test pictures drawn with Pillow when a test runs (nothing binary is checked in): landscapes
with a sky, a sun, hills, trees, a house and a caption, different for each seed."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFont


def landscape(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    rng = random.Random(seed)
    width, height = size
    sky = Image.linear_gradient("L").resize(size)
    image = Image.merge(
        "RGB",
        (
            sky.point(lambda v: 60 + v // 3),
            sky.point(lambda v: 120 + v // 3),
            Image.new("L", size, 235),
        ),
    )
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.7)
    sun_x = rng.randint(width // 2, width - 150)
    draw.ellipse((sun_x, 40, sun_x + 110, 150), fill=(255, 210, 60))
    for _ in range(4):
        x = rng.randint(-100, width - 100)
        peak = (x + rng.randint(120, 220), rng.randint(150, 300))
        shade = (rng.randint(60, 120), rng.randint(60, 110), rng.randint(80, 140))
        draw.polygon([(x, horizon), peak, (x + rng.randint(300, 420), horizon)], fill=shade)
    draw.rectangle((0, horizon, width, height), fill=(50, 140, 60))
    for _ in range(12):
        x, y = rng.randint(0, width), rng.randint(horizon + 10, height - 40)
        draw.rectangle((x - 5, y, x + 5, y + 40), fill=(90, 60, 30))
        draw.polygon(
            [(x - 30, y + 5), (x, y - 70), (x + 30, y + 5)], fill=(20, rng.randint(90, 130), 40)
        )
    house = rng.randint(100, width - 300)
    draw.rectangle((house, horizon - 80, house + 160, horizon + 40), fill=(200, 80, 60))
    roof = [(house - 15, horizon - 80), (house + 80, horizon - 150), (house + 175, horizon - 80)]
    draw.polygon(roof, fill=(120, 40, 30))
    draw.text((30, 30), f"Plaza {seed}", fill=(20, 20, 60), font=ImageFont.load_default(size=44))
    return image


def encode(image: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()
