"""API shapes of the media domain."""

from __future__ import annotations

from pydantic import BaseModel, Field

from plaza.media.service import MediaRef


class MediaOut(BaseModel):
    """An uploaded picture as clients see it: where to fetch it and its thumbnail."""

    id: int
    url: str = Field(description="The picture, re-encoded without metadata: /api/v1/media/{id}")
    thumbnail_url: str = Field(description="A small version: /api/v1/media/{id}/thumbnail")
    width: int
    height: int
    content_type: str = Field(description="image/jpeg, image/png, image/webp or image/gif")

    @classmethod
    def of(cls, ref: MediaRef) -> MediaOut:
        return cls(
            id=ref.id,
            url=ref.url,
            thumbnail_url=ref.thumbnail_url,
            width=ref.width,
            height=ref.height,
            content_type=ref.content_type,
        )
