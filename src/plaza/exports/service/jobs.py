"""The export jobs: start one, list mine, see one, fetch its zip; and, for the runner,
claim and build one, take up those a crash left unfinished, and delete expired zips.

Asking for an export is open to every person who can sign in, suspended and closed ones
too (design.md §6): unlike the surfaces' writes, nothing here calls `require_active`. One
unfinished export per person is the partial unique index of `exports`: two requests at
once both insert, the database lets one through and the other is a 409.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from plaza.clock import Clock
from plaza.errors import Conflict, Gone, NotFound, RateLimited
from plaza.exports.models import Export
from plaza.exports.service import archive
from plaza.media.storage import Storage
from plaza.pagination import newest_first
from plaza.ratelimit import Rate, RateLimiter, enforce

log = logging.getLogger(__name__)
UNFINISHED = ("queued", "running")
DIRECTORY = "exports"


def directory(data_dir: Path) -> Path:
    """Where finished zips live: `<data_dir>/exports/`."""
    return data_dir / DIRECTORY


def expires_at(export: Export, keep_days: int) -> datetime | None:
    """When a finished export's zip is deleted (None while it is not finished)."""
    if export.state != "done" or export.finished_at is None:
        return None
    return export.finished_at + timedelta(days=keep_days)


def _running_conflict() -> Conflict:
    return Conflict(
        "an export of yours is already being built; wait for it to finish",
        code="export_running",
    )


async def start(
    session: AsyncSession,
    *,
    clock: Clock,
    limiter: RateLimiter,
    rate: Rate,
    user_id: int,
) -> Export:
    """Queue an export of the person's data: 409 `export_running` while one is unfinished,
    429 past PLAZA_EXPORTS_PER_DAY (a refused request does not count against it)."""
    unfinished = await session.scalar(
        select(Export.id).where(Export.user_id == user_id, Export.state.in_(UNFINISHED))
    )
    if unfinished is not None:
        raise _running_conflict()
    export = Export(user_id=user_id, state="queued", created_at=clock.now())
    session.add(export)
    try:
        # Asked twice at once, both got here: the unique index lets one row through.
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise _running_conflict() from None
    try:
        # Counted only once the export is sure to start, so a 409 costs nothing.
        await enforce(limiter, f"exports:user:{user_id}", rate, "exports")
    except RateLimited:
        await session.rollback()
        raise
    await session.commit()
    return export


async def page(
    session: AsyncSession, *, user_id: int, cursor: str | None, limit: int
) -> tuple[list[Export], str | None]:
    """The person's exports, newest first."""
    statement = select(Export).where(Export.user_id == user_id)
    return await newest_first(session, statement, Export.id, cursor=cursor, limit=limit)


async def get(session: AsyncSession, *, user_id: int, export_id: int) -> Export:
    """One of the person's exports; anyone else's is a 404, as one that does not exist."""
    export = await session.scalar(
        select(Export).where(Export.id == export_id, Export.user_id == user_id)
    )
    if export is None:
        raise NotFound("no such export")
    return export


async def zip_path(
    session: AsyncSession,
    *,
    clock: Clock,
    data_dir: Path,
    keep_days: int,
    user_id: int,
    export_id: int,
) -> Path:
    """The finished zip of one of the person's exports: 409 `export_not_ready` while it is
    being built (or `export_failed`), 410 `export_expired` once it has been kept
    PLAZA_EXPORT_KEEP_DAYS (or its file is gone)."""
    export = await get(session, user_id=user_id, export_id=export_id)
    if export.state == "failed":
        raise Conflict("this export failed; start another", code="export_failed")
    if export.state != "done":
        raise Conflict(
            f"this export is not ready yet ({export.done_steps} of {export.total_steps} steps)",
            code="export_not_ready",
        )
    until = expires_at(export, keep_days)
    path = directory(data_dir) / export.file_name if export.file_name else None
    if (until is not None and until <= clock.now()) or path is None or not path.is_file():
        raise Gone(
            "this export has expired and its zip was deleted; start another",
            code="export_expired",
        )
    return path


