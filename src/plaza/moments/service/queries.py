"""The timeline's SQL: narrows moments to those a viewer may see, so a page is one indexed
query however many moments exist.

This is the one place where the visibility rule is also written in SQL, for speed. The rows
it returns are still checked with `plaza.moments.policies.can_view_moment` before they are
shown (a drift could only hide a moment, never show one), and
tests/moments/test_sql_agrees.py proves on generated worlds that both give the same answer.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, Select, and_, exists, not_, or_, select

from plaza.accounts.models import FriendLabelMember
from plaza.moments.models import Moment, MomentAudienceLabel, MomentAudienceUser


def _named(viewer_id: int) -> ColumnElement[bool]:
    """The moment's list names the viewer, in person or through a label they are in."""
    in_person = exists().where(
        MomentAudienceUser.moment_id == Moment.id, MomentAudienceUser.user_id == viewer_id
    )
    by_label = exists().where(
        MomentAudienceLabel.moment_id == Moment.id,
        FriendLabelMember.label_id == MomentAudienceLabel.label_id,
        FriendLabelMember.user_id == viewer_id,
    )
    return or_(in_person, by_label)


def visible_by_mode(viewer_id: int) -> ColumnElement[bool]:
    """The mode's part of the rule, for a moment by a friend (or by the viewer)."""
    named = _named(viewer_id)
    return or_(
        Moment.author_id == viewer_id,
        Moment.visibility == "friends",
        and_(Moment.visibility == "only", named),
        and_(Moment.visibility == "except", not_(named)),
    )


def timeline_query(
    viewer_id: int, author_ids: Collection[int], *, before: int | None, limit: int
) -> Select[tuple[Moment]]:
    """Newest first: the moments of `author_ids` (the viewer and their friends, minus anyone
    blocked either way: `timeline_authors`) that the viewer may see by mode."""
    query = select(Moment).where(Moment.author_id.in_(list(author_ids)), visible_by_mode(viewer_id))
    if before is not None:
        query = query.where(Moment.id < before)
    return query.order_by(Moment.id.desc()).limit(limit)


def person_query(
    viewer_id: int, author_id: int, *, friends: bool, before: int | None, limit: int
) -> Select[tuple[Moment]]:
    """Newest first: the moments of one author that a friend (or the author) may see by mode,
    or for a stranger the "friends" ones (the preview). Blocks are decided before."""
    query = select(Moment).where(Moment.author_id == author_id)
    if friends or viewer_id == author_id:
        query = query.where(visible_by_mode(viewer_id))
    else:
        query = query.where(Moment.visibility == "friends")
    if before is not None:
        query = query.where(Moment.id < before)
    return query.order_by(Moment.id.desc()).limit(limit)
