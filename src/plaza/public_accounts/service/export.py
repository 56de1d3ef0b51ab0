"""A public account's export (issue #13): what its owner takes to another platform, also when
the account, or the owner, was closed or suspended.

A zip, in a form other platforms import (a static-site generator reads the Markdown as is):

- `account.json`: the account (handle, name, description, dates, status, moved notice);
- `subscribers.json` and `subscribers.csv`: the subscriber count history, per UTC day
  (subscribed, unsubscribed, running total: what the statistics page charts);
- `articles/<id>/article.json`: every article (drafts and removed ones too) with every
  published revision (title, Markdown body, sanitized HTML, cover, date);
- `articles/<id>/revision-<n>.md` (and `draft.md` for an unpublished working copy): the body
  as Markdown with YAML front matter (title, dates, revision), its pictures linked relatively;
- `media/<id>.<ext>`: each picture those show, the original bytes from media storage.

Small on purpose: `plaza.exports` (a person's whole archive) has no zip writer on main yet;
once it has, this may share it. The zip is spooled (to disk past a few MB) and then streamed.
"""

from __future__ import annotations

import csv
import io
import json
import mimetypes
import re
import tempfile
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.clock import Clock
from plaza.media.models import Media
from plaza.media.storage import Storage
from plaza.public_accounts import render
from plaza.public_accounts.models import Article, ArticleRevision, PublicAccount
from plaza.public_accounts.service.exits import owned
from plaza.public_accounts.service.subscriptions import subscriber_history

CHUNK = 64 * 1024
SPOOL_BYTES = 8 * 1024 * 1024
_MEDIA_URL = re.compile(r"/api/v1/media/([1-9][0-9]{0,9})(?:/thumbnail)?")


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _extension(content_type: str) -> str:
    return {"image/jpeg": ".jpg"}.get(content_type) or mimetypes.guess_extension(content_type) or ""


class _Pictures:
    """Which pictures the export carries, and the relative path of each from an article."""

    def __init__(self, media: dict[int, Media]) -> None:
        self.media = media

    def name(self, media_id: int) -> str | None:
        found = self.media.get(media_id)
        return f"{media_id}{_extension(found.content_type)}" if found else None

    def relative(self, media_id: int | None) -> str | None:
        name = self.name(media_id) if media_id else None
        return f"../../media/{name}" if name else None

    def markdown(self, body: str) -> str:
        """The body with this server's picture URLs made relative paths into the zip."""

        def link(match: re.Match[str]) -> str:
            return self.relative(int(match.group(1))) or match.group(0)

        return _MEDIA_URL.sub(link, body)


def _front_matter(fields: dict[str, Any]) -> str:
    # JSON strings are YAML strings: titles with colons or quotes stay one value.
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n"


def _markdown(
    article: Article, title: str, body: str, cover: str | None, rev: int | None, at: datetime
) -> str:
    return (
        _front_matter(
            {
                "title": title,
                "article_id": article.id,
                "revision": rev,
                "status": article.status,
                "date": _iso(article.published_at or article.created_at),
                "updated": _iso(at),
                "cover": cover,
            }
        )
        + body.rstrip("\n")
        + "\n"
    )


