"""`plaza demo`'s public accounts: the host runs "The Verona Herald", which publishes a few
articles (Markdown with a cover and a picture, drawn like the moments' pictures and stored
through the media upload use case), and everyone in the circle subscribes.

Run once per database: a second run finds the Herald and adds nothing.
"""

from __future__ import annotations

from sqlalchemy import func, select

from plaza.accounts.models import User
from plaza.config import Settings
from plaza.demo_moments import PALETTES, picture
from plaza.media.setup import MediaRuntime
from plaza.media.uploads import upload
from plaza.public_accounts.models import Article, PublicAccount
from plaza.public_accounts.service import accounts, articles, publishing, subscriptions
from plaza.public_accounts.service.articles import ArticleLimits
from plaza.runtime import Runtime

HANDLE = "verona_herald"
# (title, Markdown body, the caption drawn on its cover: Pillow's built-in font has no CJK)
ARTICLES = [
    (
        "Brawl in the market square",
        "Servants of the houses of **Capulet** and **Montague** came to blows this morning.\n\n"
        "> Three civil brawls, bred of an airy word\n\n"
        "The Prince has declared that any further disturbance will be paid for with lives.",
        "Brawl in the market square",
    ),
    (
        "维罗纳的夜晚：卡普莱特家的盛宴",
        "昨夜卡普莱特家举行了盛大的宴会，城中的年轻人都戴着面具前来。\n\n"
        "- 音乐持续到深夜\n- 据说有一位不速之客\n\n"
        "*The Herald's reporter was not invited.*",
        "A feast at the Capulets'",
    ),
    (
        "Friar Laurence on herbs and their uses",
        "We visited the Friar's garden at dawn.\n\n"
        "1. Some plants heal\n2. Some plants poison\n3. Most do both, he says\n\n"
        "Read more in [the Herald's directory](/a).",
        "Friar Laurence's garden",
    ),
]


async def load_public_accounts(
    runtime: Runtime, media: MediaRuntime, settings: Settings, people: list[User]
) -> int:
    """The Herald, owned by `people[0]`, with its articles and the others as subscribers;
    returns how many articles it has published (an earlier run's count, when it exists)."""
    host = people[0]
    clock = runtime.clock
    limits = ArticleLimits(
        title_max=settings.article_title_max_chars,
        body_max=settings.article_body_max_chars,
        max_pictures=settings.article_max_pictures,
    )
    async with runtime.sessions() as session:
        existing = await session.scalar(
            select(PublicAccount.id).where(PublicAccount.handle == HANDLE)
        )
        if existing is not None:
            published = select(func.count()).where(
                Article.account_id == existing, Article.status == "published"
            )
            return await session.scalar(published) or 0
        avatar = await upload(
            session, media=media, clock=clock, uploader_id=host.id, data=picture("VH", PALETTES[2])
        )
        await accounts.create(
            session,
            clock=clock,
            owner=host,
            profile=accounts.Profile(
                handle=HANDLE,
                name="The Verona Herald · 维罗纳先驱报",
                description="News from fair Verona, where we lay our scene.",
                avatar_media_id=avatar.id,
            ),
            max_per_person=settings.public_accounts_per_person,
            max_description=settings.public_account_description_max_chars,
        )
        for index, (title, body, caption) in enumerate(ARTICLES):
            cover = await upload(
                session,
                media=media,
                clock=clock,
                uploader_id=host.id,
                data=picture(caption, PALETTES[index % len(PALETTES)]),
            )
            inline = await upload(
                session,
                media=media,
                clock=clock,
                uploader_id=host.id,
                data=picture(f"{caption}, by our correspondent", PALETTES[index - 3]),
            )
            draft, _ = await articles.create_draft(
                session,
                clock=clock,
                user=host,
                handle=HANDLE,
                title=title,
                body=f"{body}\n\n![From our correspondent](/api/v1/media/{inline.id})",
                cover_media_id=cover.id,
                limits=limits,
            )
            await publishing.publish(
                session,
                clock=clock,
                bus=None,
                user=host,
                article_id=draft.id,
                limits=limits,
                per_day=max(settings.articles_per_account_per_day, len(ARTICLES)),
            )
        for reader in people[1:]:
            await subscriptions.set_subscribed(
                session, clock=clock, bus=None, user=reader, handle=HANDLE, subscribed=True
            )
    return len(ARTICLES)
