"""Reading moments: the timeline, a person's page, one moment, the "new from friends" count,
and the media access check. Every moment shown passes `policies.can_view_moment`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import FriendLabelMember, User
from plaza.accounts.service.users import get_user
from plaza.errors import NotFound
from plaza.moments import policies
from plaza.moments.models import Moment, MomentSeen
from plaza.moments.policies import ViewerFacts
from plaza.moments.service import queries
from plaza.moments.service.facts import moment_facts, preview_ids, viewer_facts
from plaza.moments.service.page import find, moment_row
from plaza.moments.service.views import MomentView, render, render_page
from plaza.pagination import BeforeId, decode_cursor, encode_cursor

# The "new from friends" count stops here: the badge reads "99+" past it, and counting
# further would cost a scan for someone who never opens the timeline.
UNSEEN_MAX = 99
NOT_FOUND = "no such moment"


def _before(cursor: str | None) -> int | None:
    position = decode_cursor(cursor, BeforeId)
    return position.before if position is not None else None


async def _read_page(
    session: AsyncSession,
    viewer: ViewerFacts,
    query: queries.Query,
    limit: int,
    preview: set[int] | None = None,
) -> tuple[list[MomentView], str | None]:
    """Run a page query (`limit` + 1 rows, to know whether there is a next page), read the
    page's lists, likes and comments in one more query, keep what the rule lets the viewer
    see, and render it."""
    rows = [moment_row(row) for row in (await session.execute(*query)).all()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(BeforeId(before=rows[-1][0].id))
    found = await find(session, [moment.id for moment, _ in rows])
    shown = [
        (moment, author)
        for moment, author in rows
        if policies.can_view_moment(
            viewer,
            found.facts(moment.id, moment.author_id, moment.visibility, moment.moderation),
            in_stranger_preview=preview is not None and moment.id in preview,
        )
    ]
    if preview is not None and len(shown) < len(rows):
        next_cursor = None  # past the preview: a stranger sees no further
    return await render_page(session, viewer, shown, found), next_cursor


async def timeline(
    session: AsyncSession, *, viewer_id: int, cursor: str | None, limit: int
) -> tuple[list[MomentView], str | None]:
    """Newest first: the viewer's own moments and the friends' moments they may see. Four
    round trips: the viewer's facts, the page with its authors, its lists, likes and
    comments, and its pictures."""
    before = _before(cursor)
    viewer = await viewer_facts(session, viewer_id)
    dialect = session.get_bind().dialect.name
    query = queries.timeline_query(viewer, before=before, limit=limit + 1, dialect=dialect)
    return await _read_page(session, viewer, query, limit)


async def person_moments(
    session: AsyncSession,
    *,
    viewer_id: int,
    username: str,
    cursor: str | None,
    limit: int,
    stranger_preview: int,
) -> tuple[list[MomentView], str | None]:
    """What the viewer may see of one person's moments (nothing for a stranger, unless the
    preview setting allows their latest "friends" ones; nothing across a block)."""
    before = _before(cursor)
    author = await get_user(session, username=username)
    viewer = await viewer_facts(session, viewer_id)
    own = author.id == viewer_id
    friends = author.id in viewer.friends
    if author.id in viewer.blocked and not own:
        return [], None
    preview: set[int] | None = None
    if not own and not friends:
        preview = await preview_ids(session, author_id=author.id, count=stranger_preview)
        if not preview:
            return [], None
    dialect = session.get_bind().dialect.name
    query = queries.person_query(viewer, author.id, before=before, limit=limit + 1, dialect=dialect)
    return await _read_page(session, viewer, query, limit, preview)


async def visible_moment(
    session: AsyncSession, *, viewer: ViewerFacts, moment_id: int, stranger_preview: int = 0
) -> Moment:
    """The moment, if the viewer may see it; otherwise 404, as for one that does not exist."""
    moment = await session.get(Moment, moment_id)
    if moment is None:
        raise NotFound(NOT_FOUND)
    facts = (await moment_facts(session, [moment]))[moment.id]
    preview: set[int] = set()
    if stranger_preview and moment.author_id not in viewer.friends:
        preview = await preview_ids(session, author_id=moment.author_id, count=stranger_preview)
    if not policies.can_view_moment(viewer, facts, in_stranger_preview=moment.id in preview):
        raise NotFound(NOT_FOUND)
    return moment


async def get_moment(
    session: AsyncSession, *, viewer_id: int, moment_id: int, stranger_preview: int
) -> MomentView:
    viewer = await viewer_facts(session, viewer_id)
    moment = await visible_moment(
        session, viewer=viewer, moment_id=moment_id, stranger_preview=stranger_preview
    )
    [view] = await render(session, viewer, [moment])
    return view


async def may_see_any(session: AsyncSession, viewer_id: int, moment_ids: Sequence[int]) -> bool:
    """The media "moment" check: whether the viewer may see one of these moments (so its
    pictures). Strangers' previews are left out: a picture is for friends."""
    moments = list(await session.scalars(select(Moment).where(Moment.id.in_(list(moment_ids)))))
    if not moments:
        return False
    viewer = await viewer_facts(session, viewer_id)
    facts = await moment_facts(session, moments)
    return any(policies.can_view_moment(viewer, facts[m.id]) for m in moments)


