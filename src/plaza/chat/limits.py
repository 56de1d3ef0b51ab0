"""Chat's rate limits (design.md §9: limits on everything that reaches other people).

Enforced in the service, so HTTP and the live stream share them: messages per person and per
conversation (counted for a whole group-commit batch in one limiter call), group creation and
member additions per person. A refusal is `RateLimited`: 429 with Retry-After over HTTP, a
`rate_limited` error frame with `retry_after` on the stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from plaza.config import Settings
from plaza.errors import RateLimited
from plaza.ratelimit import Rate, RateLimiter, enforce, refusal


@dataclass(frozen=True)
class ChatLimits:
    limiter: RateLimiter
    per_person: Rate
    per_conversation: Rate
    groups: Rate
    member_adds: Rate

    @classmethod
    def of(cls, settings: Settings, limiter: RateLimiter) -> ChatLimits:
        return cls(
            limiter=limiter,
            per_person=Rate.parse(settings.chat_messages_per_person),
            per_conversation=Rate.parse(settings.chat_messages_per_conversation),
            groups=Rate.parse(settings.chat_groups_per_person),
            member_adds=Rate.parse(settings.chat_member_adds_per_person),
        )

    async def check_sends(self, senders: Sequence[tuple[int, int]]) -> list[RateLimited | None]:
        """Count a batch of sends, given as (author id, conversation id); one answer each.

        The person's limit is counted first: a send it refuses does not use up the
        conversation's budget, which the other members share."""
        waits = await self.limiter.hit_many(
            [
                (
                    (f"chat:msg:user:{author}", self.per_person),
                    (f"chat:msg:conversation:{conversation}", self.per_conversation),
                )
                for author, conversation in senders
            ]
        )
        return [None if wait is None else refusal("messages", wait) for wait in waits]

    async def check_group(self, user_id: int) -> None:
        await enforce(self.limiter, f"chat:groups:user:{user_id}", self.groups, "new groups")

    async def check_member_add(self, user_id: int) -> None:
        await enforce(
            self.limiter, f"chat:adds:user:{user_id}", self.member_adds, "member additions"
        )
