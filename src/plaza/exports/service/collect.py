"""What goes into a person's archive: everything they wrote, read from every domain.

Each section is one read-only function `(session, user) -> dict`, ready for JSON. The rule
every one of them keeps: the person's own writings, plus only the context they were party to
(the members and title of a conversation they are in, the message they replied to, the
usernames of their friends); never someone else's private content, never who reported them,
never which moderator decided. Exports may read every domain (design.md §1); the queries
live here, read-only, so that no domain grows an export-only function.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import FriendLabel, FriendLabelMember, Friendship, User
from plaza.accounts.service.profiles import own_display_name
from plaza.accounts.service.users import users_by_id
from plaza.chat.models import Conversation, Member, Message
from plaza.media.models import Media, MediaUse
from plaza.moderation.models import Appeal, Notice
from plaza.moments.models import Moment, MomentComment, MomentLike
from plaza.public_accounts.models import (
    Article,
    ArticleRevision,
    PublicAccount,
    PublicAccountEditor,
)

Json = dict[str, Any]
Section = Callable[[AsyncSession, User], Awaitable[Json]]

# Keys of a frozen statement of reasons that would name a person other than its subject:
# dropped wherever they appear, so an archive never tells who reported or who decided.
_IDENTITY_KEY = re.compile(
    r"^(moderator|reporter|reviewer|decider|actor|decided_by|reviewed_by|reported_by)s?"
    r"(_(id|ids|username|usernames|name|names))?$"
)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def picture_path(media_id: int, content_type: str) -> str:
    """Where a picture sits inside the archive (relative, so index.html opens offline)."""
    return f"pictures/{media_id}.{EXTENSIONS.get(content_type, 'bin')}"


async def _names(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    found = await users_by_id(session, {i for i in ids if i is not None})
    return {i: u.username for i, u in found.items()}


async def _pictures_of(session: AsyncSession, surface: str, ref_ids: list[int]) -> dict[int, list]:
    """The pictures each item of a surface shows, in order, as archive paths (an item shows
    only its author's own uploads, which the archive holds)."""
    if not ref_ids:
        return {}
    rows = await session.execute(
        select(MediaUse.ref_id, Media.id, Media.content_type)
        .join(Media, Media.id == MediaUse.media_id)
        .where(MediaUse.surface == surface, MediaUse.ref_id.in_(ref_ids))
        .order_by(MediaUse.ref_id, MediaUse.position)
    )
    found: dict[int, list] = defaultdict(list)
    for ref_id, media_id, content_type in rows:
        found[ref_id].append({"id": media_id, "file": picture_path(media_id, content_type)})
    return found


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
    names = await _names(session, (m.sender_id for m in replied.values()))
    pictures = await _pictures_of(session, "message", [m.id for m in sent])
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


async def moments(session: AsyncSession, user: User) -> Json:
    """The person's moments (with how many comments and likes each has, not who wrote
    them), and the comments they wrote anywhere."""
    own = list(
        await session.scalars(select(Moment).where(Moment.author_id == user.id).order_by(Moment.id))
    )
    ids = [m.id for m in own]
    comment_counts: dict[int, int] = {}
    like_counts: dict[int, int] = {}
    if ids:
        comment_counts = dict(
            (
                await session.execute(
                    select(MomentComment.moment_id, func.count())
                    .where(MomentComment.moment_id.in_(ids))
                    .group_by(MomentComment.moment_id)
                )
            ).all()
        )
        like_counts = dict(
            (
                await session.execute(
                    select(MomentLike.moment_id, func.count())
                    .where(MomentLike.moment_id.in_(ids))
                    .group_by(MomentLike.moment_id)
                )
            ).all()
        )
    pictures = await _pictures_of(session, "moment", ids)
    written = list(
        await session.execute(
            select(MomentComment, Moment.author_id)
            .join(Moment, Moment.id == MomentComment.moment_id)
            .where(MomentComment.author_id == user.id)
            .order_by(MomentComment.id)
        )
    )
    names = await _names(
        session,
        [author for _, author in written] + [c.reply_to_user_id for c, _ in written],
    )
    return {
        "moments": [
            {
                "id": m.id,
                "text": m.text,
                "visibility": m.visibility,
                "created_at": iso(m.created_at),
                "moderation": m.moderation,
                "pictures": pictures.get(m.id, []),
                "comment_count": comment_counts.get(m.id, 0),
                "like_count": like_counts.get(m.id, 0),
            }
            for m in own
        ],
        "comments": [
            {
                "id": c.id,
                "moment_id": c.moment_id,
                "moment_author": names.get(author),
                "reply_to": names.get(c.reply_to_user_id) if c.reply_to_user_id else None,
                "text": c.text,
                "created_at": iso(c.created_at),
                "moderation": c.moderation,
            }
            for c, author in written
        ],
    }


async def public_accounts(session: AsyncSession, user: User) -> Json:
    """The public accounts the person owns or edits, and the articles they wrote or edited,
    with every published revision."""
    edited = select(PublicAccountEditor.account_id).where(PublicAccountEditor.user_id == user.id)
    accounts = list(
        await session.scalars(
            select(PublicAccount)
            .where(or_(PublicAccount.owner_id == user.id, PublicAccount.id.in_(edited)))
            .order_by(PublicAccount.id)
        )
    )
    revised = select(ArticleRevision.article_id).where(ArticleRevision.editor_id == user.id)
    articles = list(
        await session.scalars(
            select(Article)
            .where(or_(Article.author_id == user.id, Article.id.in_(revised)))
            .order_by(Article.id)
        )
    )
    revisions: dict[int, list[ArticleRevision]] = defaultdict(list)
    if articles:
        for revision in await session.scalars(
            select(ArticleRevision)
            .where(ArticleRevision.article_id.in_([a.id for a in articles]))
            .order_by(ArticleRevision.article_id, ArticleRevision.number)
        ):
            revisions[revision.article_id].append(revision)
    handles = dict(
        (
            await session.execute(
                select(PublicAccount.id, PublicAccount.handle).where(
                    PublicAccount.id.in_({a.account_id for a in articles})
                )
            )
        ).all()
    )
    names = await _names(
        session,
        [a.author_id for a in articles] + [r.editor_id for rs in revisions.values() for r in rs],
    )
    return {
        "accounts": [
            {
                "handle": a.handle,
                "name": a.name,
                "description": a.description,
                "role": "owner" if a.owner_id == user.id else "editor",
                "status": a.status,
                "moderation": a.moderation,
                "subscriber_count": a.subscriber_count,
                "created_at": iso(a.created_at),
            }
            for a in accounts
        ],
        "articles": [
            {
                "id": a.id,
                "account": handles.get(a.account_id),
                "author": names.get(a.author_id),
                "status": a.status,
                "moderation": a.moderation,
                "title": a.title,
                "body": a.body,
                "created_at": iso(a.created_at),
                "published_at": iso(a.published_at),
                "revisions": [
                    {
                        "number": r.number,
                        "editor": names.get(r.editor_id),
                        "title": r.title,
                        "body": r.body,
                        "created_at": iso(r.created_at),
                    }
                    for r in revisions[a.id]
                ],
            }
            for a in articles
        ],
    }


def without_identities(value: Any) -> Any:
    """`value` with every key that names a reporter or a moderator dropped, at any depth."""
    if isinstance(value, dict):
        return {
            k: without_identities(v) for k, v in value.items() if not _IDENTITY_KEY.match(str(k))
        }
    if isinstance(value, list):
        return [without_identities(v) for v in value]
    return value


async def moderation(session: AsyncSession, user: User) -> Json:
    """The person's notices (each with its frozen statement of reasons) and their appeals:
    their text, state and the reviewer's explanation, never the reviewer."""
    notices = list(
        await session.scalars(select(Notice).where(Notice.user_id == user.id).order_by(Notice.id))
    )
    appeals = list(
        await session.scalars(
            select(Appeal).where(Appeal.appellant_id == user.id).order_by(Appeal.id)
        )
    )
    return {
        "notices": [
            {
                "id": n.id,
                "kind": n.kind,
                "statement": without_identities(n.statement),
                "appeal_until": iso(n.appeal_until),
                "created_at": iso(n.created_at),
            }
            for n in notices
        ],
        "appeals": [
            {
                "id": a.id,
                "notice_id": a.notice_id,
                "text": a.text,
                "state": a.state,
                "explanation": a.explanation,
                "created_at": iso(a.created_at),
                "decided_at": iso(a.decided_at),
            }
            for a in appeals
        ],
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
