"""Managing a group: adding and removing members, leaving, renaming, appointing admins.

Additions follow the block rules of `conversations` (a person who blocked the adder is added
as far as anyone can tell, but the membership is hidden from them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.sessions import require_active
from plaza.accounts.service.users import get_user, users_by_name
from plaza.bus import Bus
from plaza.chat import policies
from plaza.chat.limits import ChatLimits
from plaza.chat.models import Conversation, Member
from plaza.chat.service import events
from plaza.chat.service.conversations import (
    ConversationView,
    announce_joined,
    check_can_add,
    check_title,
    get_view,
    membership,
)
from plaza.clock import Clock
from plaza.errors import Conflict, Forbidden, Invalid, NotFound


async def _group_for_manager(
    session: AsyncSession, *, actor: User, conversation_id: int
) -> tuple[Conversation, Member]:
    member = await membership(session, conversation_id=conversation_id, user_id=actor.id)
    conversation = await session.get(Conversation, conversation_id)
    assert conversation is not None
    if conversation.kind != "group":
        raise Invalid("a direct conversation's members cannot change", field="conversation_id")
    return conversation, member


async def add_member(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus,
    actor: User,
    conversation_id: int,
    username: str,
    max_members: int,
    limits: ChatLimits | None = None,
) -> ConversationView:
    """Add a friend to a group; counts against `limits` (member additions per person)."""
    require_active(actor, now=clock.now())
    _conversation, me = await _group_for_manager(
        session, actor=actor, conversation_id=conversation_id
    )
    if not policies.can_manage_members(me.role):
        raise Forbidden("only the owner and admins add members")
    target = await get_user(session, username=username)
    if await session.get(Member, (conversation_id, target.id)) is not None:
        raise Conflict(f"{target.username} is already a member", code="already_member")
    hidden = await check_can_add(session, actor=actor, target=target)
    count = await session.scalar(
        select(func.count()).select_from(Member).where(Member.conversation_id == conversation_id)
    )
    if (count or 0) + 1 > max_members:
        raise Conflict(f"a group has at most {max_members} members", code="group_full")
    if limits is not None:
        await limits.check_member_add(actor.id)
    now = clock.now()
    seq, rev = await events.bump(session, conversation_id, now=now)
    session.add(
        Member(
            conversation_id=conversation_id,
            user_id=target.id,
            joined_at=now,
            history_from_seq=seq + 1,
            last_read_seq=seq,
            hidden=hidden,
        )
    )
    await events.commit_change(
        session,
        bus,
        conversation_id=conversation_id,
        seq=seq,
        rev=rev,
        now=now,
        type="member.added",
        user=target.username,
        by=actor.username,
    )
    view = await get_view(session, user=actor, conversation_id=conversation_id)
    if not hidden:
        await announce_joined(bus, view, target.id)
    return view


async def remove_member(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus,
    actor: User,
    conversation_id: int,
    username: str,
) -> None:
    """Remove someone from a group, or leave it (username = yourself)."""
    _conversation, me = await _group_for_manager(
        session, actor=actor, conversation_id=conversation_id
    )
    target = await get_user(session, username=username)
    target_member = await session.get(Member, (conversation_id, target.id))
    if target_member is None:
        raise NotFound(f"{target.username} is not a member")
    is_self = target.id == actor.id
    if not policies.can_remove(me.role, target_member.role, is_self=is_self):
        raise Forbidden(f"you may not remove {target.username}")
    now = clock.now()
    seq, rev = await events.bump(session, conversation_id, now=now)
    if target_member.role == "owner":
        await _hand_over_ownership(session, conversation_id=conversation_id, leaving=target.id)
    await session.delete(target_member)
    await events.commit_change(
        session,
        bus,
        conversation_id=conversation_id,
        seq=seq,
        rev=rev,
        now=now,
        type="member.removed",
        unfollow_users=[target.id],
        user=target.username,
        by=actor.username,
    )


async def _hand_over_ownership(
    session: AsyncSession, *, conversation_id: int, leaving: int
) -> None:
    """A leaving owner passes the group to the longest-serving admin, else member."""
    rows = await session.scalars(
        select(Member)
        .where(
            Member.conversation_id == conversation_id,
            Member.user_id != leaving,
            Member.hidden.is_(False),
        )
        .order_by(Member.role != "admin", Member.joined_at)
        .limit(1)
    )
    heir = rows.first()
    if heir is not None:
        heir.role = "owner"


async def update(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus,
    actor: User,
    conversation_id: int,
    title: str | None = None,
    roles: dict[str, str] | None = None,
) -> ConversationView:
    """Rename a group (owner/admins) or appoint and dismiss admins (owner)."""
    require_active(actor, now=clock.now())
    conversation, me = await _group_for_manager(
        session, actor=actor, conversation_id=conversation_id
    )
    changes: dict[str, Any] = {}
    if title is not None:
        if not policies.can_rename(me.role):
            raise Forbidden("only the owner and admins rename the group")
        changes["title"] = check_title(title)
    if roles:
        if not policies.can_set_roles(me.role):
            raise Forbidden("only the owner appoints admins")
        found = await users_by_name(session, list(roles))
        for name, role in roles.items():
            if role not in {"admin", "member"}:
                raise Invalid("role must be admin or member", field="roles")
            user = found.get(name.strip().lower())
            member = await session.get(Member, (conversation_id, user.id)) if user else None
            if member is None or member.role == "owner":
                raise Invalid(f"{name} is not a member you can change", field="roles")
            member.role = role
        changes["roles"] = {k.strip().lower(): v for k, v in roles.items()}
    if not changes:
        return await get_view(session, user=actor, conversation_id=conversation_id)
    now = clock.now()
    seq, rev = await events.bump(session, conversation_id, now=now)
    if "title" in changes:
        conversation.title = changes["title"]
    await events.commit_change(
        session,
        bus,
        conversation_id=conversation_id,
        seq=seq,
        rev=rev,
        now=now,
        type="conversation.updated",
        by=actor.username,
        **changes,
    )
    return await get_view(session, user=actor, conversation_id=conversation_id)
