"""Prebuilt Core statements for the message hot path.

Building a SQLAlchemy statement costs more than running it against SQLite on our machines
(measured: a select built per call 152 µs, prebuilt with bind parameters 79 µs; an ORM-level
UPDATE goes through the ORM's bulk machinery and costs more still). The statements a send runs
are built once here, on the tables, and executed on the session's connection.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, exists, select

from plaza.accounts.models import Block, Friendship, Session, User
from plaza.chat.models import Conversation, ConversationEvent, Member, Message

conversations = cast(Table, Conversation.__table__)
members = cast(Table, Member.__table__)
messages = cast(Table, Message.__table__)
conversation_events = cast(Table, ConversationEvent.__table__)
users = cast(Table, User.__table__)
sessions = cast(Table, Session.__table__)
blocks = cast(Table, Block.__table__)
friendships = cast(Table, Friendship.__table__)

# Who the bearer tokens of a batch of HTTP sends belong to (expiry is compared in Python,
# against the injectable clock). One token, the usual case, has its own statement: an
# expanding IN is rewritten on every execution.
_OWNER_COLUMNS = (sessions.c.token_hash, sessions.c.user_id, sessions.c.expires_at)
SESSION_OWNER = select(*_OWNER_COLUMNS).where(
    sessions.c.token_hash == bindparam("hash"), sessions.c.revoked_at.is_(None)
)
SESSION_OWNERS = select(*_OWNER_COLUMNS).where(
    sessions.c.token_hash.in_(bindparam("hashes", expanding=True)),
    sessions.c.revoked_at.is_(None),
)

MEMBERSHIP = (
    # Also reads the sender afresh, inside the sending transaction: a suspension applies to
    # the very next message, and no separate query is needed to name the sender.
    select(
        conversations.c.direct_key,
        users.c.username,
        users.c.display_name,
        users.c.status,
        users.c.suspended_until,
    )
    .select_from(
        conversations.join(members, members.c.conversation_id == conversations.c.id).join(
            users, users.c.id == members.c.user_id
        )
    )
    .where(
        conversations.c.id == bindparam("cid"),
        members.c.user_id == bindparam("uid"),
        members.c.hidden.is_(False),
    )
)

REPLY_TARGET = select(messages.c.conversation_id).where(messages.c.id == bindparam("id"))

# A direct chat's two ties in one query: whether the other side blocks the sender (the
# message is withheld), and whether they are still friends (otherwise it is refused).
DIRECT_TIES = select(
    exists()
    .where(blocks.c.blocker_id == bindparam("other"), blocks.c.blocked_id == bindparam("uid"))
    .label("blocked"),
    exists()
    .where(friendships.c.user_id == bindparam("uid"), friendships.c.friend_id == bindparam("other"))
    .label("friends"),
)

BUMP_MESSAGES = (
    conversations.update()
    .where(conversations.c.id == bindparam("cid"))
    .values(
        last_seq=conversations.c.last_seq + bindparam("k"),
        rev=conversations.c.rev + bindparam("k"),
        last_activity_at=bindparam("now"),
    )
    .returning(conversations.c.last_seq, conversations.c.rev)
)

# For a batch of withheld messages only: they take numbers but must not move the conversation
# up anyone's list (the sender's own list moves through `conversation_members.activity_at`).
BUMP_MESSAGES_QUIET = (
    conversations.update()
    .where(conversations.c.id == bindparam("cid"))
    .values(
        last_seq=conversations.c.last_seq + bindparam("k"),
        rev=conversations.c.rev + bindparam("k"),
    )
    .returning(conversations.c.last_seq, conversations.c.rev)
)

BUMP_EVENT = (
    conversations.update()
    .where(conversations.c.id == bindparam("cid"))
    .values(rev=conversations.c.rev + 1, last_activity_at=bindparam("now"))
    .returning(conversations.c.last_seq, conversations.c.rev)
)

# A change that must not move the conversation up anyone's list (moderation hiding or
# restoring a message is not activity).
BUMP_EVENT_QUIET = (
    conversations.update()
    .where(conversations.c.id == bindparam("cid"))
    .values(rev=conversations.c.rev + 1)
    .returning(conversations.c.last_seq, conversations.c.rev)
)

INSERT_MESSAGES = messages.insert().returning(messages.c.id, sort_by_parameter_order=True)

INSERT_EVENT = conversation_events.insert()

# Screening's verdict on messages just stored (rare: only when a detector said something).
SET_MODERATION = (
    messages.update()
    .where(messages.c.id == bindparam("message_id"))
    .values(moderation=bindparam("state"))
)

MARK_SENDER_READ = (
    members.update()
    .where(members.c.conversation_id == bindparam("cid"), members.c.user_id == bindparam("uid"))
    .values(last_read_seq=bindparam("seq"), activity_at=bindparam("now"))
)
