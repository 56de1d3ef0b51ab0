"""Rate limits of public accounts (design.md §9), each a setting "N/seconds". The daily
publishing limit is not here: it counts stored articles (plaza.public_accounts.service.
publishing), so it holds across nodes and restarts and can say when publishing reopens."""

from __future__ import annotations

from dataclasses import dataclass

from plaza.config import Settings
from plaza.ratelimit import Rate, RateLimiter, enforce


@dataclass(frozen=True)
class PublicAccountLimits:
    limiter: RateLimiter
    writes: Rate
    previews: Rate
    likes: Rate
    subscriptions: Rate

    @classmethod
    def of(cls, settings: Settings, limiter: RateLimiter) -> PublicAccountLimits:
        return cls(
            limiter=limiter,
            writes=Rate.parse(settings.public_account_writes_per_person),
            previews=Rate.parse(settings.article_previews_per_person),
            likes=Rate.parse(settings.article_likes_per_person),
            subscriptions=Rate.parse(settings.subscriptions_per_person),
        )

    async def check_write(self, user_id: int) -> None:
        await enforce(
            self.limiter, f"pa:write:{user_id}", self.writes, "changes to public accounts"
        )

    async def check_preview(self, user_id: int) -> None:
        await enforce(self.limiter, f"pa:preview:{user_id}", self.previews, "previews")

    async def check_like(self, user_id: int) -> None:
        await enforce(self.limiter, f"pa:like:{user_id}", self.likes, "likes")

    async def check_subscription(self, user_id: int) -> None:
        await enforce(self.limiter, f"pa:sub:{user_id}", self.subscriptions, "subscription changes")
