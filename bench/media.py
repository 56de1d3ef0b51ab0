"""Media benchmark: pictures per second through Plaza's upload processing against Pillow's bare
decode and resize of the same pictures.

Plaza's work per upload (plaza.media.images.process, what POST /api/v1/media runs on its pool):
open with the allowed decoders, check the pixel count, verify, decode fully, apply the EXIF
orientation, convert to sRGB, re-encode without metadata, make and encode a thumbnail. The
peer is the least anyone must do to make a thumbnail: Pillow's decode and resize, nothing
stored. Both run on the same pictures, made here with Pillow like phone photos (4032x3024
JPEG, orientation 6, GPS EXIF, smooth content so they compress like photos do), one picture
at a time on one thread, then Plaza's processing again on a pool as large as the server's.

Run from the repository root:  .venv/bin/python bench/media.py [--pictures N] [--rounds R]
Writes bench/results/media.json and prints a table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter
from rich.console import Console
from rich.table import Table

from common import BENCH_DIR, dist_version, machine_info
from plaza.config import Settings
from plaza.media.images import process

console = Console(width=None if sys.stdout.isatty() else 150)
SIZE = (4032, 3024)


def phone_photo(seed: int) -> bytes:
    """A 12-megapixel JPEG as a phone sends it: smooth gradients with some grain, sideways
    with orientation 6, GPS in its EXIF."""
    small = Image.radial_gradient("L").resize((252, 189))
    noise = Image.effect_noise((252, 189), 40 + seed)
    blurred = Image.merge("RGB", (small, noise, small.rotate(90 * seed))).filter(
        ImageFilter.GaussianBlur(2)
    )
    image = blurred.resize(SIZE, Image.Resampling.BICUBIC)
    grain = Image.effect_noise(SIZE, 6).convert("RGB")
    image = Image.blend(image, grain, 0.08)
    exif = Image.Exif()
    exif[0x0112] = 6
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def bare(data: bytes, thumbnail_px: int) -> None:
    """Pillow's decode and resize, nothing else: the floor for making a thumbnail."""
    image = Image.open(io.BytesIO(data))
    image.load()
    image.thumbnail((thumbnail_px, thumbnail_px))


def per_second(work: Callable[[bytes], object], photos: list[bytes], rounds: int) -> float:
    """Best of `rounds` passes over the pictures, one at a time: pictures per second."""
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        for data in photos:
            work(data)
        rates.append(len(photos) / (time.perf_counter() - started))
    return max(rates)


def pooled(photos: list[bytes], settings: Settings, workers: int, rounds: int) -> float:
    def one(data: bytes) -> object:
        return process(
            data, max_pixels=settings.media_max_pixels, thumbnail_px=settings.media_thumbnail_px
        )

    rates = []
    with ThreadPoolExecutor(workers) as pool:
        for _ in range(rounds):
            started = time.perf_counter()
            list(pool.map(one, photos))
            rates.append(len(photos) / (time.perf_counter() - started))
    return max(rates)


def measure(pictures: int, rounds: int) -> dict[str, Any]:
    settings = Settings()
    photos = [phone_photo(n) for n in range(pictures)]
    px = settings.media_thumbnail_px

    def plaza(data: bytes) -> object:
        return process(data, max_pixels=settings.media_max_pixels, thumbnail_px=px)

    plaza_rate = per_second(plaza, photos, rounds)
    bare_rate = per_second(lambda data: bare(data, px), photos, rounds)
    workers = min(4, os.cpu_count() or 1)  # the pool plaza.media.setup makes
    pool_rate = pooled(photos, settings, workers, rounds)
    sample = plaza(photos[0])
    return {
        "picture": {
            "size": list(SIZE),
            "bytes_mean": round(statistics.mean(len(p) for p in photos)),
            "stored_bytes": len(sample.picture.data),  # type: ignore[attr-defined]
            "thumbnail_bytes": len(sample.thumbnail.data),  # type: ignore[attr-defined]
        },
        "plaza_per_second": round(plaza_rate, 2),
        "bare_pillow_per_second": round(bare_rate, 2),
        "plaza_over_bare_time": round(bare_rate / plaza_rate, 2),
        "plaza_pool": {"workers": workers, "per_second": round(pool_rate, 2)},
    }


def render(report: dict[str, Any]) -> None:
    result = report["result"]
    kib = result["picture"]["bytes_mean"] // 1024
    table = Table(title=f"Phone photos {SIZE[0]}x{SIZE[1]} JPEG (~{kib} KiB)")
    for column in ("work per picture", "pictures/s", "ms each"):
        table.add_column(column, justify="right")
    rows = [
        ("Pillow bare decode + resize (1 thread)", result["bare_pillow_per_second"]),
        ("Plaza upload processing (1 thread)", result["plaza_per_second"]),
        (
            f"Plaza upload processing (pool of {result['plaza_pool']['workers']})",
            result["plaza_pool"]["per_second"],
        ),
    ]
    for name, rate in rows:
        table.add_row(name, f"{rate:.2f}", f"{1000 / rate:.1f}")
    console.print(table)
    console.print(
        f"Plaza's processing takes {result['plaza_over_bare_time']}x the time of a bare "
        "decode + resize (it also orients, converts, strips and encodes two pictures)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pictures", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results" / "media.json")
    args = parser.parse_args(argv)
    report = {
        "benchmark": "media",
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "versions": {
            "python": sys.version.split()[0],
            "plaza": dist_version("plaza"),
            "pillow": dist_version("pillow"),
            "pillow-heif": dist_version("pillow-heif"),
        },
        "parameters": {"pictures": args.pictures, "rounds": args.rounds},
        "result": measure(args.pictures, args.rounds),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    render(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
