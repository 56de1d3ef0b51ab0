"""Tables of the media domain.

`media` holds one row per upload; its bytes live in storage under their SHA-256 (the blob key),
so two uploads of the same picture share one blob. `media_uses` records which surface item
(a message, a moment, ...) shows which upload, in order: access to a picture follows from the
items that use it (plaza.media.access).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from plaza.db import Base, UTCDateTime


class Media(Base):
    __tablename__ = "media"
    # Blob lookups: is a blob still used by another row before it is deleted?
    __table_args__ = (
        Index("ix_media_sha256", "sha256"),
        Index("ix_media_thumb_sha256", "thumb_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    thumb_sha256: Mapped[str] = mapped_column(String(64))
    thumb_width: Mapped[int]
    thumb_height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MediaUse(Base):
    """One picture shown by one item of a surface, at a position (0-based)."""

    __tablename__ = "media_uses"
    __table_args__ = (Index("ix_media_uses_media_id", "media_id"),)

    surface: Mapped[str] = mapped_column(String(16), primary_key=True)
    ref_id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"))
