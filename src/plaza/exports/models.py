"""Tables of the exports domain.

An `Export` is one build of one person's archive. It is a job that outlives a restart: a
build interrupted by a crash is found in state `queued` or `running` at start-up and is built
again from the start (the zip is written under a temporary name and renamed into place only
when complete, so a half-written archive is never served).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from plaza.db import Base, UTCDateTime

EXPORT_STATES = ("queued", "running", "done", "failed")


class Export(Base):
    __tablename__ = "exports"
    __table_args__ = (
        # One unfinished export per person: asking twice at once is a 409.
        Index(
            "uq_exports_unfinished",
            "user_id",
            unique=True,
            sqlite_where=sql("state IN ('queued', 'running')"),
            postgresql_where=sql("state IN ('queued', 'running')"),
        ),
        Index("ix_exports_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # queued | running | done | failed
    state: Mapped[str] = mapped_column(String(16), default="queued")
    # Progress: steps done out of the steps the build counted when it started.
    done_steps: Mapped[int] = mapped_column(Integer, default=0)
    total_steps: Mapped[int] = mapped_column(Integer, default=0)
    # The finished zip, relative to the exports directory.
    file_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    # Builds started (a restart mid-build starts another).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
