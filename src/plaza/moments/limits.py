"""Rate limits of moments (design.md §9: limits on everything that reaches other people):
moments, comments and likes per person, each a setting "N/seconds"."""

from __future__ import annotations

from dataclasses import dataclass

from plaza.config import Settings
from plaza.ratelimit import Rate, RateLimiter, enforce


@dataclass(frozen=True)
class MomentLimits:
    limiter: RateLimiter
    posts: Rate
    comments: Rate
    likes: Rate

    @classmethod
    def of(cls, settings: Settings, limiter: RateLimiter) -> MomentLimits:
        return cls(
            limiter=limiter,
            posts=Rate.parse(settings.moments_per_person),
            comments=Rate.parse(settings.moments_comments_per_person),
            likes=Rate.parse(settings.moments_likes_per_person),
        )

    async def check_post(self, user_id: int) -> None:
        await enforce(self.limiter, f"moments:post:{user_id}", self.posts, "moments")

    async def check_comment(self, user_id: int) -> None:
        await enforce(self.limiter, f"moments:comment:{user_id}", self.comments, "comments")

    async def check_like(self, user_id: int) -> None:
        await enforce(self.limiter, f"moments:like:{user_id}", self.likes, "likes")
