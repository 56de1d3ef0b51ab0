"""Request and answer shapes of the public accounts API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, cast

from pydantic import BaseModel, Field

from plaza.accounts.schemas import ModerationMark, PersonOut
from plaza.media.schemas import MediaOut
from plaza.pagination import Page
from plaza.public_accounts.handles import HANDLE_PATTERN
from plaza.public_accounts.models import ArticleRevision, PublicAccount
from plaza.public_accounts.service.cards import Card
from plaza.public_accounts.service.subscriptions import Stats
from plaza.public_accounts.service.tombstones import Moved
from plaza.public_accounts.service.views import AccountView, ArticleView
from plaza.validation import Id, Text, Username

# Edge bounds only; the real limits are settings checked by the service
# (PLAZA_ARTICLE_*_MAX_CHARS, ...), so a request over them gets a message naming the limit.
TITLE_EDGE_MAX = 1000
# Under PLAZA_MAX_BODY_BYTES even written as JSON escapes (6 bytes a character), so an over-long
# body is a 413 naming the setting rather than the body limit's.
BODY_EDGE_MAX = 150_000
NAME_EDGE_MAX = 256
DESCRIPTION_EDGE_MAX = 10_000
QUERY_EDGE_MAX = 100
MOVED_EDGE_MAX = 1000  # the service says the real limit (200 characters) in its message

Handle = Annotated[
    str,
    Field(
        pattern=HANDLE_PATTERN,
        description="3 to 30 characters of a-z, 0-9 and _, unique regardless of case and of "
        "look-alike characters",
    ),
]


class PublicAccountIn(BaseModel):
    handle: Handle
    name: Annotated[Text, Field(min_length=1, max_length=NAME_EDGE_MAX)]
    description: Annotated[Text, Field(max_length=DESCRIPTION_EDGE_MAX)] = ""
    avatar_media_id: Id | None = Field(None, description="An upload of mine (`POST /media`).")


class PublicAccountPatch(BaseModel):
    name: Annotated[Text, Field(min_length=1, max_length=NAME_EDGE_MAX)] | None = None
    description: Annotated[Text, Field(max_length=DESCRIPTION_EDGE_MAX)] | None = None
    avatar_media_id: Id | None = None
    clear_avatar: bool = False


class PublicAccountOut(BaseModel):
    id: int = Field(
        description="Names the account's live topic in the stream's `ready` and "
        "`resume` frames (`public_accounts`)."
    )
    handle: str
    name: str
    description: str
    avatar: MediaOut | None
    verified: bool
    subscriber_count: int
    url: str = Field(description="The account's public page: /a/{handle}")
    created_at: datetime
    subscribed: bool | None = Field(None, description="Whether I follow it; null signed out.")
    role: Literal["owner", "editor"] | None = Field(None, description="My role in it, if any.")
    moderation: Literal["held", "closed"] | None = Field(
        None,
        description="For its owner and editors only (nobody else sees such an account): held "
        "for review, or closed by a moderator (it can no longer publish or change).",
    )

    @classmethod
    def of(cls, view: AccountView) -> PublicAccountOut:
        a = view.account
        return cls(
            id=a.id,
            handle=a.handle,
            name=a.name,
            description=a.description,
            avatar=MediaOut.of(view.avatar) if view.avatar else None,
            verified=a.verified,
            subscriber_count=a.subscriber_count,
            url=f"/a/{a.handle}",
            created_at=a.created_at,
            subscribed=view.subscribed,
            role=view.role,
            moderation=cast(Literal["held", "closed"] | None, a.moderation),
        )


class AccountBrief(BaseModel):
    handle: str
    name: str
    avatar: MediaOut | None
    verified: bool


class EditorIn(BaseModel):
    username: Username


class VerifiedIn(BaseModel):
    verified: bool


class ArticleIn(BaseModel):
    title: Annotated[Text, Field(min_length=1, max_length=TITLE_EDGE_MAX)]
    body: Annotated[Text, Field(max_length=BODY_EDGE_MAX)] = Field(
        "", description="Markdown; pictures as `![alt](/api/v1/media/<id>)` (uploads of mine)."
    )
    cover_media_id: Id | None = None


class ArticlePatch(BaseModel):
    title: Annotated[Text, Field(min_length=1, max_length=TITLE_EDGE_MAX)] | None = None
    body: Annotated[Text, Field(max_length=BODY_EDGE_MAX)] | None = None
    cover_media_id: Id | None = None
    clear_cover: bool = False


class PreviewIn(BaseModel):
    body: Annotated[Text, Field(max_length=BODY_EDGE_MAX)]


class PreviewOut(BaseModel):
    html: str


class ArticleSummaryOut(BaseModel):
    """An article in a list: the feed, an account's articles."""

    id: int
    account: AccountBrief
    status: Literal["draft", "published", "removed"]
    title: str
    excerpt: str
    cover: MediaOut | None
    url: str = Field(description="Its public page: /a/{handle}/{id}")
    published_at: datetime | None
    updated_at: datetime
    read_count: int
    like_count: int
    liked: bool
    moderation: ModerationMark = Field(
        None,
        description="For the account's owner and editors only (nobody else sees such an "
        "article): held for review or removed by a moderator.",
    )

    @classmethod
    def fields_of(cls, view: ArticleView) -> dict[str, object]:
        a = view.article
        acc = view.account
        return {
            "id": a.id,
            "account": AccountBrief(
                handle=acc.account.handle,
                name=acc.account.name,
                avatar=MediaOut.of(acc.avatar) if acc.avatar else None,
                verified=acc.account.verified,
            ),
            "status": a.status,
            "title": a.title,
            "excerpt": view.excerpt,
            "cover": MediaOut.of(view.cover) if view.cover else None,
            "url": view.url,
            "published_at": a.published_at,
            "updated_at": a.updated_at,
            "read_count": a.read_count,
            "like_count": a.like_count,
            "liked": view.liked,
            "moderation": a.moderation,
        }

    @classmethod
    def of(cls, view: ArticleView) -> ArticleSummaryOut:
        return cls.model_validate(cls.fields_of(view))


