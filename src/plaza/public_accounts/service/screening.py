"""Screening what public accounts publish (plaza.moderation.service.screening), in the
transaction that writes it: an article when it is published and at every edit after, an
account's name and description when it is created or changed. The state it stores never
lessens what moderation had decided before (policies.after_edit). The caller announces the
verdict (`Verdict.announce`) once it has committed."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from plaza.moderation.service.screening import screen
from plaza.moderation.setup import Moderation
from plaza.moderation.verdicts import Content, Verdict, titled
from plaza.public_accounts import policies
from plaza.public_accounts.models import Article, PublicAccount
from plaza.public_accounts.service.views import ARTICLE_SURFACE, AVATAR_SURFACE


async def screen_article(
    session: AsyncSession,
    moderation: Moderation,
    *,
    article: Article,
    editor_id: int,
    pictures: Sequence[int],
) -> Verdict:
    verdict = await screen(
        session,
        moderation=moderation,
        content=Content(
            surface=ARTICLE_SURFACE,
            ref_id=article.id,
            author_id=editor_id,
            text=titled(article.title, article.body),
            media_ids=pictures,
            public=True,
        ),
    )
    article.moderation = policies.after_edit(article.moderation, verdict.state)
    return verdict


async def screen_account(
    session: AsyncSession, moderation: Moderation, *, account: PublicAccount, editor_id: int
) -> Verdict:
    verdict = await screen(
        session,
        moderation=moderation,
        content=Content(
            surface=AVATAR_SURFACE,
            ref_id=account.id,
            author_id=editor_id,
            text=titled(account.name, account.description),
            media_ids=[account.avatar_media_id] if account.avatar_media_id else [],
            public=True,
        ),
    )
    account.moderation = policies.after_edit(
        account.moderation, policies.account_state(verdict.state)
    )
    return verdict
