"""What goes into a person's archive: everything they wrote, read from every domain.

Each section is one read-only function `(session, user) -> dict`, ready for JSON: profile,
friends, messages and pictures here, moments and public accounts in `published`, notices and
appeals in `notices`; `SECTIONS` lists them in the order the archive writes them. The rule
every one of them keeps: the person's own writings, plus only the context they were party to
(the members and title of a conversation they are in, the message they replied to, the
usernames of their friends); never someone else's private content, never who reported them,
never which moderator decided. Exports may read every domain (design.md §1); these queries
are read-only and live in the exports domain, so that no domain grows an export-only function.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import FriendLabel, FriendLabelMember, Friendship, User
from plaza.accounts.service.profiles import own_display_name
from plaza.chat.models import Conversation, Member, Message
from plaza.exports.service.common import Json, Section, iso, picture_path, pictures_of, usernames
from plaza.exports.service.notices import moderation
from plaza.exports.service.published import moments, public_accounts
from plaza.media.models import Media


async def profile(session: AsyncSession, user: User) -> Json:
    labels = list(
        await session.scalars(
            select(FriendLabel).where(FriendLabel.owner_id == user.id).order_by(FriendLabel.name)
        )
    )
    members: dict[int, list[str]] = defaultdict(list)
    if labels:
        rows = await session.execute(
            select(FriendLabelMember.label_id, User.username)
            .join(User, User.id == FriendLabelMember.user_id)
            .where(FriendLabelMember.label_id.in_([label.id for label in labels]))
            .order_by(User.username)
        )
        for label_id, username in rows:
            members[label_id].append(username)
    return {
        "username": user.username,
        "display_name": own_display_name(user),
        "role": user.role,
        "status": user.status,
        "suspended_until": iso(user.suspended_until),
        "restricted_until": iso(user.restricted_until),
        "created_at": iso(user.created_at),
        "labels": [{"name": label.name, "friends": members[label.id]} for label in labels],
    }


async def friends(session: AsyncSession, user: User) -> Json:
    rows = await session.execute(
        select(User.username, User.display_name, Friendship.created_at)
        .join(Friendship, Friendship.friend_id == User.id)
        .where(Friendship.user_id == user.id)
        .order_by(User.username)
    )
    return {
        "friends": [
            {"username": username, "display_name": name, "since": iso(since)}
            for username, name, since in rows
        ]
    }


def _quotable(message: Message, user_id: int) -> bool:
    """Whether the person could see `message` as it is: a withheld, held or removed message
    of someone else is not theirs to keep."""
    if message.sender_id == user_id:
        return True
    return not message.withheld and message.moderation is None and message.recalled_at is None


async def messages(session: AsyncSession, user: User) -> Json:
    """The messages the person sent, by conversation, with the conversation's kind, title
    and members (of those they are still in; `member` false for the others), and for each
    reply the message it answered (as the person saw it)."""
    sent = list(
        await session.scalars(
            select(Message)
            .where(Message.sender_id == user.id)
            .order_by(Message.conversation_id, Message.seq)
        )
    )
    conversation_ids = sorted({m.conversation_id for m in sent})
    if not conversation_ids:
        return {"conversations": []}
    conversations = {
        c.id: c
        for c in await session.scalars(
            select(Conversation).where(Conversation.id.in_(conversation_ids))
        )
    }
    # Only where the person is still a member: who joined after they left, or what the
    # group was renamed to, is not theirs to know.
    still_in = select(Member.conversation_id).where(Member.user_id == user.id)
    member_rows = await session.execute(
        select(Member.conversation_id, User.username)
        .join(User, User.id == Member.user_id)
        .where(Member.conversation_id.in_(conversation_ids))
        .where(Member.conversation_id.in_(still_in))
        .order_by(User.username)
    )
    members: dict[int, list[str]] = defaultdict(list)
    for conversation_id, username in member_rows:
        members[conversation_id].append(username)
    reply_ids = {m.reply_to_id for m in sent if m.reply_to_id is not None}
    replied = (
        {m.id: m for m in await session.scalars(select(Message).where(Message.id.in_(reply_ids)))}
        if reply_ids
        else {}
    )
    names = await usernames(session, (m.sender_id for m in replied.values()))
    pictures = await pictures_of(session, "message", [m.id for m in sent])
    grouped: dict[int, list[Json]] = defaultdict(list)
    for message in sent:
        entry: Json = {
            "id": message.id,
            "seq": message.seq,
            "text": message.text,
            "created_at": iso(message.created_at),
            "recalled": message.recalled_at is not None,
            "moderation": message.moderation,
            "pictures": pictures.get(message.id, []),
            "reply_to": None,
        }
        quoted = replied.get(message.reply_to_id) if message.reply_to_id else None
        if quoted is not None and _quotable(quoted, user.id):
            entry["reply_to"] = {
                "id": quoted.id,
                "sender": names.get(quoted.sender_id),
                "text": quoted.text,
                "created_at": iso(quoted.created_at),
            }
        grouped[message.conversation_id].append(entry)
    return {
        "conversations": [
            {
                "id": cid,
                "kind": conversations[cid].kind,
                "member": cid in members,
                "title": conversations[cid].title if cid in members else "",
                "members": members.get(cid, []),
                "messages": grouped[cid],
            }
            for cid in conversation_ids
        ]
    }


async def pictures(session: AsyncSession, user: User) -> list[Json]:
    """The pictures the person uploaded (their bytes are copied in by the archive)."""
    rows = await session.scalars(
        select(Media).where(Media.uploader_id == user.id).order_by(Media.id)
    )
    return [
        {
            "id": m.id,
            "file": picture_path(m.id, m.content_type),
            "sha256": m.sha256,
            "content_type": m.content_type,
            "width": m.width,
            "height": m.height,
            "created_at": iso(m.created_at),
        }
        for m in rows
    ]


# The JSON files of an archive, in the order they are written.
SECTIONS: tuple[tuple[str, Section], ...] = (
    ("profile", profile),
    ("friends", friends),
    ("messages", messages),
    ("moments", moments),
    ("public_accounts", public_accounts),
    ("moderation", moderation),
)
