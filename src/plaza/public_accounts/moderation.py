"""Public accounts' plug into moderation: the "article" and "public_account" surfaces.

- `snapshot`: an article's current revision (title, body, pictures, revision number), or an
  account's name and description, with its author (the article's writer, the account's
  owner) and its page.
- `can_view`: exactly the reading rule (plaza.public_accounts.policies): a published article
  of a live account, or anything the viewer edits; an active account likewise.
- `set_state`: hold, remove or restore an article; hold, close ("removed" or "closed") or
  reopen an account (plaza.public_accounts.service.moderation_state).
"""

from __future__ import annotations

from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from plaza.errors import NotFound
from plaza.media.service import media_ids_of
from plaza.moderation.setup import Moderation
from plaza.moderation.surfaces import Snapshot, Surface
from plaza.public_accounts.models import Article, PublicAccount
from plaza.public_accounts.service import moderation_state
from plaza.public_accounts.service.accounts import visible_role
from plaza.public_accounts.service.articles import article_and_role
from plaza.public_accounts.service.views import ARTICLE_SURFACE, AVATAR_SURFACE, article_url
from plaza.runtime import Runtime


async def article_snapshot(session: AsyncSession, article_id: int) -> Snapshot | None:
    article = await session.get(Article, article_id)
    if article is None:
        return None
    account = await session.get(PublicAccount, article.account_id)
    assert account is not None  # articles go with their account (ON DELETE CASCADE)
    return Snapshot(
        surface=ARTICLE_SURFACE,
        ref_id=article.id,
        author_id=article.author_id,
        title=article.title,
        text=article.body,
        media_ids=await media_ids_of(session, surface=ARTICLE_SURFACE, ref_id=article.id),
        url=article_url(account.handle, article.id),
        public=article.status == "published",
        context={
            "revision": article.revision,
            "title": article.title,
            "status": article.status,
            "account": {"handle": account.handle, "name": account.name},
        },
    )


async def article_can_view(session: AsyncSession, viewer_id: int, article_id: int) -> bool:
    try:
        await article_and_role(session, viewer_id=viewer_id, article_id=article_id)
    except NotFound:
        return False
    return True


async def account_snapshot(session: AsyncSession, account_id: int) -> Snapshot | None:
    account = await session.get(PublicAccount, account_id)
    if account is None:
        return None
    return Snapshot(
        surface=AVATAR_SURFACE,
        ref_id=account.id,
        author_id=account.owner_id,
        title=account.name,
        text=f"{account.name}\n\n{account.description}".strip(),
        media_ids=await media_ids_of(session, surface=AVATAR_SURFACE, ref_id=account.id),
        url=f"/a/{account.handle}",
        public=True,
        context={
            "handle": account.handle,
            "verified": account.verified,
            "subscriber_count": account.subscriber_count,
        },
    )


async def account_can_view(session: AsyncSession, viewer_id: int, account_id: int) -> bool:
    account = await session.get(PublicAccount, account_id)
    if account is None:
        return False
    try:
        await visible_role(session, account, viewer_id)
    except NotFound:
        return False
    return True


def install(moderation: Moderation, runtime: Runtime) -> None:
    """Public accounts' moderation hook, called by create_app."""
    article_set_state = partial(moderation_state.set_article_state, bus=runtime.bus)
    account_set_state = partial(moderation_state.set_account_state, bus=runtime.bus)
    surfaces = moderation.surfaces
    surfaces.register(
        Surface(ARTICLE_SURFACE, article_snapshot, article_can_view, article_set_state)
    )
    surfaces.register(
        Surface(AVATAR_SURFACE, account_snapshot, account_can_view, account_set_state)
    )
