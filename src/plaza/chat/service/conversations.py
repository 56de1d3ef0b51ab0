"""Starting conversations, listing them, and managing group members.

Blocks are invisible to the blocked person (design.md §9). Someone who has blocked you can
still be put in a conversation by you, as far as you (and everyone else) can tell: the add
answers like any other and they are listed as a member. But their membership is hidden from
them: the conversation is not in their list, is a 404 for them, sends them no events (not even
`conversation.joined`) and takes no messages from them. (Signal treats invitations from
blocked people the same way.) So `not_friends` only ever means "not friends". A blocker who
starts a direct chat with the person they blocked un-hides their own side of it.

A message withheld from the blocker (see `sending`) leaves no trace for them: it is not in
their history or last message, not counted as unread, and does not move the conversation up
their list (the sender's list moves through their own `Member.activity_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.friends import are_friends, is_blocked
from plaza.accounts.service.sessions import require_active
from plaza.accounts.service.users import users_by_name
from plaza.bus import Bus
from plaza.chat import policies
from plaza.chat.limits import ChatLimits
from plaza.chat.models import Conversation, Member, Message
from plaza.chat.service import events
from plaza.chat.service.visibility import shown_to
from plaza.clock import Clock
from plaza.errors import Forbidden, Invalid, NotFound
from plaza.pagination import BeforeTimeAndId, decode_cursor, encode_cursor

TITLE_MAX = 100


@dataclass
class MemberView:
    user: User
    role: str


@dataclass
class ConversationView:
    conversation: Conversation
    members: list[MemberView]
    my_role: str
    unread: int
    last_message: dict[str, Any] | None = None
    # The last message this viewer has read (where the "new messages" divider goes).
    last_read_seq: int = 0
    # When the conversation last moved, as this viewer may know it (their list's order).
    activity_at: datetime | None = None


async def membership(session: AsyncSession, *, conversation_id: int, user_id: int) -> Member:
    """The caller's membership, or 404: non-members may not learn a conversation exists."""
    member = await session.get(Member, (conversation_id, user_id))
    if member is None or member.hidden:
        raise NotFound("no such conversation")
    return member


def _activity_key():
    """A member's list position: the later of the conversation's activity and their own."""
    return case(
        (Member.activity_at > Conversation.last_activity_at, Member.activity_at),
        else_=Conversation.last_activity_at,
    )


def _activity_of(conversation: Conversation, member: Member) -> datetime:
    if member.activity_at is not None and member.activity_at > conversation.last_activity_at:
        return member.activity_at
    return conversation.last_activity_at


def _unread(conversation: Conversation, member: Member, hidden: int) -> int:
    return max(0, conversation.last_seq - member.last_read_seq - hidden)


def _after_read_marker(
    conversation_ids: list[int], viewer_id: int, *rule: ColumnElement[bool]
) -> Select[int]:
    """Others' messages of these conversations after the viewer's read marker, that `rule`
    picks out (each rule matches a small partial index: see `Message`)."""
    return (
        select(Message.conversation_id)
        .join(
            Member,
            and_(Member.conversation_id == Message.conversation_id, Member.user_id == viewer_id),
        )
        .where(
            Message.conversation_id.in_(conversation_ids),
            *rule,
            Message.seq > Member.last_read_seq,
            Message.sender_id != viewer_id,
        )
    )


async def _hidden_unread(
    session: AsyncSession, conversation_ids: list[int], *, viewer_id: int
) -> dict[int, int]:
    """Per conversation, the messages after the viewer's read marker that are not theirs to
    read: withheld from them, or held or removed by moderation. Unread counts leave these
    out; each kind is rare and read from its own small index."""
    if not conversation_ids:
        return {}
    hidden = union_all(
        _after_read_marker(
            conversation_ids,
            viewer_id,
            Message.withheld == True,  # noqa: E712  (matches the partial index's predicate)
        ),
        _after_read_marker(
            conversation_ids,
            viewer_id,
            Message.moderation.is_not(None),
            Message.withheld == False,  # noqa: E712  (counted above)
        ),
    ).subquery()
    rows = await session.execute(
        select(hidden.c.conversation_id, func.count()).group_by(hidden.c.conversation_id)
    )
    return {cid: count for cid, count in rows}


async def _members(session: AsyncSession, conversation_id: int) -> list[MemberView]:
    rows = (
        await session.execute(
            select(Member, User)
            .join(User, User.id == Member.user_id)
            .where(Member.conversation_id == conversation_id)
            .order_by(Member.joined_at, User.username)
        )
    ).all()
    return [MemberView(user, member.role) for member, user in rows]


