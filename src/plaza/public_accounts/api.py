"""JSON routes of public accounts: accounts and the directory, editors, articles (draft,
preview, publish, edit, revisions), reading, likes, subscriptions, the feed and statistics.

Reading is public: the directory, an account, its published articles and an article need no
sign-in. Writing is for the account's owner and editors: to anyone else a draft does not
exist (404), and acting on an account or a published article they can see is a 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.schemas import PersonOut
from plaza.accounts.service.users import users_by_id
from plaza.config import Settings
from plaza.deps import (
    CurrentUser,
    CurrentUserId,
    DbSession,
    ModerationDep,
    OptionalSignIn,
    PageLimit,
    RuntimeDep,
)
from plaza.errors import TooLarge
from plaza.pagination import Page
from plaza.public_accounts import render
from plaza.public_accounts.handles import HANDLE_PATTERN
from plaza.public_accounts.limits import PublicAccountLimits
from plaza.public_accounts.models import Article, PublicAccount
from plaza.public_accounts.policies import Role
from plaza.public_accounts.schemas import (
    QUERY_EDGE_MAX,
    AccountExitOut,
    ArticleIn,
    ArticleOut,
    ArticlePatch,
    ArticleSummaryOut,
    EditorIn,
    FeedOut,
    MovedIn,
    MovedOut,
    PreviewIn,
    PreviewOut,
    PublicAccountIn,
    PublicAccountOut,
    PublicAccountPatch,
    RevisionOut,
    StatsOut,
    VerifiedIn,
)
from plaza.public_accounts.service import (
    accounts,
    articles,
    exits,
    export,
    publishing,
    reading,
    subscriptions,
)
from plaza.public_accounts.service.articles import ArticleLimits
from plaza.public_accounts.service.views import account_views, article_views
from plaza.validation import PathId, PathUsername, QueryCursor, Text
from plaza.web.openapi import errors

router = APIRouter(prefix="/api/v1", tags=["public accounts"])

PathHandle = Annotated[str, Path(pattern=HANDLE_PATTERN, description="the account's handle")]


async def _limits(runtime: RuntimeDep) -> PublicAccountLimits:
    return PublicAccountLimits.of(runtime.settings, runtime.limiter)


Limits = Annotated[PublicAccountLimits, Depends(_limits)]


def _article_limits(settings: Settings) -> ArticleLimits:
    return ArticleLimits(
        title_max=settings.article_title_max_chars,
        body_max=settings.article_body_max_chars,
        max_pictures=settings.article_max_pictures,
    )


async def _account_out(
    session: AsyncSession, account: PublicAccount, user_id: int | None
) -> PublicAccountOut:
    role = await accounts.role_in(session, account, user_id)
    subscribed = (
        None if user_id is None else await accounts.subscribed_ids(session, user_id, [account.id])
    )
    [view] = await account_views(
        session, [account], subscribed=subscribed, roles={account.id: role}
    )
    return PublicAccountOut.of(view)


# -- accounts --------------------------------------------------------------------------------


@router.post(
    "/public-accounts",
    status_code=201,
    response_model=PublicAccountOut,
    responses=errors(409, 429),
)
async def create_account(
    body: PublicAccountIn,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    limits: Limits,
    moderation: ModerationDep,
) -> PublicAccountOut:
    """Create a public account that I own. The handle is unique regardless of case and of
    look-alike characters: 409 `handle_taken`, or `handle_confusable` naming the handle it
    resembles ("paypa1" next to "paypal"). The name follows the rules of display names. At
    most PLAZA_PUBLIC_ACCOUNTS_PER_PERSON per person (403 `too_many_accounts`)."""
    await limits.check_write(user.id)
    settings = runtime.settings
    account = await accounts.create(
        session,
        clock=runtime.clock,
        owner=user,
        profile=accounts.Profile(
            handle=body.handle,
            name=body.name,
            description=body.description,
            avatar_media_id=body.avatar_media_id,
        ),
        max_per_person=settings.public_accounts_per_person,
        max_description=settings.public_account_description_max_chars,
        moderation=moderation,
    )
    return await _account_out(session, account, user.id)


@router.get("/public-accounts", response_model=Page[PublicAccountOut])
async def directory(
    session: DbSession,
    signed_in: OptionalSignIn,
    limit: PageLimit,
    q: Annotated[
        Text, Query(max_length=QUERY_EDGE_MAX, description="part of a name or handle")
    ] = "",
    cursor: QueryCursor = None,
) -> Page[PublicAccountOut]:
    """The directory, newest first: accounts whose name or handle contains `q`, regardless of
    case (Chinese names match by substring: "新闻" finds "每日新闻"). No sign-in needed."""
    rows, next_cursor = await accounts.directory(session, q=q, cursor=cursor, limit=limit)
    user_id = signed_in.user.id if signed_in else None
    subscribed = (
        None
        if user_id is None
        else await accounts.subscribed_ids(session, user_id, [a.id for a in rows])
    )
    views = await account_views(session, rows, subscribed=subscribed)
    return Page(items=[PublicAccountOut.of(v) for v in views], next_cursor=next_cursor)


@router.get("/public-accounts/{handle}", response_model=PublicAccountOut)
async def get_account(
    handle: PathHandle, session: DbSession, signed_in: OptionalSignIn
) -> PublicAccountOut:
    """A public account, to anyone (no sign-in needed); one moderation holds or closed, to
    its owner and editors only (marked: `moderation`)."""
    user_id = signed_in.user.id if signed_in else None
    account, _role = await accounts.account_and_role(session, handle=handle, user_id=user_id)
    return await _account_out(session, account, user_id)


@router.patch("/public-accounts/{handle}", response_model=PublicAccountOut, responses=errors(429))
async def update_account(
    handle: PathHandle,
    body: PublicAccountPatch,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    limits: Limits,
    moderation: ModerationDep,
) -> PublicAccountOut:
    """The owner or an editor changes the name, description or avatar (403 for others)."""
    await limits.check_write(user.id)
    account = await accounts.update(
        session,
        clock=runtime.clock,
        user=user,
        handle=handle,
        name=body.name,
        description=body.description,
        avatar_media_id=body.avatar_media_id,
        clear_avatar=body.clear_avatar,
        max_description=runtime.settings.public_account_description_max_chars,
        moderation=moderation,
    )
    return await _account_out(session, account, user.id)


@router.put("/public-accounts/{handle}/verified", response_model=PublicAccountOut)
async def set_verified(
    handle: PathHandle, body: VerifiedIn, user: CurrentUser, session: DbSession
) -> PublicAccountOut:
    """Admins mark an account verified, or take the mark away (403 for anyone else)."""
    account = await accounts.set_verified(session, user=user, handle=handle, verified=body.verified)
    return await _account_out(session, account, user.id)


@router.get("/public-accounts/{handle}/editors", response_model=Page[PersonOut])
async def list_editors(
    handle: PathHandle, user: CurrentUser, session: DbSession
) -> Page[PersonOut]:
    """The account's editors (besides its owner): for the owner and editors (403 for others)."""
    people = await accounts.editors(session, user=user, handle=handle)
    return Page(items=[PersonOut.model_validate(p) for p in people], next_cursor=None)


