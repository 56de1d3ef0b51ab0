"""Writing one person's archive: a zip of JSON files, their pictures and an `index.html`
that reads the same offline (inline CSS, relative links, no script).

The zip is written to `<destination>.part` and renamed onto `destination` only once it is
complete, so whoever sees the destination sees a whole archive. Progress is counted in
steps (a section, a batch of pictures, the index) and reported after each one; each step
reads in a session of its own, so no database connection is held while pictures are copied
(SQLite has one connection for everybody).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import zipfile
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import orjson
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from plaza.accounts.models import User
from plaza.errors import NotFound
from plaza.exports.service import collect
from plaza.media.storage import Storage

# Pictures copied per step: small enough that progress moves, large enough to be cheap.
PICTURE_BATCH = 20
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
Progress = Callable[[int, int], Awaitable[None]]
T = TypeVar("T")


@lru_cache(maxsize=1)
def _index_template() -> Template:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"])
    )
    # Readable JSON (Chinese stays Chinese, unlike `tojson`), escaped by autoescape.
    env.filters["pretty"] = lambda value: _json(value).decode()
    return env.get_template("export_archive.html")


async def _in_thread(func: Callable[..., T], *args: Any) -> T:
    """`func(*args)` in a worker thread, waited for to the end even when the build is cancelled
    meanwhile (the server stopping): a thread cannot be interrupted, and closing the zip while
    it is still writing fails ("an open writing handle"), which turned the cancellation into
    an ordinary error that the builder then survived, so the server never finished stopping.
    """
    work = asyncio.ensure_future(asyncio.to_thread(func, *args))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await work
        raise


async def _user(sessions: async_sessionmaker[AsyncSession], user_id: int) -> User:
    async with sessions() as session:
        user = await session.scalar(select(User).where(User.id == user_id))
    if user is None:
        raise NotFound("no such person")
    return user


async def _picture_count(sessions: async_sessionmaker[AsyncSession], user: User) -> int:
    async with sessions() as session:
        return len(await collect.pictures(session, user))


def _json(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2)


def _close_durably(archive: zipfile.ZipFile, partial: Path, destination: Path) -> int:
    """Finish the zip, put it on disk for good, then rename it into place; its size."""
    archive.close()
    with open(partial, "rb") as written:
        os.fsync(written.fileno())
        size = os.fstat(written.fileno()).st_size
    os.replace(partial, destination)
    return size


async def build(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: Storage,
    user_id: int,
    destination: Path,
    now: datetime,
    progress: Progress,
) -> int:
    """Write the archive of person `user_id` to `destination`; returns its size in bytes."""
    user = await _user(sessions, user_id)
    batches = -(-(await _picture_count(sessions, user)) // PICTURE_BATCH)
    total = len(collect.SECTIONS) + batches + 1
    done = 0
    await progress(done, total)
    partial = destination.with_name(destination.name + ".part")
    destination.parent.mkdir(parents=True, exist_ok=True)
    archive = await _in_thread(zipfile.ZipFile, partial, "w", zipfile.ZIP_DEFLATED)
    try:
        contents: dict[str, Any] = {}
        for name, section in collect.SECTIONS:
            async with sessions() as session:
                contents[name] = await section(session, user)
            await _in_thread(archive.writestr, f"{name}.json", _json(contents[name]))
            done += 1
            await progress(done, total)
        async with sessions() as session:
            pictures = await collect.pictures(session, user)
        for start in range(0, len(pictures), PICTURE_BATCH):
            for picture in pictures[start : start + PICTURE_BATCH]:
                data = await storage.get(picture["sha256"])
                picture["missing"] = data is None
                if data is not None:
                    # Pictures are compressed already: stored as they are.
                    await _in_thread(archive.writestr, picture["file"], data, zipfile.ZIP_STORED)
            done = min(done + 1, total - 1)
            await progress(done, total)
        contents["pictures"] = {"pictures": pictures}
        await _in_thread(archive.writestr, "pictures.json", _json(contents["pictures"]))
        index = _index_template().render(now=now, **contents)
        await _in_thread(archive.writestr, "index.html", index.encode())
        size = await _in_thread(_close_durably, archive, partial, destination)
    except BaseException:
        archive.close()
        partial.unlink(missing_ok=True)
        raise
    await progress(total, total)
    return size
