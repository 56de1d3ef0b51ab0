"""What travels on the bus for live events.

Publishers wrap the client-visible event in a small envelope so that each node can route it
without knowing the surface: `rev` orders the events of one topic (a conversation's revision),
`follow` (on a person's own topic) adds topics to that person's connections, and
`unfollow_users` (on a content topic) detaches people after this event, e.g. a removed member,
and `visible_to` (on a content topic) restricts the event to these people's connections: every
other follower only moves past its revision and is sent nothing (a message withheld because
its sender is blocked), and `end` (on a content topic) detaches every follower after this
event: the topic is over for all of them (a public account a moderator closed).
Each node decodes the envelope once and writes the same event text to all its local sockets.
"""

from __future__ import annotations

from typing import Any

import orjson


def user_topic(user_id: int) -> str:
    return f"user:{user_id}"


def pack(
    event: dict[str, Any] | None,
    *,
    rev: int | None = None,
    follow: dict[str, int] | None = None,
    unfollow_users: list[int] | None = None,
    visible_to: list[int] | None = None,
    end: bool = False,
) -> bytes:
    envelope: dict[str, Any] = {"event": event}
    if rev is not None:
        envelope["rev"] = rev
    if follow:
        envelope["follow"] = follow
    if unfollow_users:
        envelope["unfollow_users"] = unfollow_users
    if visible_to is not None:
        envelope["visible_to"] = visible_to
    if end:
        envelope["end"] = True
    return orjson.dumps(envelope)


def unpack(payload: bytes) -> dict[str, Any]:
    return orjson.loads(payload)