@router.post(
    "/public-accounts/{handle}/editors",
    status_code=201,
    response_model=PersonOut,
    responses=errors(429),
)
async def add_editor(
    handle: PathHandle,
    body: EditorIn,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    limits: Limits,
) -> PersonOut:
    """The owner makes someone an editor (again: no change). Editors draft, publish and edit
    articles and see statistics; only the owner manages editors (403 for others)."""
    await limits.check_write(user.id)
    person = await accounts.add_editor(
        session,
        clock=runtime.clock,
        user=user,
        handle=handle,
        username=body.username,
        max_editors=runtime.settings.public_account_editors_max,
    )
    return PersonOut.model_validate(person)


@router.delete("/public-accounts/{handle}/editors/{username}", status_code=204)
async def remove_editor(
    handle: PathHandle, username: PathUsername, user: CurrentUser, session: DbSession
) -> Response:
    """The owner removes an editor, or an editor steps down (404 if they are not one)."""
    await accounts.remove_editor(session, user=user, handle=handle, username=username)
    return Response(status_code=204)


@router.get("/public-accounts/{handle}/stats", response_model=StatsOut)
async def account_stats(handle: PathHandle, user_id: CurrentUserId, session: DbSession) -> StatsOut:
    """Subscribers per day (subscriptions, unsubscriptions, running total) and reads and likes
    per published article: for the owner and editors (403 for others)."""
    return StatsOut.of(await subscriptions.stats(session, user_id=user_id, handle=handle))