class ArticleOut(ArticleSummaryOut):
    html: str = Field(description="The body rendered and sanitized: safe to insert as HTML.")
    body: str | None = Field(None, description="The Markdown source: for the owner and editors.")
    revision: int = Field(description="How many published revisions there are (0: a draft).")

    @classmethod
    def of(cls, view: ArticleView) -> ArticleOut:
        editor = view.role in ("owner", "editor")
        return cls.model_validate(
            {
                **cls.fields_of(view),
                "html": view.article.html,
                "body": view.article.body if editor else None,
                "revision": view.article.revision,
            }
        )


class RevisionOut(BaseModel):
    number: int
    title: str
    body: str
    html: str
    cover_media_id: int | None
    editor: PersonOut
    created_at: datetime

    @classmethod
    def of(cls, revision: ArticleRevision, editor: PersonOut) -> RevisionOut:
        return cls(
            number=revision.number,
            title=revision.title,
            body=revision.body,
            html=revision.html,
            cover_media_id=revision.cover_media_id,
            editor=editor,
            created_at=revision.created_at,
        )


class DayOut(BaseModel):
    day: date
    subscribed: int
    unsubscribed: int
    total: int = Field(description="Subscribers at the end of the day (from the first day kept).")


class ArticleReadsOut(BaseModel):
    id: int
    title: str
    published_at: datetime | None
    read_count: int
    like_count: int
    moderation: ModerationMark = Field(
        None, description="Held for review or removed by a moderator: readers do not see it."
    )


class StatsOut(BaseModel):
    subscriber_count: int
    days: list[DayOut]
    articles: list[ArticleReadsOut]

    @classmethod
    def of(cls, stats: Stats) -> StatsOut:
        return cls(
            subscriber_count=stats.subscriber_count,
            days=[DayOut(**d.__dict__) for d in stats.days],
            articles=[ArticleReadsOut(**a.__dict__) for a in stats.articles],
        )


class CardAccountOut(BaseModel):
    handle: str
    name: str


class CardOut(BaseModel):
    """An article shared into a moment or a message. It follows the article: once the article
    is removed, `state` is "removed" and nothing else of it is shown."""

    article_id: int
    state: Literal["published", "removed"]
    title: str | None
    cover: MediaOut | None
    account: CardAccountOut | None
    url: str | None = Field(description="The article's page: /a/{handle}/{id}")

    @classmethod
    def of(cls, card: Card) -> CardOut:
        return cls.model_validate(card.as_dict())


# -- a publisher's exit (issue #13) ---------------------------------------------------------


class MovedIn(BaseModel):
    to: Annotated[
        Text,
        Field(
            min_length=1,
            max_length=MOVED_EDGE_MAX,
            description="An https:// URL, or another live public account as @handle; nothing else.",
            examples=["https://example.org/herald", "@other_account"],
        ),
    ]


class AccountExitOut(BaseModel):
    handle: str
    status: Literal["active", "closed"] = Field(
        description="closed: its owner closed it (for good)."
    )
    closed_at: datetime | None
    moderation: Literal["held", "closed"] | None
    moved_to: str | None = Field(description="The moved notice: an https URL or @handle.")
    moved_at: datetime | None
    moved_changes_left: int = Field(description="Times the moved notice may still be changed.")

    @classmethod
    def of(cls, a: PublicAccount, changes_left: int) -> AccountExitOut:
        return cls(
            handle=a.handle,
            status=cast(Literal["active", "closed"], a.status),
            closed_at=a.closed_at,
            moderation=cast(Literal["held", "closed"] | None, a.moderation),
            moved_to=a.moved_to,
            moved_at=a.moved_at,
            moved_changes_left=changes_left,
        )


class MovedOut(BaseModel):
    """A closed account I follow has moved: "<name> (@handle) has moved to <to>"."""

    handle: str
    name: str
    to: str = Field(description="An https URL, or @handle of another public account.")
    url: str = Field(description="Where `to` leads: the URL, or /a/{handle}.")
    at: datetime
    text: str

    @classmethod
    def of(cls, moved: Moved) -> MovedOut:
        return cls(
            handle=moved.handle,
            name=moved.name,
            to=moved.to,
            url=moved.href,
            at=moved.at,
            text=moved.sentence(),
        )


class FeedOut(Page[ArticleSummaryOut]):
    moved: list[MovedOut] = Field(
        default_factory=list,
        description="Moved notices of closed accounts I follow, newest first (on every page).",
    )
