"""Answer shapes of the exports API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from plaza.exports.models import Export
from plaza.exports.service.jobs import expires_at


class ExportOut(BaseModel):
    id: int
    state: str = Field(description="queued, running, done or failed.")
    done_steps: int = Field(description="Steps of the build done so far.")
    total_steps: int = Field(description="Steps the build counted when it started (0 before).")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    size_bytes: int | None = Field(description="The zip's size, once done.")
    expires_at: datetime | None = Field(
        description="When the zip is deleted (PLAZA_EXPORT_KEEP_DAYS after it was done)."
    )
    download_url: str | None = Field(description="Where the zip is, while it can be fetched.")
    error: str = Field(description="Why the build failed, if it did.")

    @classmethod
    def of(cls, export: Export, *, keep_days: int, now: datetime) -> ExportOut:
        until = expires_at(export, keep_days)
        available = until is not None and until > now and export.file_name is not None
        return cls(
            id=export.id,
            state=export.state,
            done_steps=export.done_steps,
            total_steps=export.total_steps,
            created_at=export.created_at,
            started_at=export.started_at,
            finished_at=export.finished_at,
            size_bytes=export.size_bytes,
            expires_at=until,
            download_url=f"/api/v1/exports/{export.id}/download" if available else None,
            error=export.error,
        )


class ExportPage(BaseModel):
    items: list[ExportOut]
    next_cursor: str | None = None