# -- subscriptions and the feed --------------------------------------------------------------


async def _subscription(
    handle: str, subscribed: bool, user: CurrentUser, session: DbSession, runtime: RuntimeDep
) -> PublicAccountOut:
    account = await subscriptions.set_subscribed(
        session,
        clock=runtime.clock,
        bus=runtime.bus,
        user=user,
        handle=handle,
        subscribed=subscribed,
    )
    return await _account_out(session, account, user.id)


@router.post(
    "/public-accounts/{handle}/subscription",
    response_model=PublicAccountOut,
    responses=errors(429),
)
async def subscribe(
    handle: PathHandle, user: CurrentUser, session: DbSession, runtime: RuntimeDep, limits: Limits
) -> PublicAccountOut:
    """Follow the account (again: no change): its articles come into my feed, and my open
    streams hear `article.published` as they come out."""
    await limits.check_subscription(user.id)
    return await _subscription(handle, True, user, session, runtime)


@router.delete(
    "/public-accounts/{handle}/subscription",
    response_model=PublicAccountOut,
    responses=errors(429),
)
async def unsubscribe(
    handle: PathHandle, user: CurrentUser, session: DbSession, runtime: RuntimeDep, limits: Limits
) -> PublicAccountOut:
    """Stop following the account (not following: no change)."""
    await limits.check_subscription(user.id)
    return await _subscription(handle, False, user, session, runtime)


@router.get("/subscriptions", response_model=Page[PublicAccountOut])
async def my_subscriptions(
    user_id: CurrentUserId, session: DbSession, limit: PageLimit, cursor: QueryCursor = None
) -> Page[PublicAccountOut]:
    """The accounts I follow, the most recently followed first."""
    rows, next_cursor = await subscriptions.my_subscriptions(
        session, user_id=user_id, cursor=cursor, limit=limit
    )
    views = await account_views(session, rows, subscribed={a.id for a in rows})
    return Page(items=[PublicAccountOut.of(v) for v in views], next_cursor=next_cursor)


@router.get("/feed", response_model=FeedOut)
async def feed(
    user_id: CurrentUserId,
    session: DbSession,
    moderation: ModerationDep,
    limit: PageLimit,
    cursor: QueryCursor = None,
) -> FeedOut:
    """The newest articles of the accounts I follow, newest first (by first publication);
    `moved` holds the "moved to" notices of closed accounts I follow."""
    views, next_cursor = await subscriptions.feed(
        session, user_id=user_id, cursor=cursor, limit=limit
    )
    moved = await exits.notices_for(session, moderation=moderation, user_id=user_id)
    return FeedOut(
        items=[ArticleSummaryOut.of(v) for v in views],
        next_cursor=next_cursor,
        moved=[MovedOut.of(m) for m in moved],
    )


# -- articles --------------------------------------------------------------------------------


@router.post(
    "/public-accounts/{handle}/articles",
    status_code=201,
    response_model=ArticleOut,
    responses=errors(429),
)
async def create_draft(
    handle: PathHandle,
    body: ArticleIn,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    limits: Limits,
) -> ArticleOut:
    """Write a draft (only the owner and editors; 403 for others). The body is Markdown,
    rendered and sanitized on the server; pictures are uploads of mine written
    `![alt](/api/v1/media/<id>)` (422 `unknown_media` otherwise). Sizes: PLAZA_ARTICLE_*
    (413 for a body over PLAZA_ARTICLE_BODY_MAX_CHARS). Publish it with
    `POST /articles/{id}/publish`."""
    await limits.check_write(user.id)
    article, role = await articles.create_draft(
        session,
        clock=runtime.clock,
        user=user,
        handle=handle,
        title=body.title,
        body=body.body,
        cover_media_id=body.cover_media_id,
        limits=_article_limits(runtime.settings),
    )
    return await _article_out(session, article, user.id, role)


async def _article_out(
    session: AsyncSession, article: Article, user_id: int | None, role: Role
) -> ArticleOut:
    [view] = await article_views(
        session, [article], viewer_id=user_id, roles={article.account_id: role}
    )
    return ArticleOut.of(view)


