"""A publisher's exit (issue #13): its owner closing a public account, the one neutral "moved
to" notice a closed account may leave its subscribers, and the notices a subscriber sees.

Closing by the owner is final (status "closed", `closed_at`): the handle stays taken, so
nobody can take over the address its subscribers know, and nothing is deleted: the
subscriptions stay (their holders see the notice) and the owner keeps the export
(`service.export`). An operator can still reopen one in the database.

The notice of an account moderation or its owner closed is an https URL or "@handle" of
another live public account, and nothing else: no free text, so it cannot carry on what got
the account closed. It may be changed PLAZA_PUBLIC_ACCOUNT_MOVED_CHANGES times after it is
first set (a typo, a second move), never cleared. It is refused (403
`moved_notice_forbidden`) when the moderation decision that closed the account cites a policy
whose `allows_moved_notice` is false (a scam's next address would send its victims on), and
it is not shown if such a decision comes later. Posting it needs an active person, like
everything that reaches others; the export does not.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.sessions import require_active
from plaza.bus import Bus
from plaza.clock import Clock
from plaza.errors import Conflict, Forbidden, Invalid, NotFound
from plaza.live.envelope import pack
from plaza.moderation.setup import Moderation
from plaza.public_accounts import handles, policies
from plaza.public_accounts.models import PublicAccount, Subscription
from plaza.public_accounts.service import accounts, tombstones
from plaza.public_accounts.service.publishing import topic
from plaza.public_accounts.service.tombstones import Moved

MOVED_TO_MAX = 200  # the column's width
NOTICES_SHOWN = 50  # moved notices listed atop one person's feed
# An https URL as typed: printable ASCII without spaces (IDN hosts in their xn-- form).
_URL = re.compile(r"https://[\x21-\x7e]+", re.IGNORECASE)


async def owned(session: AsyncSession, *, user_id: int, handle: str) -> PublicAccount:
    """The account (open or closed) if `user_id` owns it; 403 for its editors and for anyone
    who may see it, 404 for the others (as for any account they cannot see)."""
    account = await accounts.find(session, handle, closed=True)
    role = await accounts.role_in(session, account, user_id)
    if role == "owner":
        return account
    if policies.can_see_account(status=account.status, moderation=account.moderation, role=role):
        raise Forbidden("only the account's owner may do this", code="not_owner")
    raise NotFound(accounts.NOT_FOUND)


async def close(
    session: AsyncSession, *, clock: Clock, bus: Bus, user: User, handle: str
) -> PublicAccount:
    """The owner closes the account for good; closing it again changes nothing. As when a
    moderator closes one, `public_account.closed` ends its live topic: open feeds drop its
    articles at once."""
    require_active(user, now=clock.now())
    account = await owned(session, user_id=user.id, handle=handle)
    if account.status == "closed":
        return account
    was_live = accounts.is_live(account)
    account.status = "closed"
    account.closed_at = clock.now()
    await session.commit()
    if was_live:
        event = {
            "type": "public_account.closed",
            "account": {"handle": account.handle, "name": account.name},
        }
        await bus.publish(topic(account.id), pack(event, end=True))
    return account


async def _target(session: AsyncSession, account: PublicAccount, to: str) -> str:
    """The notice's target, checked: an https URL, or "@handle" of another live account."""
    to = to.strip()
    if to.startswith("@"):
        handle = handles.normalize_handle(to[1:])
        if handles.handle_problem(handle) or handle == account.handle:
            raise Invalid("name another public account as @handle", field="to")
        other = await session.scalar(
            select(PublicAccount).where(PublicAccount.handle == handle, accounts.live())
        )
        if other is None:
            raise Invalid(f"there is no public account @{handle}", field="to")
        return f"@{handle}"
    parts = urlsplit(to) if _URL.fullmatch(to) else None
    if (
        parts is None
        or len(to) > MOVED_TO_MAX
        or not parts.hostname
        or "." not in parts.hostname
        or parts.username is not None
    ):
        raise Invalid(
            f"give an https:// address (at most {MOVED_TO_MAX} characters, no spaces) or "
            "another public account's @handle",
            field="to",
        )
    return to


async def set_moved(
    session: AsyncSession,
    *,
    clock: Clock,
    moderation: Moderation,
    user: User,
    handle: str,
    to: str,
    max_changes: int,
) -> PublicAccount:
    """The owner sets (or changes) the closed account's moved notice."""
    require_active(user, now=clock.now())
    account = await owned(session, user_id=user.id, handle=handle)
    if not tombstones.closed(account):
        raise Conflict(
            "only a closed account leaves a moved notice: close it first", code="account_open"
        )
    record = await tombstones.closing_record(session, moderation, account)
    policy = tombstones.forbidding_policy(moderation, record)
    if policy is not None:
        raise Forbidden(
            f"the account was closed under the policy “{policy.title}”, which allows no "
            "moved notice",
            code="moved_notice_forbidden",
        )
    target = await _target(session, account, to)
    if account.moved_to == target:
        return account
    if account.moved_to is not None:
        if account.moved_changes >= max_changes:
            raise Conflict(
                f"the moved notice was changed {account.moved_changes} times already, the "
                f"most allowed ({max_changes})",
                code="moved_notice_final",
            )
        account.moved_changes += 1
    account.moved_to = target
    account.moved_at = clock.now()
    await session.commit()
    return account


def changes_left(account: PublicAccount, max_changes: int) -> int:
    return max(0, max_changes - account.moved_changes) if account.moved_to else max_changes


async def notices_for(
    session: AsyncSession, *, moderation: Moderation, user_id: int
) -> list[Moved]:
    """The moved notices of the closed accounts `user_id` follows, the newest first."""
    rows = await session.scalars(
        select(PublicAccount)
        .join(Subscription, Subscription.account_id == PublicAccount.id)
        .where(
            Subscription.user_id == user_id,
            PublicAccount.moved_to.is_not(None),
            or_(PublicAccount.status == "closed", PublicAccount.moderation == "closed"),
        )
        .order_by(PublicAccount.moved_at.desc(), PublicAccount.id.desc())
        .limit(NOTICES_SHOWN)
    )
    notices = []
    for account in rows:
        stone = await tombstones.of_account(session, moderation, account)
        if stone is not None and stone.moved is not None:
            notices.append(stone.moved)
    return notices
