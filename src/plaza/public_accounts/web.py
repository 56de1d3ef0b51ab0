"""Pages of public accounts: the directory, an account's page, the article reader, the
editor, my feed and an account's statistics.

The directory, account pages and articles are public: readable signed out, like the API.
Everything that changes something (subscribing, liking, sharing, creating an account,
managing editors) goes through the JSON API from static/articles.js, so the API's rules and
messages are the only ones. Lists are drawn by one template each (`_article_items.html`) for
the page and for the "load more" fragments.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from plaza.accounts.models import User
from plaza.accounts.service.users import users_by_id
from plaza.deps import DbSession, ModerationDep, RuntimeDep, WebUser
from plaza.errors import Forbidden, NotFound
from plaza.public_accounts import charts, policies
from plaza.public_accounts.live import ArticlesSource
from plaza.public_accounts.models import ArticleRevision
from plaza.public_accounts.schemas import QUERY_EDGE_MAX
from plaza.public_accounts.service import (
    accounts,
    articles,
    exits,
    reading,
    subscriptions,
    tombstones,
)
from plaza.public_accounts.service.views import (
    AccountView,
    ArticleView,
    account_views,
    article_views,
)
from plaza.validation import PathId
from plaza.web.forms import render, sign_in_first

router = APIRouter(include_in_schema=False)

PAGE = 20  # articles or accounts per page or "load more"
DRAFTS_SHOWN = 50  # drafts listed on an account's page for its editors
SUBSCRIPTIONS_SHOWN = 100  # accounts listed beside my feed


def _next_url(base: str, cursor: str | None, **params: str) -> str | None:
    if not cursor:
        return None
    return f"{base}?{urlencode({**params, 'cursor': cursor})}"


def _items(
    request: Request, user: User | None, views: list[ArticleView], next_url: str | None
) -> Response:
    return render(request, "article_items.html", user, articles=views, next_url=next_url)


def _tombstone(
    request: Request,
    user: User | None,
    stone: tombstones.Tombstone,
    *,
    changes_left: int | None = None,
) -> Response:
    """410 Gone and what happened; its owner (`changes_left`: times the moved notice may still
    change) also gets the moved notice's form and the export. Caches may keep a 410 by
    default: an appeal may bring the page back (and a moved notice may come), so a tombstone
    is never served from a cache without asking again."""
    page = render(
        request,
        "tombstone.html",
        user,
        status_code=410,
        stone=stone,
        owner=changes_left is not None,
        changes_left=changes_left,
    )
    page.headers["Cache-Control"] = "no-cache"
    return page


# -- the directory ---------------------------------------------------------------------------


@router.get("/a")
async def directory_page(
    request: Request, user: WebUser, session: DbSession, q: str = "", cursor: str | None = None
) -> Response:
    """Every public account, newest first, or those whose name or handle contains `q`
    (Chinese too); signed-in people also get the form to create one."""
    q = q.strip()[:QUERY_EDGE_MAX]
    rows, next_cursor = await accounts.directory(session, q=q, cursor=cursor, limit=PAGE)
    subscribed = await accounts.subscribed_ids(
        session, user.id if user else None, [a.id for a in rows]
    )
    views = await account_views(session, rows, subscribed=subscribed if user else None)
    params = {"q": q} if q else {}
    return render(
        request,
        "directory.html",
        user,
        q=q,
        accounts=views,
        next_url=_next_url("/a", next_cursor, **params),
        older=cursor is not None,
    )


# -- an account ------------------------------------------------------------------------------


@router.get("/a/{handle}")
async def account_page(
    request: Request,
    handle: str,
    user: WebUser,
    session: DbSession,
    runtime: RuntimeDep,
    moderation: ModerationDep,
    cursor: str | None = None,
) -> Response:
    """The account's public page: who it is, its articles; its owner and editors also see
    the drafts, the "Write" button and the editors, its owner the export and "Close". A closed
    account's page is its tombstone (410), with the moved notice if there is one."""
    user_id = user.id if user else None
    account = await accounts.find(session, handle, closed=True)
    stone = await tombstones.of_account(session, moderation, account)
    if stone is not None:
        if user_id != account.owner_id:
            return _tombstone(request, user, stone)
        limit = runtime.settings.public_account_moved_changes
        return _tombstone(request, user, stone, changes_left=exits.changes_left(account, limit))
    role = await accounts.visible_role(session, account, user_id)
    if account.handle != handle:
        return RedirectResponse(f"/a/{account.handle}", status_code=308)
    subscribed = await accounts.subscribed_ids(session, user_id, [account.id])
    [view] = await account_views(
        session, [account], subscribed=subscribed if user else None, roles={account.id: role}
    )
    published, next_cursor = await reading.articles_of(
        session, account, role, viewer_id=user_id, drafts=False, cursor=cursor, limit=PAGE
    )
    drafts: list[ArticleView] = []
    editors: list[User] = []
    if user is not None and policies.can_edit(role) and cursor is None:
        drafts, _ = await reading.articles_of(
            session, account, role, viewer_id=user_id, drafts=True, cursor=None, limit=DRAFTS_SHOWN
        )
        editors = await accounts.editors_of(session, account.id)
    owner = (await users_by_id(session, {account.owner_id})).get(account.owner_id)
    return render(
        request,
        "account.html",
        user,
        a=view,
        owner=owner,
        can_edit=policies.can_edit(role),
        can_manage=policies.can_manage_editors(role),
        articles=published,
        drafts=drafts,
        editors=editors,
        next_url=_next_url(f"/a/{account.handle}", next_cursor),
        older=cursor is not None,
    )


