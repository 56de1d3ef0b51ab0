"""The Atom feed of a public account, `/a/{handle}/feed.xml`: its latest published articles,
for feed readers elsewhere, without an account. Made by feedgen (valid Atom, RFC 4287); each
entry's content is the article's sanitized HTML, with this server's links and pictures made
absolute so a reader elsewhere can follow them."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]
from sqlalchemy import select

from plaza.deps import DbSession, ModerationDep
from plaza.errors import Gone
from plaza.public_accounts.handles import HANDLE_PATTERN
from plaza.public_accounts.models import Article, PublicAccount
from plaza.public_accounts.service import accounts, tombstones
from plaza.public_accounts.service.views import article_url, excerpt
from plaza.web.openapi import errors

router = APIRouter(tags=["public accounts"])
ENTRIES = 20
ATOM = "application/atom+xml; charset=utf-8"
_LOCAL_URL = re.compile(r'(src|href)="/(?!/)')
# Characters XML 1.0 cannot carry (C0 controls but tab and newlines, lone surrogates, U+FFFE/F):
# a body may hold them; the feed leaves them out rather than fail.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _absolute(html: str, base: str) -> str:
    return _LOCAL_URL.sub(lambda m: f'{m.group(1)}="{base}/', html)


def build_feed(account: PublicAccount, articles: list[Article], base: str) -> bytes:
    page = f"{base}/a/{account.handle}"
    feed = FeedGenerator()
    feed.id(page)
    feed.title(_xml(account.name))
    feed.subtitle(_xml(account.description) or _xml(account.name))
    feed.author({"name": _xml(account.name), "uri": page})
    feed.link(href=page, rel="alternate", type="text/html")
    feed.link(href=f"{page}/feed.xml", rel="self", type="application/atom+xml")
    feed.language("und")
    feed.updated(max((a.updated_at for a in articles), default=account.created_at))
    # feedgen writes entries in the reverse order they are added: add the oldest first.
    for article in reversed(articles):
        url = f"{base}{article_url(account.handle, article.id)}"
        entry = feed.add_entry()
        entry.id(url)
        entry.title(_xml(article.title))
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(article.published_at)
        entry.updated(article.updated_at)
        entry.summary(_xml(excerpt(article.html)) or _xml(article.title))
        entry.content(_xml(_absolute(article.html, base)), type="html")
    xml: bytes = feed.atom_str(pretty=True)
    return xml


@router.get(
    "/a/{handle}/feed.xml",
    response_class=Response,
    responses={
        200: {
            "description": "An Atom feed (RFC 4287) of the latest published articles.",
            "content": {"application/atom+xml": {"schema": {"type": "string"}}},
        },
        **errors(404, 410),
    },
)
async def atom_feed(
    handle: Annotated[str, Path(pattern=HANDLE_PATTERN)],
    request: Request,
    session: DbSession,
    moderation: ModerationDep,
) -> Response:
    """The account's latest published articles as Atom, to anyone; 410 `account_closed` once
    a moderator or its owner closed the account (a feed reader may forget it; the message
    says when, under which policy and where an appeal stands, and where it moved if its owner
    said so), 404 while a moderator holds it. Articles a
    moderator holds or removed are left out."""
    account = await accounts.find(session, handle, closed=True)
    stone = await tombstones.of_account(session, moderation, account)
    if stone is not None:
        raise Gone(stone.summary(), code="account_closed")
    await accounts.visible_role(session, account, None)
    articles = list(
        await session.scalars(
            select(Article)
            .where(
                Article.account_id == account.id,
                Article.status == "published",
                Article.moderation.is_(None),
            )
            .order_by(Article.published_at.desc(), Article.id.desc())
            .limit(ENTRIES)
        )
    )
    base = str(request.base_url).rstrip("/")
    return Response(build_feed(account, articles, base), media_type=ATOM)