@router.get("/public-accounts/{handle}/articles", response_model=Page[ArticleSummaryOut])
async def account_articles(
    handle: PathHandle,
    session: DbSession,
    signed_in: OptionalSignIn,
    limit: PageLimit,
    cursor: QueryCursor = None,
    drafts: Annotated[
        bool, Query(description="the account's drafts instead (its owner and editors only)")
    ] = False,
) -> Page[ArticleSummaryOut]:
    """The account's published articles, newest first; no sign-in needed."""
    views, next_cursor = await reading.account_articles(
        session,
        viewer_id=signed_in.user.id if signed_in else None,
        handle=handle,
        drafts=drafts,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[ArticleSummaryOut.of(v) for v in views], next_cursor=next_cursor)


@router.post("/articles/preview", response_model=PreviewOut, responses=errors(429))
async def preview(
    body: PreviewIn, user_id: CurrentUserId, runtime: RuntimeDep, limits: Limits
) -> PreviewOut:
    """The HTML a body would publish as: the same renderer and sanitizer as publishing (the
    editor's live preview). Stores nothing."""
    await limits.check_preview(user_id)
    max_chars = runtime.settings.article_body_max_chars
    if len(body.body) > max_chars:
        raise TooLarge(f"an article body is at most {max_chars} characters", field="body")
    return PreviewOut(html=render.render(body.body))


@router.get("/articles/{article_id}", response_model=ArticleOut)
async def get_article(
    article_id: PathId, session: DbSession, signed_in: OptionalSignIn, runtime: RuntimeDep
) -> ArticleOut:
    """A published article, to anyone (no sign-in needed); a draft, to its account's owner
    and editors (404 to others). Counts a read: once per signed-in reader, and each
    signed-out request."""
    view = await reading.read(
        session,
        clock=runtime.clock,
        viewer_id=signed_in.user.id if signed_in else None,
        article_id=article_id,
    )
    return ArticleOut.of(view)


@router.patch("/articles/{article_id}", response_model=ArticleOut, responses=errors(429))
async def edit_article(
    article_id: PathId,
    body: ArticlePatch,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    limits: Limits,
    moderation: ModerationDep,
) -> ArticleOut:
    """Change a draft; a published article gets a new revision (all are kept; see
    `GET /articles/{id}/revisions`). Owner and editors only (403 for a published article of
    someone else's account, 404 for a draft)."""
    await limits.check_write(user.id)
    article, role = await articles.edit(
        session,
        clock=runtime.clock,
        user=user,
        article_id=article_id,
        title=body.title,
        body=body.body,
        cover_media_id=body.cover_media_id,
        clear_cover=body.clear_cover,
        limits=_article_limits(runtime.settings),
        moderation=moderation,
    )
    return await _article_out(session, article, user.id, role)


@router.delete("/articles/{article_id}", status_code=204)
async def remove_article(article_id: PathId, user: CurrentUser, session: DbSession) -> Response:
    """Remove an article (or discard a draft): gone for readers, its shared cards say so;
    its revisions are kept. Owner and editors only."""
    await articles.remove(session, user=user, article_id=article_id)
    return Response(status_code=204)


@router.post("/articles/{article_id}/publish", response_model=ArticleOut, responses=errors(429))
async def publish_article(
    article_id: PathId,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    limits: Limits,
    moderation: ModerationDep,
) -> ArticleOut:
    """Publish a draft: it joins subscribers' feeds and online subscribers hear
    `article.published` on the account's topic. At most PLAZA_ARTICLES_PER_ACCOUNT_PER_DAY in
    any 24 hours: past it a 429 saying when publishing is possible again. A refused publish
    leaves the draft as it was."""
    await limits.check_write(user.id)
    article, role = await publishing.publish(
        session,
        clock=runtime.clock,
        bus=runtime.bus,
        user=user,
        article_id=article_id,
        limits=_article_limits(runtime.settings),
        per_day=runtime.settings.articles_per_account_per_day,
        moderation=moderation,
    )
    return await _article_out(session, article, user.id, role)