def check_title(title: str) -> str:
    title = title.strip()
    if len(title) > TITLE_MAX:
        raise Invalid(f"title must be at most {TITLE_MAX} characters", field="title")
    return title


async def check_can_add(session: AsyncSession, *, actor: User, target: User) -> bool:
    """Only your friends can be put in a conversation. Returns whether the target's
    membership must be hidden from them (they have blocked the actor; see the module
    docstring), which the actor is never told."""
    if not await are_friends(session, user_id=actor.id, other_id=target.id):
        raise Forbidden(f"{target.username} is not your friend", code="not_friends")
    return await is_blocked(session, blocker_id=target.id, blocked_id=actor.id)


async def create(
    session: AsyncSession,
    *,
    clock: Clock,
    bus: Bus,
    creator: User,
    kind: str,
    usernames: list[str],
    title: str,
    max_members: int,
    limits: ChatLimits | None = None,
) -> tuple[ConversationView, bool]:
    """Start a conversation; returns it and whether it is new (a direct chat is reused).
    New groups count against `limits` (groups per person)."""
    require_active(creator, now=clock.now())
    if kind not in {"direct", "group"}:
        raise Invalid("kind must be direct or group", field="kind")
    names = list(dict.fromkeys(n.strip().lower() for n in usernames if n.strip()))
    names = [n for n in names if n != creator.username]
    found = await users_by_name(session, names)
    missing = [n for n in names if n not in found]
    if missing:
        raise NotFound(f"no user called {missing[0]!r}")
    others = [found[n] for n in names]
    if kind == "direct":
        if len(others) != 1:
            raise Invalid("a direct conversation has exactly one other member", field="members")
        view, created, joined = await _create_direct(
            session, clock=clock, creator=creator, other=others[0]
        )
        for user_id in joined:
            await announce_joined(bus, view, user_id)
        return view, created
    if not others:
        raise Invalid("a group needs at least one other member: pick a friend", field="members")
    if len(others) + 1 > max_members:
        raise Invalid(f"a group has at most {max_members} members", field="members")
    if limits is not None:
        await limits.check_group(creator.id)
    hidden = {
        other.id for other in others if await check_can_add(session, actor=creator, target=other)
    }
    now = clock.now()
    conversation = Conversation(
        kind="group", title=check_title(title), created_at=now, last_activity_at=now
    )
    session.add(conversation)
    await session.flush()
    session.add(
        Member(conversation_id=conversation.id, user_id=creator.id, role="owner", joined_at=now)
    )
    for other in others:
        session.add(
            Member(
                conversation_id=conversation.id,
                user_id=other.id,
                joined_at=now,
                hidden=other.id in hidden,
            )
        )
    await session.commit()
    view = await get_view(session, user=creator, conversation_id=conversation.id)
    for member in (creator, *others):
        # The creator's other devices (and the page that created it) follow it live too.
        if member.id not in hidden:
            await announce_joined(bus, view, member.id)
    return view, True


async def _create_direct(
    session: AsyncSession, *, clock: Clock, creator: User, other: User
) -> tuple[ConversationView, bool, list[int]]:
    """Returns the chat, whether it is new, and who must be told they joined it."""
    key = policies.direct_key(creator.id, other.id)
    existing = await session.scalar(select(Conversation).where(Conversation.direct_key == key))
    if existing is not None:
        return await _existing_direct(session, creator=creator, conversation=existing)
    hidden = await check_can_add(session, actor=creator, target=other)
    now = clock.now()
    conversation = Conversation(kind="direct", direct_key=key, created_at=now, last_activity_at=now)
    session.add(conversation)
    try:
        await session.flush()
        for user in (creator, other):
            session.add(
                Member(
                    conversation_id=conversation.id,
                    user_id=user.id,
                    joined_at=now,
                    hidden=hidden and user is other,
                )
            )
        await session.commit()
    except IntegrityError:
        # The other person started the same chat at the same instant: use theirs.
        await session.rollback()
        existing = await session.scalar(select(Conversation).where(Conversation.direct_key == key))
        assert existing is not None
        return await _existing_direct(session, creator=creator, conversation=existing)
    view = await get_view(session, user=creator, conversation_id=conversation.id)
    return view, True, [creator.id] if hidden else [creator.id, other.id]


