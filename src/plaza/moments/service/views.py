"""A page of moments as one viewer sees it: author, pictures, and only the likes and comments
the comment rule lets them see (plaza.moments.policies). Three queries per page, whatever its
length: its lists, likes and comments (plaza.moments.service.page), its pictures and the
cards of the articles it shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.service.users import users_by_id
from plaza.media.service import MediaRef, refs_for
from plaza.moments import policies
from plaza.moments.models import Moment
from plaza.moments.policies import MomentFacts, ViewerFacts
from plaza.moments.service.page import Found, find
from plaza.public_accounts.service.cards import Card, cards_of

SURFACE = "moment"


class PersonData(Protocol):
    """A person as a page shows them: an ORM `User` or a `page.Person` read from a row."""

    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def display_name(self) -> str: ...


class MomentData(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def author_id(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def visibility(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def moderation(self) -> str | None: ...


class CommentData(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def author_id(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def reply_to_id(self) -> int | None: ...
    @property
    def reply_to_user_id(self) -> int | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def moderation(self) -> str | None: ...


@dataclass(frozen=True)
class Audience:
    """Who a moment is shared with, as its author sees it."""

    mode: str
    usernames: list[str]
    labels: list[int]


@dataclass(frozen=True)
class CommentView:
    comment: CommentData
    author: PersonData
    reply_to: PersonData | None
    can_delete: bool


@dataclass(frozen=True)
class MomentView:
    moment: MomentData
    author: PersonData
    media: list[MediaRef]
    audience: Audience | None  # the author's view only
    likes: list[PersonData]
    comments: list[CommentView]
    liked_by_me: bool
    can_delete: bool
    card: Card | None = None  # a shared public account article


def comment_view(
    viewer_id: int, comment: CommentData, author_id: int, people: Mapping[int, PersonData]
) -> CommentView:
    reply_to = people.get(comment.reply_to_user_id) if comment.reply_to_user_id else None
    return _comment_view(viewer_id, comment, people[comment.author_id], reply_to, author_id)


def _comment_view(
    viewer_id: int,
    comment: CommentData,
    commenter: PersonData,
    reply_to: PersonData | None,
    moment_author_id: int,
) -> CommentView:
    return CommentView(
        comment=comment,
        author=commenter,
        reply_to=reply_to,
        can_delete=policies.can_delete_comment(
            user_id=viewer_id, commenter_id=comment.author_id, moment_author_id=moment_author_id
        ),
    )


async def render_page(
    session: AsyncSession,
    viewer: ViewerFacts,
    moments: Sequence[tuple[MomentData, PersonData]],
    found: Found,
) -> list[MomentView]:
    """The views of `moments` (each with its author), which the caller has checked the
    viewer may see; `found` holds their lists, likes and comments."""
    if not moments:
        return []
    ids = [m.id for m, _ in moments]
    media = await refs_for(session, surface=SURFACE, ref_ids=ids)
    cards = await cards_of(session, surface=SURFACE, ref_ids=ids)
    views = []
    for moment, author in moments:
        own = moment.author_id == viewer.user_id
        likes: list[PersonData] = [
            person
            for _, person in found.likes.get(moment.id, ())
            if policies.can_see_interaction(viewer, actor_id=person.id)
        ]
        comments = [
            _comment_view(viewer.user_id, comment, commenter, reply_to, moment.author_id)
            for comment, commenter, reply_to in found.comments.get(moment.id, ())
            if policies.can_see_interaction(
                viewer,
                actor_id=comment.author_id,
                reply_to_user_id=comment.reply_to_user_id,
                moderation=comment.moderation,
            )
        ]
        views.append(
            MomentView(
                moment=moment,
                author=author,
                media=media.get(moment.id, []),
                audience=_audience(
                    found.facts(moment.id, moment.author_id, moment.visibility, moment.moderation),
                    found,
                )
                if own
                else None,
                likes=likes,
                comments=comments,
                liked_by_me=any(person.id == viewer.user_id for person in likes),
                can_delete=own,
                card=cards.get(moment.id),
            )
        )
    return views


async def render(
    session: AsyncSession, viewer: ViewerFacts, moments: Sequence[Moment]
) -> list[MomentView]:
    """The views of a few ORM moments (a new post, one moment), which the caller has checked
    the viewer may see."""
    if not moments:
        return []
    found = await find(session, [m.id for m in moments])
    authors = await users_by_id(session, {m.author_id for m in moments})
    return await render_page(session, viewer, [(m, authors[m.author_id]) for m in moments], found)


def _audience(facts: MomentFacts, found: Found) -> Audience:
    names = sorted(found.people[u].username for u in facts.users if u in found.people)
    return Audience(mode=facts.mode, usernames=names, labels=sorted(facts.labels))
