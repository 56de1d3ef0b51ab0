"""Which stored messages a member is shown at all, as SQL: every reading path of messages
(history, the last message of a conversation, unread counts) narrows its rows with it.

A message withheld from the blocker of its sender, and one held for moderation review, are
for their sender alone; a message moderation removed stays in its place for everyone, as a
marker (`events.message_json` blanks it), so its sequence number still reads in order.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_

from plaza.chat.models import Message


def shown_to(viewer_id: int) -> ColumnElement[bool]:
    """SQL: the messages `viewer_id` is shown."""
    return or_(
        Message.sender_id == viewer_id,
        and_(Message.withheld.is_(False), Message.moderation.is_distinct_from("held")),
    )


def is_shown(message: Message, viewer_id: int) -> bool:
    """`shown_to`, for one message read already."""
    if message.sender_id == viewer_id:
        return True
    return not message.withheld and message.moderation != "held"
