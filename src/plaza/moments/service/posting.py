"""Posting and deleting moments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.labels import friends_named, owned_label_ids
from plaza.accounts.service.sessions import require_can_publish
from plaza.clock import Clock
from plaza.errors import Forbidden, Invalid, NotFound
from plaza.media.service import attach, detach
from plaza.moderation.service.screening import screen
from plaza.moderation.setup import Moderation
from plaza.moderation.verdicts import ALLOW, Content
from plaza.moments.models import MODES, Moment, MomentAudienceLabel, MomentAudienceUser
from plaza.moments.service.facts import viewer_facts
from plaza.moments.service.reading import NOT_FOUND, visible_moment
from plaza.moments.service.views import SURFACE, MomentView, render
from plaza.public_accounts.service import cards


@dataclass(frozen=True)
class Draft:
    text: str
    media_ids: Sequence[int]
    mode: str
    usernames: Sequence[str]
    labels: Sequence[int]
    article_id: int | None = None  # a public account article shared as a card


@dataclass(frozen=True)
class PostLimits:
    max_chars: int
    max_media: int


def _check_shape(draft: Draft, limits: PostLimits) -> str:
    text = draft.text.strip()
    if len(text) > limits.max_chars:
        raise Invalid(f"a moment is at most {limits.max_chars} characters", field="text")
    if not text and not draft.media_ids and draft.article_id is None:
        raise Invalid("a moment needs text, a picture or a shared article", field="text")
    if draft.mode not in MODES:
        raise Invalid(f"visibility mode must be one of {', '.join(MODES)}", field="visibility")
    listed = bool(draft.usernames or draft.labels)
    if draft.mode in ("only", "except") and not listed:
        raise Invalid(
            f'"{draft.mode}" needs at least one friend or label', field="visibility.usernames"
        )
    if draft.mode in ("friends", "private") and listed:
        raise Invalid(
            f'"{draft.mode}" takes no list of friends or labels', field="visibility.usernames"
        )
    return text


async def create(
    session: AsyncSession,
    *,
    clock: Clock,
    author: User,
    draft: Draft,
    limits: PostLimits,
    moderation: Moderation | None = None,
) -> MomentView:
    """Post a moment. The people named must be the author's friends and the labels the
    author's own (422 naming the first that is not); pictures must be the author's uploads.
    Everything is stored in one transaction, or nothing. With `moderation` (every request;
    not the demo's or a benchmark's own content) it is screened in that transaction, and
    one held or removed is its author's alone from the start."""
    require_can_publish(author, now=clock.now())
    text = _check_shape(draft, limits)
    people = await friends_named(
        session, user_id=author.id, usernames=draft.usernames, field="visibility.usernames"
    )
    label_ids = await owned_label_ids(session, owner_id=author.id, label_ids=draft.labels)
    if draft.article_id is not None:
        await cards.check_shareable(session, article_id=draft.article_id)
    moment = Moment(author_id=author.id, text=text, visibility=draft.mode, created_at=clock.now())
    session.add(moment)
    await session.flush()
    if draft.article_id is not None:
        await cards.record_share(
            session, surface=SURFACE, ref_id=moment.id, article_id=draft.article_id
        )
    if people:
        await session.execute(
            insert(MomentAudienceUser), [{"moment_id": moment.id, "user_id": p.id} for p in people]
        )
    if label_ids:
        await session.execute(
            insert(MomentAudienceLabel),
            [{"moment_id": moment.id, "label_id": label_id} for label_id in label_ids],
        )
    await attach(
        session,
        owner_id=author.id,
        media_ids=draft.media_ids,
        surface=SURFACE,
        ref_id=moment.id,
        limit=limits.max_media,
    )
    verdict = ALLOW
    if moderation is not None:
        verdict = await screen(
            session,
            moderation=moderation,
            content=Content(
                surface=SURFACE,
                ref_id=moment.id,
                author_id=author.id,
                text=text,
                media_ids=draft.media_ids,
                public=draft.mode != "private",
            ),
        )
        moment.moderation = verdict.state
    await session.commit()
    await verdict.announce()
    viewer = await viewer_facts(session, author.id)
    [view] = await render(session, viewer, [moment])
    return view


async def remove(session: AsyncSession, *, user: User, moment_id: int) -> None:
    """The author deletes a moment: it, its likes and comments are gone for everyone at once;
    its pictures stay with their uploader only. A friend who sees it is refused (403);
    anyone else is told it does not exist."""
    moment = await session.get(Moment, moment_id)
    if moment is None:
        raise NotFound(NOT_FOUND)
    if moment.author_id != user.id:
        viewer = await viewer_facts(session, user.id)
        await visible_moment(session, viewer=viewer, moment_id=moment_id)
        raise Forbidden("only its author may delete a moment")
    await detach(session, surface=SURFACE, ref_id=moment.id)
    await cards.forget_share(session, surface=SURFACE, ref_id=moment.id)
    await session.execute(delete(Moment).where(Moment.id == moment.id))
    await session.commit()