async def _existing_direct(
    session: AsyncSession, *, creator: User, conversation: Conversation
) -> tuple[ConversationView, bool, list[int]]:
    """The direct chat already exists. If it was hidden from the creator (started by someone
    they block), starting it themselves brings it into view."""
    member = await session.get(Member, (conversation.id, creator.id))
    joined: list[int] = []
    if member is not None and member.hidden:
        member.hidden = False
        await session.commit()
        joined = [creator.id]
    return await get_view(session, user=creator, conversation_id=conversation.id), False, joined


async def announce_joined(bus: Bus, view: ConversationView, user_id: int) -> None:
    """Tell a new member's devices to follow the conversation from its current revision."""
    conversation = view.conversation
    await events.publish_to_user(
        bus,
        user_id,
        {
            "type": "conversation.joined",
            "conversation_id": conversation.id,
            "rev": conversation.rev,
            "title": conversation.title,
            "kind": conversation.kind,
        },
        follow={events.topic(conversation.id): conversation.rev},
    )


async def get_view(session: AsyncSession, *, user: User, conversation_id: int) -> ConversationView:
    member = await membership(session, conversation_id=conversation_id, user_id=user.id)
    conversation = await session.get(Conversation, conversation_id, populate_existing=True)
    assert conversation is not None
    last = await _last_messages(session, [conversation_id], viewer_id=user.id)
    hidden = await _hidden_unread(session, [conversation_id], viewer_id=user.id)
    return ConversationView(
        conversation=conversation,
        members=await _members(session, conversation_id),
        my_role=member.role,
        unread=_unread(conversation, member, hidden.get(conversation_id, 0)),
        last_read_seq=member.last_read_seq,
        last_message=last.get(conversation_id),
        activity_at=_activity_of(conversation, member),
    )


async def _last_messages(
    session: AsyncSession, conversation_ids: list[int], *, viewer_id: int
) -> dict[int, dict[str, Any]]:
    if not conversation_ids:
        return {}
    newest = (
        select(Message.conversation_id, func.max(Message.seq).label("seq"))
        .where(Message.conversation_id.in_(conversation_ids), shown_to(viewer_id))
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = (
        await session.execute(
            select(Message, User)
            .join(
                newest,
                and_(
                    Message.conversation_id == newest.c.conversation_id, Message.seq == newest.c.seq
                ),
            )
            .join(User, User.id == Message.sender_id)
        )
    ).all()
    shown = await events.messages_json(session, rows, viewer_id=viewer_id)
    return {m.conversation_id: message for (m, _), message in zip(rows, shown, strict=True)}


async def list_for(
    session: AsyncSession, *, user: User, cursor: str | None, limit: int
) -> tuple[list[ConversationView], str | None]:
    """My conversations, most recently active first, with unread counts and last messages."""
    activity = _activity_key()
    query = (
        select(Conversation, Member)
        .join(Member, Member.conversation_id == Conversation.id)
        .where(Member.user_id == user.id, Member.hidden.is_(False))
    )
    position = decode_cursor(cursor, BeforeTimeAndId)
    if position is not None:
        at, before_id = position.at, position.id
        query = query.where((activity < at) | ((activity == at) & (Conversation.id < before_id)))
    rows = (
        await session.execute(
            query.order_by(activity.desc(), Conversation.id.desc()).limit(limit + 1)
        )
    ).all()
    next_cursor = None
    if len(rows) > limit:
        last_conv, last_member = rows[limit - 1]
        next_cursor = encode_cursor(
            {"at": _activity_of(last_conv, last_member).isoformat(), "id": last_conv.id}
        )
    rows = rows[:limit]
    ids = [c.id for c, _ in rows]
    last = await _last_messages(session, ids, viewer_id=user.id)
    hidden = await _hidden_unread(session, ids, viewer_id=user.id)
    member_rows = (
        (
            await session.execute(
                select(Member, User)
                .join(User, User.id == Member.user_id)
                .where(Member.conversation_id.in_(ids))
                .order_by(Member.joined_at, User.username)
            )
        ).all()
        if ids
        else []
    )
    members: dict[int, list[MemberView]] = {}
    for member, member_user in member_rows:
        members.setdefault(member.conversation_id, []).append(MemberView(member_user, member.role))
    views = [
        ConversationView(
            conversation=c,
            members=members.get(c.id, []),
            my_role=m.role,
            unread=_unread(c, m, hidden.get(c.id, 0)),
            last_read_seq=m.last_read_seq,
            last_message=last.get(c.id),
            activity_at=_activity_of(c, m),
        )
        for c, m in rows
    ]
    return views, next_cursor