@router.get("/articles/{article_id}/revisions", response_model=Page[RevisionOut])
async def revisions(
    article_id: PathId, user_id: CurrentUserId, session: DbSession
) -> Page[RevisionOut]:
    """Every published revision, newest first: owner and editors only."""
    rows = await articles.revisions(session, user_id=user_id, article_id=article_id)
    people = await users_by_id(session, {r.editor_id for r in rows})
    return Page(
        items=[RevisionOut.of(r, PersonOut.model_validate(people[r.editor_id])) for r in rows],
        next_cursor=None,
    )


async def _like(
    article_id: int, liked: bool, user: CurrentUser, session: DbSession, runtime: RuntimeDep
) -> ArticleOut:
    view = await reading.set_like(
        session, clock=runtime.clock, user=user, article_id=article_id, liked=liked
    )
    return ArticleOut.of(view)


@router.post("/articles/{article_id}/like", response_model=ArticleOut, responses=errors(429))
async def like(
    article_id: PathId, user: CurrentUser, session: DbSession, runtime: RuntimeDep, limits: Limits
) -> ArticleOut:
    """Like a published article (again: no change)."""
    await limits.check_like(user.id)
    return await _like(article_id, True, user, session, runtime)


@router.delete("/articles/{article_id}/like", response_model=ArticleOut, responses=errors(429))
async def unlike(
    article_id: PathId, user: CurrentUser, session: DbSession, runtime: RuntimeDep, limits: Limits
) -> ArticleOut:
    """Take my like back (none: no change)."""
    await limits.check_like(user.id)
    return await _like(article_id, False, user, session, runtime)


# -- a publisher's exit (issue #13) ---------------------------------------------------------


def _exit_out(account: PublicAccount, settings: Settings) -> AccountExitOut:
    return AccountExitOut.of(
        account, exits.changes_left(account, settings.public_account_moved_changes)
    )


@router.post(
    "/public-accounts/{handle}/close", response_model=AccountExitOut, responses=errors(429)
)
async def close_account(
    handle: PathHandle, user: CurrentUser, session: DbSession, runtime: RuntimeDep, limits: Limits
) -> AccountExitOut:
    """The owner closes the account, for good (403 `not_owner` for editors and others who
    can see it): its pages become a tombstone (410), it publishes nothing more, its handle
    stays taken and its subscribers keep their subscription, to see its moved notice.
    Closing it again changes nothing."""
    await limits.check_write(user.id)
    account = await exits.close(
        session, clock=runtime.clock, bus=runtime.bus, user=user, handle=handle
    )
    return _exit_out(account, runtime.settings)


@router.put(
    "/public-accounts/{handle}/moved",
    response_model=AccountExitOut,
    responses=errors(409, 429),
)
async def set_moved(
    handle: PathHandle,
    body: MovedIn,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    limits: Limits,
    moderation: ModerationDep,
) -> AccountExitOut:
    """The owner of a closed account (closed by them or by a moderator) says where it moved:
    an https URL or another live account's @handle, nothing else (422 otherwise). Its
    subscribers see it in their feed, on the tombstone and in the Atom feed's 410. 409
    `account_open` for an open account; 403 `moved_notice_forbidden` when the closing
    decision cites a policy that allows no moved notice (spam and scams, child sexual
    exploitation); it may be changed PLAZA_PUBLIC_ACCOUNT_MOVED_CHANGES times (409
    `moved_notice_final` beyond), never removed."""
    await limits.check_write(user.id)
    account = await exits.set_moved(
        session,
        clock=runtime.clock,
        moderation=moderation,
        user=user,
        handle=handle,
        to=body.to,
        max_changes=runtime.settings.public_account_moved_changes,
    )
    return _exit_out(account, runtime.settings)


@router.get(
    "/public-accounts/{handle}/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "A zip: account.json, subscribers.json/.csv, articles/<id>/ "
            "(article.json with every revision, revision-<n>.md with front matter) and media/.",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        },
        **errors(403, 429),
    },
)
async def export_account(
    handle: PathHandle,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    limits: Limits,
) -> StreamingResponse:
    """The owner's export of the account (403 for its editors and others who can see it),
    also when the account, or the owner, is closed or suspended: its subscriber count
    history and every article with every revision, as JSON and Markdown with its pictures."""
    await limits.check_write(user.id)
    name, spool = await export.build(
        session,
        clock=runtime.clock,
        storage=request.app.state.media.storage,
        user_id=user.id,
        handle=handle,
    )
    return StreamingResponse(
        export.chunks(spool),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
