"""How a surface plugs its topics into the live stream.

A `TopicSource` owns one topic prefix (chat owns "conversation:"). The hub asks it which topics
a person follows when they connect, and asks it to replay, from the database, what a
connection missed. The hub itself knows nothing about conversations or articles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass
class Replay:
    """Missed events in order, as (rev, event JSON text); the text is None for an event the
    person may not see (the connection moves past its revision and sends nothing).

    `allowed` is False when the person may no longer follow the topic (they left the group);
    `reset` carries an event telling the client to reload through the REST API instead,
    when more was missed than the replay limit, and `head` is then the current revision.
    """

    events: list[tuple[int, str | None]] = field(default_factory=list)
    allowed: bool = True
    reset: str | None = None
    head: int | None = None


class TopicSource(Protocol):
    prefix: str
    # How clients name this source's topics in `ready` and `resume` frames: chat's are
    # {"conversations": {"<id>": rev}} for the topics "conversation:<id>".
    resume_key: str

    async def followed(self, session: AsyncSession, *, user_id: int) -> dict[str, int]:
        """Topics this person follows, each with its current revision."""

    async def replay(
        self, session: AsyncSession, *, user_id: int, topic: str, after: int, limit: int
    ) -> Replay:
        """Events of `topic` with revision > `after`, if the person may still see them."""
