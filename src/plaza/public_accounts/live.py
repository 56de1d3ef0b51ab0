"""Public accounts' plug into the app and the live stream.

`ArticlesSource`: one topic per account ("public_account:<id>", resume key
`public_accounts`), followed by each connection of every subscriber. Publishing an article
puts one event on it, `article.published`, whatever the number of subscribers: each node
writes the same bytes to its local sockets of followers. The topic's revision is the account's
publish count (`PublicAccount.article_seq`), so a connection that missed some resumes with
`{"public_accounts": {"<account id>": rev}}` and gets the articles published since (a removed
one, or one moderation hides: skipped). An account moderation holds or closed is no longer
followed: its replay is refused, and a closure ends the topic for every follower at once.

Following thousands of accounts costs a connection one row each when it opens (one indexed
query) and one entry in the hub's topic map; the bus is subscribed once per account per node.

`install`: registers the source and the media viewer checks ("article": pictures of published
articles are public, a draft's are for its editors; "public_account": avatars are public).
"""

from __future__ import annotations

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.live.sources import Replay
from plaza.media.access import ViewerChecks
from plaza.public_accounts.models import Article, PublicAccount, Subscription
from plaza.public_accounts.service import publishing, reading
from plaza.public_accounts.service.accounts import is_live, live
from plaza.public_accounts.service.views import ARTICLE_SURFACE, AVATAR_SURFACE
from plaza.runtime import Runtime


class ArticlesSource:
    prefix = publishing.PREFIX
    resume_key = "public_accounts"

    async def followed(self, session: AsyncSession, *, user_id: int) -> dict[str, int]:
        rows = await session.execute(
            select(PublicAccount.id, PublicAccount.article_seq)
            .join(Subscription, Subscription.account_id == PublicAccount.id)
            .where(Subscription.user_id == user_id, live())
        )
        return {publishing.topic(account_id): seq for account_id, seq in rows}

    async def replay(
        self, session: AsyncSession, *, user_id: int, topic: str, after: int, limit: int
    ) -> Replay:
        try:
            account_id = int(topic.removeprefix(self.prefix))
        except ValueError:
            return Replay(allowed=False)
        account = await session.get(PublicAccount, account_id)
        subscribed = await session.get(Subscription, (user_id, account_id))
        if account is None or not is_live(account) or subscribed is None:
            return Replay(allowed=False)
        head = account.article_seq
        if head - after > limit:
            reset = {
                "type": "public_accounts.reset",
                "rev": head,
                "account": account.handle,
                "reason": f"more than {limit} articles were missed; reload the feed",
            }
            return Replay(reset=orjson.dumps(reset).decode(), head=head)
        articles = {
            a.seq: a
            for a in await session.scalars(
                select(Article).where(
                    Article.account_id == account_id,
                    Article.seq > after,
                    Article.seq <= head,
                )
            )
        }
        events: list[tuple[int, str | None]] = []
        for seq in range(after + 1, head + 1):
            article = articles.get(seq)
            text = None
            if article is not None and article.status == "published" and not article.moderation:
                text = orjson.dumps(publishing.published_event(article, account)).decode()
            events.append((seq, text))
        return Replay(events=events)


def install(runtime: Runtime, media_access: ViewerChecks) -> None:
    """Public accounts' start-up hook, called by create_app."""
    runtime.hub.register(ArticlesSource())
    media_access.register(ARTICLE_SURFACE, reading.may_see_any)
    media_access.register(AVATAR_SURFACE, reading.avatar_public)
