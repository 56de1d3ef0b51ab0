"""Creating public accounts, finding them (the directory), their editors, verification."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts import policies as people
from plaza.accounts.models import User
from plaza.accounts.service.sessions import require_active
from plaza.accounts.service.users import get_user
from plaza.clock import Clock
from plaza.errors import Conflict, Forbidden, Invalid, NotFound
from plaza.media.service import attach, detach, record_uses
from plaza.moderation.setup import Moderation
from plaza.moderation.verdicts import ALLOW
from plaza.pagination import BeforeId, decode_cursor, encode_cursor
from plaza.public_accounts import handles, policies
from plaza.public_accounts.models import PublicAccount, PublicAccountEditor, Subscription
from plaza.public_accounts.policies import Role
from plaza.public_accounts.service.screening import screen_account

NOT_FOUND = "no such public account"
AVATAR_SURFACE = "public_account"


@dataclass(frozen=True)
class Profile:
    handle: str
    name: str
    description: str
    avatar_media_id: int | None


def _clean_name(name: str) -> str:
    problem = people.display_name_problem(name)
    if problem:
        raise Invalid(problem.replace("display name", "name"), field="name")
    return people.clean_display_name(name)


def _clean_description(description: str, max_chars: int) -> str:
    description = description.strip()
    if len(description) > max_chars:
        raise Invalid(f"a description is at most {max_chars} characters", field="description")
    return description


async def _taken(session: AsyncSession, handle: str, skeleton: str) -> None:
    """409 if the handle, or one that looks like it, is taken; the message names it."""
    other = await session.scalar(
        select(PublicAccount.handle).where(
            or_(PublicAccount.handle == handle, PublicAccount.skeleton == skeleton)
        )
    )
    if other == handle:
        raise Conflict(f"handle {handle!r} is taken", code="handle_taken", field="handle")
    if other is not None:
        raise Conflict(
            f"handle {handle!r} looks too much like the existing {other!r}",
            code="handle_confusable",
            field="handle",
        )


async def create(
    session: AsyncSession,
    *,
    clock: Clock,
    owner: User,
    profile: Profile,
    max_per_person: int,
    max_description: int,
    moderation: Moderation | None = None,
) -> PublicAccount:
    """A new account, screened (with `moderation`) in the transaction that creates it."""
    require_active(owner, now=clock.now())
    handle = handles.normalize_handle(profile.handle)
    problem = handles.handle_problem(handle)
    if problem:
        raise Invalid(problem, field="handle")
    name = _clean_name(profile.name)
    description = _clean_description(profile.description, max_description)
    owned = await session.scalar(
        select(func.count()).select_from(PublicAccount).where(PublicAccount.owner_id == owner.id)
    )
    if (owned or 0) >= max_per_person:
        raise Forbidden(
            f"one person may own at most {max_per_person} public accounts",
            code="too_many_accounts",
        )
    skeleton = handles.skeleton(handle)
    await _taken(session, handle, skeleton)
    account = PublicAccount(
        handle=handle,
        skeleton=skeleton,
        name=name,
        name_folded=name.casefold(),
        description=description,
        owner_id=owner.id,
        verified=False,
        status="active",
        subscriber_count=0,
        article_seq=0,
        created_at=clock.now(),
    )
    session.add(account)
    try:
        await session.flush()
    except IntegrityError:  # someone took it between the check and the insert
        await session.rollback()
        await _taken(session, handle, skeleton)
        raise
    if profile.avatar_media_id is not None:
        await _set_avatar(session, account, owner.id, profile.avatar_media_id)
    verdict = ALLOW
    if moderation is not None:
        verdict = await screen_account(session, moderation, account=account, editor_id=owner.id)
    await session.commit()
    await verdict.announce()
    return account


async def _set_avatar(
    session: AsyncSession, account: PublicAccount, user_id: int, media_id: int | None
) -> None:
    await detach(session, surface=AVATAR_SURFACE, ref_id=account.id)
    if media_id is not None:
        if media_id != account.avatar_media_id:
            await attach(
                session,
                owner_id=user_id,
                media_ids=[media_id],
                surface=AVATAR_SURFACE,
                ref_id=account.id,
                limit=1,
            )
        else:  # unchanged: it was checked when first set, perhaps by another editor
            await record_uses(session, surface=AVATAR_SURFACE, uses=[(account.id, [media_id])])
    account.avatar_media_id = media_id


async def update(
    session: AsyncSession,
    *,
    clock: Clock,
    user: User,
    handle: str,
    name: str | None,
    description: str | None,
    avatar_media_id: int | None,
    clear_avatar: bool,
    max_description: int,
    moderation: Moderation | None = None,
) -> PublicAccount:
    """Owner or editors change the name, description or avatar (the handle stays); a new
    name or description is screened (with `moderation`) before it is committed."""
    require_active(user, now=clock.now())
    account, role = await account_and_role(session, handle=handle, user_id=user.id)
    if not policies.can_edit(role):
        raise Forbidden("only the account's owner and editors may change it")
    require_open(account)
    if name is not None:
        account.name = _clean_name(name)
        account.name_folded = account.name.casefold()
    if description is not None:
        account.description = _clean_description(description, max_description)
    if clear_avatar or avatar_media_id is not None:
        await _set_avatar(session, account, user.id, None if clear_avatar else avatar_media_id)
    verdict = ALLOW
    if moderation is not None and (name is not None or description is not None):
        verdict = await screen_account(session, moderation, account=account, editor_id=user.id)
    await session.commit()
    await verdict.announce()
    return account


def live() -> ColumnElement[bool]:
    """SQL: the accounts everyone may see (the directory, feeds, cards, live topics): active,
    and neither held nor closed by moderation."""
    return and_(PublicAccount.status == "active", PublicAccount.moderation.is_(None))


def is_live(account: PublicAccount) -> bool:
    """`live`, for an account read already."""
    return account.status == "active" and account.moderation is None


def require_open(account: PublicAccount) -> None:
    """403 `account_closed` for a change to an account moderation closed."""
    if not policies.can_publish(moderation=account.moderation):
        raise Forbidden(
            f"the public account {account.handle!r} was closed by a moderator: it can no "
            "longer publish or change",
            code="account_closed",
        )


async def find(session: AsyncSession, handle: str, *, closed: bool = False) -> PublicAccount:
    """The active account with this handle (any case), or 404; with `closed`, one its owner
    closed too (for its tombstone and its owner's exit). Whether this viewer may see it
    (moderation) is `account_and_role`'s question."""
    handle = handles.normalize_handle(handle)
    if handles.handle_problem(handle):
        raise NotFound(NOT_FOUND)
    query = select(PublicAccount).where(PublicAccount.handle == handle)
    if not closed:
        query = query.where(PublicAccount.status == "active")
    account = await session.scalar(query)
    if account is None:
        raise NotFound(NOT_FOUND)
    return account


async def role_in(session: AsyncSession, account: PublicAccount, user_id: int | None) -> Role:
    if user_id is None:
        return None
    if account.owner_id == user_id:
        return "owner"
    editor = await session.get(PublicAccountEditor, (account.id, user_id))
    return "editor" if editor is not None else None


async def account_and_role(
    session: AsyncSession, *, handle: str, user_id: int | None
) -> tuple[PublicAccount, Role]:
    """The account and the viewer's role in it; 404 if they may not see it (one held or
    closed by moderation is for its owner and editors alone)."""
    account = await find(session, handle)
    return account, await visible_role(session, account, user_id)


async def visible_role(session: AsyncSession, account: PublicAccount, user_id: int | None) -> Role:
    """The viewer's role in an account looked up already; 404 if they may not see it."""
    role = await role_in(session, account, user_id)
    if not policies.can_see_account(
        status=account.status, moderation=account.moderation, role=role
    ):
        raise NotFound(NOT_FOUND)
    return role


async def subscribed_ids(
    session: AsyncSession, user_id: int | None, account_ids: list[int]
) -> set[int]:
    if user_id is None or not account_ids:
        return set()
    return set(
        await session.scalars(
            select(Subscription.account_id).where(
                Subscription.user_id == user_id, Subscription.account_id.in_(account_ids)
            )
        )
    )


def _like_pattern(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def directory(
    session: AsyncSession, *, q: str, cursor: str | None, limit: int
) -> tuple[list[PublicAccount], str | None]:
    """Live accounts (`live`) whose name or handle contains `q` (case-insensitive; for Chinese and
    other scripts without spaces a substring of the name, e.g. "新闻" finds "每日新闻"),
    newest first; all of them when `q` is blank."""
    position = decode_cursor(cursor, BeforeId)
    query = select(PublicAccount).where(live())
    q = people.clean_display_name(q).casefold()
    if q:
        pattern = _like_pattern(q)
        query = query.where(
            or_(
                PublicAccount.name_folded.like(pattern, escape="\\"),
                PublicAccount.handle.like(pattern, escape="\\"),
            )
        )
    if position is not None:
        query = query.where(PublicAccount.id < position.before)
    rows = list(await session.scalars(query.order_by(PublicAccount.id.desc()).limit(limit + 1)))
    if len(rows) > limit:
        return rows[:limit], encode_cursor(BeforeId(before=rows[limit - 1].id))
    return rows, None


async def editors(session: AsyncSession, *, user: User, handle: str) -> list[User]:
    account, role = await account_and_role(session, handle=handle, user_id=user.id)
    if not policies.can_edit(role):
        raise Forbidden("only the account's owner and editors see its editors")
    return await editors_of(session, account.id)


async def editors_of(session: AsyncSession, account_id: int) -> list[User]:
    """The account's editors by username, with no permission check (the caller's)."""
    rows = await session.scalars(
        select(User)
        .join(PublicAccountEditor, PublicAccountEditor.user_id == User.id)
        .where(PublicAccountEditor.account_id == account_id)
        .order_by(User.username)
    )
    return list(rows)


async def add_editor(
    session: AsyncSession, *, clock: Clock, user: User, handle: str, username: str, max_editors: int
) -> User:
    require_active(user, now=clock.now())
    account, role = await account_and_role(session, handle=handle, user_id=user.id)
    if not policies.can_manage_editors(role):
        raise Forbidden("only the account's owner adds editors")
    person = await get_user(session, username=username)
    if person.id == account.owner_id:
        raise Invalid("the owner already edits the account", field="username")
    if person.status != "active":
        raise Invalid(f"{person.username} cannot edit: their account is {person.status}")
    if await session.get(PublicAccountEditor, (account.id, person.id)) is not None:
        return person
    count = await session.scalar(
        select(func.count())
        .select_from(PublicAccountEditor)
        .where(PublicAccountEditor.account_id == account.id)
    )
    if (count or 0) >= max_editors:
        raise Invalid(f"an account has at most {max_editors} editors", field="username")
    session.add(PublicAccountEditor(account_id=account.id, user_id=person.id, added_at=clock.now()))
    try:
        await session.commit()
    except IntegrityError:  # added at the same moment by another request
        await session.rollback()
    return person


async def remove_editor(session: AsyncSession, *, user: User, handle: str, username: str) -> None:
    """The owner removes an editor; an editor may also step down. Not an editor: 404."""
    account, role = await account_and_role(session, handle=handle, user_id=user.id)
    person = await get_user(session, username=username)
    if not (policies.can_manage_editors(role) or (role == "editor" and person.id == user.id)):
        raise Forbidden("only the account's owner removes editors")
    removed = await session.execute(
        delete(PublicAccountEditor).where(
            PublicAccountEditor.account_id == account.id, PublicAccountEditor.user_id == person.id
        )
    )
    if not getattr(removed, "rowcount", 0):
        raise NotFound(f"{person.username} is not an editor of {account.handle}")
    await session.commit()


async def set_verified(
    session: AsyncSession, *, user: User, handle: str, verified: bool
) -> PublicAccount:
    if not policies.can_verify(user.role):
        raise Forbidden("only admins mark public accounts verified")
    account = await find(session, handle)
    account.verified = verified
    await session.commit()
    return account
