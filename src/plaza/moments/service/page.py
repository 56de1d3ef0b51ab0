"""What a page of moments needs besides the moments themselves, read in one round trip:
the people and labels named in their lists, their likes and their comments (with the names of
who liked, who commented and whom they answered). The rule (plaza.moments.policies) decides
afterwards which of them the viewer sees; this only reads.

Rows are Core rows turned into small frozen records (`Person`, `MomentRow`, `CommentRow`):
a page is read-only, and the ORM's identity map and instrumentation were most of its cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import CompoundSelect, Integer, String, Text, cast, literal_column, null, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from plaza.accounts.models import User
from plaza.db import UTCDateTime
from plaza.moments.models import MomentAudienceLabel, MomentAudienceUser, MomentComment, MomentLike
from plaza.moments.policies import MomentFacts
from plaza.moments.service.queries import AnySelect, among


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    username: str
    display_name: str


@dataclass(frozen=True, slots=True)
class MomentRow:
    id: int
    author_id: int
    text: str
    visibility: str
    created_at: datetime
    moderation: str | None


@dataclass(frozen=True, slots=True)
class CommentRow:
    id: int
    moment_id: int
    author_id: int
    text: str
    reply_to_id: int | None
    reply_to_user_id: int | None
    created_at: datetime
    moderation: str | None


@dataclass
class Found:
    """The lists, likes and comments of some moments, by moment id; likes in the order they
    were given, comments in the order they were written."""

    users: dict[int, set[int]] = field(default_factory=dict)
    labels: dict[int, set[int]] = field(default_factory=dict)
    likes: dict[int, list[tuple[datetime, Person]]] = field(default_factory=dict)
    comments: dict[int, list[tuple[CommentRow, Person, Person | None]]] = field(
        default_factory=dict
    )
    people: dict[int, Person] = field(default_factory=dict)

    def facts(
        self, moment_id: int, author_id: int, mode: str, moderation: str | None
    ) -> MomentFacts:
        """What the rule needs to know about one of the moments."""
        return MomentFacts(
            author_id=author_id,
            mode=mode,
            users=frozenset(self.users.get(moment_id, ())),
            labels=frozenset(self.labels.get(moment_id, ())),
            moderation=moderation,
        )


def moment_row(row: Row[Any]) -> tuple[MomentRow, Person]:
    """A row of plaza.moments.service.queries' statements: the moment and its author."""
    moment = MomentRow(
        row.id, row.author_id, row.text, row.visibility, row.created_at, row.moderation
    )
    return moment, Person(row.author_id, row.username, row.display_name)


@cache
def _statement(dialect: str) -> CompoundSelect[*tuple[Any, ...]]:
    """One UNION ALL of four kinds of rows, each with the same columns (NULL where a kind has
    nothing): c(omment), k (like), u(ser named in a list), l(abel named in a list). The
    comments come first: their columns give the result types."""
    replied = aliased(User)
    no_int = cast(null(), Integer)
    no_name = cast(null(), String)
    no_text = cast(null(), Text)
    comments: AnySelect = (
        select(
            literal_column("'c'").label("kind"),
            MomentComment.moment_id,
            MomentComment.id.label("ref"),
            MomentComment.author_id.label("actor"),
            MomentComment.reply_to_id,
            MomentComment.reply_to_user_id,
            MomentComment.text,
            MomentComment.created_at,
            User.username,
            User.display_name,
            replied.username.label("reply_username"),
            replied.display_name.label("reply_display_name"),
            MomentComment.moderation,
        )
        .join(User, User.id == MomentComment.author_id)
        .outerjoin(replied, replied.id == MomentComment.reply_to_user_id)
        .where(among(MomentComment.moment_id, "ids", dialect))
    )
    likes: AnySelect = (
        select(
            literal_column("'k'"),
            MomentLike.moment_id,
            MomentLike.user_id,
            MomentLike.user_id,
            no_int,
            no_int,
            no_text,
            MomentLike.created_at,
            User.username,
            User.display_name,
            no_name,
            no_name,
            no_name,
        )
        .join(User, User.id == MomentLike.user_id)
        .where(among(MomentLike.moment_id, "ids", dialect))
    )
    named: AnySelect = (
        select(
            literal_column("'u'"),
            MomentAudienceUser.moment_id,
            MomentAudienceUser.user_id,
            MomentAudienceUser.user_id,
            no_int,
            no_int,
            no_text,
            cast(null(), UTCDateTime()),
            User.username,
            User.display_name,
            no_name,
            no_name,
            no_name,
        )
        .join(User, User.id == MomentAudienceUser.user_id)
        .where(among(MomentAudienceUser.moment_id, "ids", dialect))
    )
    labels: AnySelect = select(
        literal_column("'l'"),
        MomentAudienceLabel.moment_id,
        MomentAudienceLabel.label_id,
        no_int,
        no_int,
        no_int,
        no_text,
        cast(null(), UTCDateTime()),
        no_name,
        no_name,
        no_name,
        no_name,
        no_name,
    ).where(among(MomentAudienceLabel.moment_id, "ids", dialect))
    return comments.union_all(likes, named, labels)


async def find(session: AsyncSession, moment_ids: Sequence[int]) -> Found:
    """The lists, likes and comments of these moments, in one query."""
    found = Found()
    if not moment_ids:
        return found
    dialect = session.get_bind().dialect.name
    rows = await session.execute(_statement(dialect), {"ids": list(moment_ids)})
    for row in rows.all():
        kind, moment_id = row.kind, row.moment_id
        if kind == "l":
            found.labels.setdefault(moment_id, set()).add(row.ref)
            continue
        person = Person(row.actor, row.username, row.display_name)
        found.people[person.id] = person
        if kind == "u":
            found.users.setdefault(moment_id, set()).add(row.ref)
        elif kind == "k":
            found.likes.setdefault(moment_id, []).append((row.created_at, person))
        else:
            comment = CommentRow(
                row.ref,
                moment_id,
                row.actor,
                row.text,
                row.reply_to_id,
                row.reply_to_user_id,
                row.created_at,
                row.moderation,
            )
            reply_to = None
            if row.reply_to_user_id is not None:
                reply_to = Person(row.reply_to_user_id, row.reply_username, row.reply_display_name)
            found.comments.setdefault(moment_id, []).append((comment, person, reply_to))
    for likes in found.likes.values():
        likes.sort(key=lambda like: (like[0], like[1].id))
    for comments in found.comments.values():
        comments.sort(key=lambda comment: comment[0].id)
    return found