@router.get("/a/{handle}/items")
async def account_items(
    request: Request, handle: str, user: WebUser, session: DbSession, cursor: str | None = None
) -> Response:
    """The next page of an account's articles as HTML, for the page's "load more"."""
    views, next_cursor = await reading.account_articles(
        session,
        viewer_id=user.id if user else None,
        handle=handle,
        drafts=False,
        cursor=cursor,
        limit=PAGE,
    )
    return _items(request, user, views, _next_url(f"/a/{handle}", next_cursor))


# -- the reader ------------------------------------------------------------------------------


@router.get("/a/{handle}/{article_id:int}")
async def article_page(
    request: Request,
    handle: str,
    article_id: PathId,
    user: WebUser,
    session: DbSession,
    runtime: RuntimeDep,
    moderation: ModerationDep,
) -> Response:
    """The article in a reading layout, with Open Graph tags for link previews; counts a
    read. A removed article (or one that never was) gets a page that says so; one a
    moderator removed, or of an account a moderator closed, a tombstone (410)."""
    stone = await tombstones.of_article(session, moderation, article_id)
    if stone is not None and stone.kind == "account":
        return _tombstone(request, user, stone)
    try:
        view = await reading.read(
            session,
            clock=runtime.clock,
            viewer_id=user.id if user else None,
            article_id=article_id,
        )
    except NotFound:
        if stone is not None:
            return _tombstone(request, user, stone)
        return render(request, "article_gone.html", user, status_code=404, handle=handle)
    if view.account.account.handle != handle:
        return RedirectResponse(view.url, status_code=308)
    base = str(request.base_url).rstrip("/")
    return render(
        request,
        "article.html",
        user,
        v=view,
        can_edit=policies.can_edit(view.role),
        page_url=base + view.url,
        cover_url=base + view.cover.url if view.cover else None,
    )


# -- the editor ------------------------------------------------------------------------------