async def unseen_count(session: AsyncSession, *, viewer_id: int) -> int:
    """Friends' moments the viewer may see, newer than when they last opened the timeline
    (at most UNSEEN_MAX)."""
    seen = await session.get(MomentSeen, viewer_id)
    viewer = await viewer_facts(session, viewer_id)
    if not policies.timeline_authors(viewer) - {viewer_id}:
        return 0
    dialect = session.get_bind().dialect.name
    query = queries.timeline_query(
        viewer,
        before=None,
        limit=UNSEEN_MAX,
        friends_only=True,
        after=seen.last_moment_id if seen is not None else None,
        dialect=dialect,
    )
    rows = [moment for moment, _ in map(moment_row, (await session.execute(*query)).all())]
    found = await find(session, [m.id for m in rows])
    return sum(
        1
        for m in rows
        if policies.can_view_moment(
            viewer, found.facts(m.id, m.author_id, m.visibility, m.moderation)
        )
    )


async def mark_seen(session: AsyncSession, *, user: User) -> None:
    """The person opened the timeline: everything posted so far is seen. One upsert, so two
    devices marking at once cannot collide."""
    newest = await session.scalar(select(func.max(Moment.id))) or 0
    dialect = session.get_bind().dialect.name
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = maker(MomentSeen).values(user_id=user.id, last_moment_id=newest)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[MomentSeen.user_id],
            set_={"last_moment_id": func.max(MomentSeen.last_moment_id, newest)}
            if dialect == "sqlite"
            else {"last_moment_id": func.greatest(MomentSeen.last_moment_id, newest)},
        )
    )
    await session.commit()


async def audience(session: AsyncSession, *, moment_id: int, as_shown: bool = False) -> list[int]:
    """The author's friends who may see the moment now (for the "new from friends" nudge);
    with `as_shown`, who would if moderation hid nothing of it (whom to tell of a change)."""
    moment = await session.get(Moment, moment_id)
    if moment is None:
        return []
    author = await viewer_facts(session, moment.author_id)
    facts = (await moment_facts(session, [moment]))[moment.id]
    if as_shown:
        facts = replace(facts, moderation=None)
    in_labels: dict[int, set[int]] = {}
    if facts.labels:
        for label_id, user_id in await session.execute(
            select(FriendLabelMember.label_id, FriendLabelMember.user_id).where(
                FriendLabelMember.label_id.in_(facts.labels)
            )
        ):
            in_labels.setdefault(user_id, set()).add(label_id)
    return sorted(
        friend_id
        for friend_id in set(author.friends) - set(author.blocked)
        if policies.can_view_moment(
            ViewerFacts(
                user_id=friend_id,
                friends={moment.author_id},
                blocked=set(),
                labels=in_labels.get(friend_id, set()),
            ),
            facts,
        )
    )