def _subscribers_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["day", "subscribed", "unsubscribed", "total"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


async def _load(
    session: AsyncSession, account: PublicAccount
) -> tuple[list[Article], dict[int, list[ArticleRevision]], _Pictures]:
    articles = list(
        await session.scalars(
            select(Article).where(Article.account_id == account.id).order_by(Article.id)
        )
    )
    revisions: dict[int, list[ArticleRevision]] = {a.id: [] for a in articles}
    if articles:
        for rev in await session.scalars(
            select(ArticleRevision)
            .where(ArticleRevision.article_id.in_(list(revisions)))
            .order_by(ArticleRevision.article_id, ArticleRevision.number)
        ):
            revisions[rev.article_id].append(rev)
    ids: set[int] = set()
    for article in articles:
        for html, cover in [(article.html, article.cover_media_id)] + [
            (r.html, r.cover_media_id) for r in revisions[article.id]
        ]:
            ids.update(render.media_ids(html))
            if cover:
                ids.add(cover)
    media = {m.id: m for m in await session.scalars(select(Media).where(Media.id.in_(ids)))}
    return articles, revisions, _Pictures(media)


def _write_article(
    archive: zipfile.ZipFile,
    article: Article,
    revisions: list[ArticleRevision],
    pictures: _Pictures,
) -> None:
    folder = f"articles/{article.id}"
    revs = []
    for rev in revisions:
        body = pictures.markdown(rev.body)
        cover = pictures.relative(rev.cover_media_id)
        revs.append(
            {
                "number": rev.number,
                "title": rev.title,
                "markdown": body,
                "html": rev.html,
                "cover": cover,
                "pictures": [pictures.relative(i) for i in render.media_ids(rev.html)],
                "created_at": _iso(rev.created_at),
            }
        )
        text = _markdown(article, rev.title, body, cover, rev.number, rev.created_at)
        archive.writestr(f"{folder}/revision-{rev.number}.md", text)
    draft = None
    if article.status == "draft":  # never published: its working copy is all there is
        body = pictures.markdown(article.body)
        cover = pictures.relative(article.cover_media_id)
        draft = {"title": article.title, "markdown": body, "cover": cover}
        text = _markdown(article, article.title, body, cover, None, article.updated_at)
        archive.writestr(f"{folder}/draft.md", text)
    data = {
        "id": article.id,
        "status": article.status,
        "moderation": article.moderation,
        "created_at": _iso(article.created_at),
        "published_at": _iso(article.published_at),
        "updated_at": _iso(article.updated_at),
        "read_count": article.read_count,
        "like_count": article.like_count,
        "revisions": revs,
        "draft": draft,
    }
    archive.writestr(f"{folder}/article.json", _json(data))


async def build(
    session: AsyncSession, *, clock: Clock, storage: Storage, user_id: int, handle: str
) -> tuple[str, IO[bytes]]:
    """The owner's export of the account: its file name and the zip, spooled, at its start."""
    account = await owned(session, user_id=user_id, handle=handle)
    history = [
        {"day": d.day.isoformat(), "subscribed": d.subscribed, "unsubscribed": d.unsubscribed,
         "total": d.total}
        for d in await subscriber_history(session, account.id)
    ]  # fmt: skip
    articles, revisions, pictures = await _load(session, account)
    # Not a `with`: the spool outlives this function, streamed and then closed by `chunks`.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "account.json",
            _json(
                {
                    "handle": account.handle,
                    "name": account.name,
                    "description": account.description,
                    "created_at": _iso(account.created_at),
                    "status": account.status,
                    "closed_at": _iso(account.closed_at),
                    "moderation": account.moderation,
                    "moved_to": account.moved_to,
                    "subscriber_count": account.subscriber_count,
                    "exported_at": _iso(clock.now()),
                }
            ),
        )
        archive.writestr("subscribers.json", _json(history))
        archive.writestr("subscribers.csv", _subscribers_csv(history))
        for article in articles:
            _write_article(archive, article, revisions[article.id], pictures)
        for media_id, media in sorted(pictures.media.items()):
            data = await storage.get(media.sha256)
            name = pictures.name(media_id)
            if data is not None and name:
                archive.writestr(f"media/{name}", data, compress_type=zipfile.ZIP_STORED)
    spool.seek(0)
    stamp = clock.now().strftime("%Y%m%d")
    return f"plaza-{account.handle}-{stamp}.zip", spool


async def chunks(spool: IO[bytes]) -> AsyncIterator[bytes]:
    """The spooled zip in pieces, closed once sent."""
    try:
        while chunk := spool.read(CHUNK):
            yield chunk
    finally:
        spool.close()
