"""Request and answer shapes of the moments API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

from pydantic import BaseModel, Field

from plaza.accounts.schemas import ModerationMark, PersonOut
from plaza.media.schemas import MediaOut
from plaza.moments.service.interactions import Likes
from plaza.moments.service.views import CommentView, MomentView
from plaza.public_accounts.schemas import CardOut
from plaza.validation import Id, Text, Username

# Edge bounds only; the real limits are settings checked by the service (PLAZA_MOMENTS_*,
# PLAZA_MEDIA_MAX_PER_ITEM), so a request over them gets a message naming the limit.
TEXT_EDGE_MAX = 20_000
LIST_EDGE_MAX = 5000
MEDIA_EDGE_MAX = 100

Mode = Literal["friends", "only", "except", "private"]


class VisibilityIn(BaseModel):
    """Who sees the moment: all friends (`friends`, the default), `only` the friends and
    labels listed, all friends `except` those, or nobody but me (`private`). Labels are read
    when the moment is shown: changing a label's members changes who sees it at once."""

    mode: Mode = "friends"
    usernames: Annotated[list[Username], Field(max_length=LIST_EDGE_MAX)] = []
    labels: Annotated[list[Id], Field(max_length=LIST_EDGE_MAX)] = []


class MomentIn(BaseModel):
    text: Annotated[Text, Field(max_length=TEXT_EDGE_MAX)] = ""
    media_ids: Annotated[list[Id], Field(max_length=MEDIA_EDGE_MAX)] = []
    visibility: VisibilityIn = VisibilityIn()
    article_id: Id | None = Field(
        None, description="Share a published public account article as a card."
    )


class VisibilityOut(BaseModel):
    mode: Mode
    usernames: list[str]
    labels: list[int]


class ReplyToOut(BaseModel):
    """The comment answered (`id` is null once that comment was deleted) and its writer."""

    id: int | None
    username: str
    display_name: str


class CommentIn(BaseModel):
    text: Annotated[Text, Field(min_length=1, max_length=TEXT_EDGE_MAX)]
    reply_to: Id | None = None


class CommentOut(BaseModel):
    id: int
    author: PersonOut
    text: str
    reply_to: ReplyToOut | None
    created_at: datetime
    can_delete: bool
    moderation: ModerationMark = Field(
        None,
        description="On my own comment only: held for review or removed by moderation "
        "(nobody else sees it).",
    )

    @classmethod
    def of(cls, view: CommentView) -> CommentOut:
        c = view.comment
        reply_to = None
        if view.reply_to is not None:
            reply_to = ReplyToOut(
                id=c.reply_to_id,
                username=view.reply_to.username,
                display_name=view.reply_to.display_name,
            )
        return cls(
            id=c.id,
            author=PersonOut.model_validate(view.author),
            text=c.text,
            reply_to=reply_to,
            created_at=c.created_at,
            can_delete=view.can_delete,
            moderation=cast(ModerationMark, c.moderation),
        )


class MomentOut(BaseModel):
    id: int
    author: PersonOut
    text: str
    created_at: datetime
    media: list[MediaOut]
    visibility: VisibilityOut | None = Field(
        description="Who sees it: only in the author's own view, null for everyone else."
    )
    likes: list[PersonOut] = Field(description="Likes of the viewer's friends and their own.")
    comments: list[CommentOut] = Field(
        description="Comments of the viewer's friends and their own, and replies between them."
    )
    liked_by_me: bool
    can_delete: bool
    card: CardOut | None = Field(None, description="The article it shares, if any.")
    moderation: ModerationMark = Field(
        None,
        description="On my own moment only: held for review or removed by moderation "
        "(nobody else sees it).",
    )

    @classmethod
    def of(cls, view: MomentView) -> MomentOut:
        audience = view.audience
        return cls(
            id=view.moment.id,
            author=PersonOut.model_validate(view.author),
            text=view.moment.text,
            created_at=view.moment.created_at,
            media=[MediaOut.of(ref) for ref in view.media],
            visibility=(
                VisibilityOut(
                    mode=cast(Mode, audience.mode),
                    usernames=audience.usernames,
                    labels=audience.labels,
                )
                if audience is not None
                else None
            ),
            likes=[PersonOut.model_validate(u) for u in view.likes],
            comments=[CommentOut.of(c) for c in view.comments],
            liked_by_me=view.liked_by_me,
            can_delete=view.can_delete,
            card=CardOut.of(view.card) if view.card else None,
            moderation=cast(ModerationMark, view.moment.moderation),
        )


class LikesOut(BaseModel):
    liked: bool
    likes: list[PersonOut]

    @classmethod
    def of(cls, likes: Likes) -> LikesOut:
        return cls(liked=likes.liked, likes=[PersonOut.model_validate(u) for u in likes.likes])


class UnseenOut(BaseModel):
    count: int = Field(
        description="New moments from friends since I last marked them seen (at most 99: show 99+)."
    )