@router.get("/a/{handle}/write")
async def write_page(
    request: Request, handle: str, user: WebUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    """A new article: the editor, empty (the first save makes the draft)."""
    if user is None:
        return sign_in_first(request)
    account, role = await accounts.account_and_role(session, handle=handle, user_id=user.id)
    if not policies.can_edit(role):
        raise Forbidden("only the account's owner and editors write its articles")
    accounts.require_open(account)
    [view] = await account_views(session, [account])
    return _editor(request, user, runtime, view, article=None, revisions=[])


@router.get("/a/{handle}/{article_id:int}/edit")
async def edit_page(
    request: Request,
    handle: str,
    article_id: PathId,
    user: WebUser,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    """The editor on a draft, or on a published article (saving makes a new revision; the
    revisions so far are listed)."""
    if user is None:
        return sign_in_first(request)
    article, account, role = await articles.editable(
        session, user_id=user.id, article_id=article_id
    )
    if account.handle != handle:
        return RedirectResponse(f"/a/{account.handle}/{article.id}/edit", status_code=308)
    accounts.require_open(account)
    [view] = await article_views(session, [article], viewer_id=user.id, roles={account.id: role})
    revisions = await articles.revisions(session, user_id=user.id, article_id=article.id)
    return _editor(request, user, runtime, view.account, article=view, revisions=revisions)


def _editor(
    request: Request,
    user: User,
    runtime: RuntimeDep,
    account: AccountView,
    *,
    article: ArticleView | None,
    revisions: list[ArticleRevision],
) -> Response:
    settings = runtime.settings
    return render(
        request,
        "editor.html",
        user,
        a=account,
        v=article,
        revisions=revisions,
        title_max=settings.article_title_max_chars,
        body_max=settings.article_body_max_chars,
        max_bytes=settings.media_max_bytes,
    )


# -- my feed ---------------------------------------------------------------------------------


@router.get("/feed")
async def feed_page(
    request: Request,
    user: WebUser,
    session: DbSession,
    moderation: ModerationDep,
    cursor: str | None = None,
) -> Response:
    """The newest articles of the accounts I follow, and those accounts; a banner for each
    closed one that left a "moved to" notice. New articles are
    announced live (the accounts' topics on the stream); the stream resumes from where each
    topic stood when the page was read, so none published meanwhile is missed."""
    if user is None:
        return sign_in_first(request)
    positions = await ArticlesSource().followed(session, user_id=user.id)
    views, next_cursor = await subscriptions.feed(
        session, user_id=user.id, cursor=cursor, limit=PAGE
    )
    moved = await exits.notices_for(session, moderation=moderation, user_id=user.id)
    followed, _ = await subscriptions.my_subscriptions(
        session, user_id=user.id, cursor=None, limit=SUBSCRIPTIONS_SHOWN
    )
    prefix = ArticlesSource.prefix
    return render(
        request,
        "feed.html",
        user,
        articles=views,
        moved=moved,
        subscriptions=await account_views(session, followed, subscribed={a.id for a in followed}),
        revs={topic.removeprefix(prefix): rev for topic, rev in positions.items()},
        next_url=_next_url("/feed", next_cursor),
        older=cursor is not None,
    )


@router.get("/feed/items")
async def feed_items(
    request: Request, user: WebUser, session: DbSession, cursor: str | None = None
) -> Response:
    """A page of my feed as HTML: the next one for "load more", the first one when a new
    article is announced."""
    if user is None:
        raise NotFound("sign in to see your feed")
    views, next_cursor = await subscriptions.feed(
        session, user_id=user.id, cursor=cursor, limit=PAGE
    )
    return _items(request, user, views, _next_url("/feed", next_cursor))


# -- statistics ------------------------------------------------------------------------------


@router.get("/a/{handle}/stats")
async def stats_page(request: Request, handle: str, user: WebUser, session: DbSession) -> Response:
    """Subscribers over time (an SVG line chart with its numbers in a table) and reads per
    article: for the owner and editors (403 for others)."""
    if user is None:
        return sign_in_first(request)
    account = await accounts.find(session, handle)
    stats = await subscriptions.stats(session, user_id=user.id, handle=handle)
    [view] = await account_views(session, [account])
    return render(
        request,
        "stats.html",
        user,
        a=view,
        stats=stats,
        chart=charts.line_chart([(d.day, d.total) for d in stats.days]),
        most_reads=max((r.read_count for r in stats.articles), default=0),
    )