@dataclass
class Builder:
    """What building an export needs: the database, the pictures' storage, where zips go."""

    sessions: async_sessionmaker[AsyncSession]
    storage: Storage
    clock: Clock
    data_dir: Path

    async def unfinished(self) -> list[tuple[int, int]]:
        """(id, attempts) of every export left queued or running, oldest first: what a
        process starting up builds again from scratch."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(Export.id, Export.attempts)
                .where(Export.state.in_(UNFINISHED))
                .order_by(Export.id)
            )
            return [(export_id, attempts) for export_id, attempts in rows]

    async def _claim(self, export_id: int, attempts: int) -> int | None:
        """Mark the export running as attempt `attempts + 1`; None if another process
        claimed it meanwhile or it is finished (the attempts count is the claim's token)."""
        async with self.sessions() as session:
            claimed = await session.execute(
                update(Export)
                .where(
                    Export.id == export_id,
                    Export.attempts == attempts,
                    Export.state.in_(UNFINISHED),
                )
                .values(
                    state="running",
                    attempts=attempts + 1,
                    done_steps=0,
                    total_steps=0,
                    started_at=self.clock.now(),
                    error="",
                )
                .returning(Export.user_id)
            )
            user_id = claimed.scalar()
            await session.commit()
            return user_id

    async def _set(self, export_id: int, attempt: int, **values: object) -> None:
        """Record the progress or the end of attempt `attempt`; a no-op once another
        attempt has taken the export over (so a superseded build changes nothing)."""
        async with self.sessions() as session:
            await session.execute(
                update(Export)
                .where(Export.id == export_id, Export.attempts == attempt)
                .values(**values)
            )
            await session.commit()

    async def run(self, export_id: int, attempts: int) -> None:
        """Build one export from scratch, recording its progress; a failure is recorded as
        state `failed` with its reason (the person may start another)."""
        user_id = await self._claim(export_id, attempts)
        if user_id is None:
            return
        attempt = attempts + 1
        name = f"export-{export_id}-{attempt}.zip"
        # What earlier attempts that crashed left half-written.
        for number in range(1, attempt):
            partial = directory(self.data_dir) / f"export-{export_id}-{number}.zip.part"
            partial.unlink(missing_ok=True)

        async def progress(done: int, total: int) -> None:
            await self._set(export_id, attempt, done_steps=done, total_steps=total)

        try:
            size = await archive.build(
                sessions=self.sessions,
                storage=self.storage,
                user_id=user_id,
                destination=directory(self.data_dir) / name,
                now=self.clock.now(),
                progress=progress,
            )
        except Exception as exc:
            log.exception("export %d failed", export_id)
            await self._set(
                export_id,
                attempt,
                state="failed",
                error=str(exc)[:500],
                finished_at=self.clock.now(),
            )
            return
        await self._set(
            export_id,
            attempt,
            state="done",
            file_name=name,
            size_bytes=size,
            finished_at=self.clock.now(),
        )

    async def sweep(self, keep_days: int) -> int:
        """Delete the zips kept past PLAZA_EXPORT_KEEP_DAYS; the exports stay `done` (their
        download answers 410). Returns how many zips were deleted."""
        cutoff = self.clock.now() - timedelta(days=keep_days)
        async with self.sessions() as session:
            expired = list(
                await session.execute(
                    select(Export.id, Export.file_name).where(
                        Export.state == "done",
                        Export.file_name.is_not(None),
                        Export.finished_at <= cutoff,
                    )
                )
            )
            for _, file_name in expired:
                if file_name:
                    (directory(self.data_dir) / file_name).unlink(missing_ok=True)
            if expired:
                await session.execute(
                    update(Export)
                    .where(Export.id.in_([export_id for export_id, _ in expired]))
                    .values(file_name=None)
                )
                await session.commit()
        return len(expired)
