"""Request and answer shapes of the chat API (design.md §3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from plaza.chat.service.conversations import ConversationView
from plaza.media.schemas import MediaOut
from plaza.public_accounts.schemas import CardOut
from plaza.validation import Id, Seq, Text, Username


class ConversationIn(BaseModel):
    kind: Literal["direct", "group"]
    members: list[Username] = Field(max_length=1000)
    title: Annotated[Text, Field(max_length=1000)] = ""


class ConversationUpdate(BaseModel):
    title: Annotated[Text, Field(max_length=1000)] | None = None
    roles: dict[Username, Annotated[str, Field(pattern="^(admin|member)$")]] | None = Field(
        None, max_length=1000, description="username -> admin | member"
    )


class MemberIn(BaseModel):
    username: Username


class MemberOut(BaseModel):
    username: str
    display_name: str
    role: str


class MessageOut(BaseModel):
    id: int
    conversation_id: int
    seq: int
    sender: str
    sender_display_name: str
    text: str
    client_id: str
    reply_to: int | None
    created_at: datetime
    recalled: bool
    removed: bool = Field(
        False,
        description="Removed by moderation: it keeps its place, without text, pictures or card.",
    )
    moderation: Literal["held", "removed"] | None = Field(
        None,
        description="On my own message only: held for review (nobody else sees it) or removed "
        "(others see it as removed).",
    )
    media: list[MediaOut] = Field(default_factory=list, description="its pictures, in order")
    card: CardOut | None = Field(None, description="The article it shares, if any.")


class ConversationOut(BaseModel):
    id: int
    kind: str
    title: str
    members: list[MemberOut]
    my_role: str
    last_seq: int
    rev: int
    unread: int
    last_read_seq: int = 0
    last_message: MessageOut | None
    last_activity_at: datetime

    @classmethod
    def of(cls, view: ConversationView) -> ConversationOut:
        c = view.conversation
        return cls(
            id=c.id,
            kind=c.kind,
            title=c.title,
            members=[
                MemberOut(username=m.user.username, display_name=m.user.display_name, role=m.role)
                for m in view.members
            ],
            my_role=view.my_role,
            last_seq=c.last_seq,
            rev=c.rev,
            unread=view.unread,
            last_read_seq=view.last_read_seq,
            last_message=MessageOut(**view.last_message) if view.last_message else None,
            last_activity_at=view.activity_at or c.last_activity_at,
        )


class MessageIn(BaseModel):
    client_id: Annotated[Text, Field(max_length=1000)]
    text: Annotated[Text, Field(max_length=100_000)]
    reply_to: Id | None = None
    media_ids: list[Id] = Field(
        default_factory=list,
        max_length=100,
        description="pictures from POST /api/v1/media, in order; at most "
        "PLAZA_MEDIA_MAX_PER_ITEM (9), each your own upload",
    )
    article_id: Id | None = Field(
        None, description="Share a published public account article as a card."
    )


class ReadIn(BaseModel):
    seq: Seq | None = None


class ChangeOut(BaseModel):
    """A group change as its live event was: who joined, left, was removed, or a rename."""

    type: str
    conversation_id: int
    seq: int
    rev: int
    created_at: datetime | None = None
    user: str | None = None
    by: str | None = None
    title: str | None = None
    roles: dict[str, str] | None = None
    names: dict[str, str] = Field(
        default_factory=dict, description="display names of the people named (username -> name)"
    )


class ReadOut(BaseModel):
    conversation_id: int
    last_read_seq: int
