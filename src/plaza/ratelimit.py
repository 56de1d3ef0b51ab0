"""Fixed-window rate limits, in-process for one node or in Redis for several.

Used for registration and log-in (and later for sends and reports). A limit is written
"N/seconds" in settings, e.g. "10/60".
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from redis.exceptions import RedisError

from plaza.errors import RateLimited

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        try:
            count, seconds = (int(part) for part in text.split("/"))
        except ValueError:
            raise ValueError(f"rate must look like N/seconds, not {text!r}") from None
        if count < 1 or seconds < 1:
            raise ValueError(f"rate must be positive, not {text!r}")
        return cls(count, seconds)


class RateLimiter(Protocol):
    async def hit(self, key: str, rate: Rate) -> None:
        """Count one event under `key`; raise RateLimited once the window is full."""

    async def peek(self, key: str, rate: Rate) -> None:
        """Raise RateLimited if the window of `key` is already full, without counting (for
        limits that count failures only, such as wrong passwords)."""

    async def close(self) -> None: ...


def _window(rate: Rate, now: float) -> tuple[int, int]:
    """The current window number and the seconds until it ends."""
    window = int(now // rate.seconds)
    retry_after = max(1, math.ceil((window + 1) * rate.seconds - now))
    return window, retry_after


def _refuse(retry_after: int) -> RateLimited:
    return RateLimited(f"too many attempts; try again in {retry_after} s", retry_after=retry_after)


class MemoryRateLimiter:
    """Counts in a dict; old windows are dropped as new ones start."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._counts: dict[tuple[str, int], int] = {}

    async def hit(self, key: str, rate: Rate) -> None:
        if not self.enabled:
            return
        window, retry_after = _window(rate, time.time())
        slot = (f"{key}:{rate.seconds}", window)
        count = self._counts.get(slot, 0) + 1
        if len(self._counts) > 100_000:
            self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
        self._counts[slot] = count
        if count > rate.count:
            raise _refuse(retry_after)

    async def peek(self, key: str, rate: Rate) -> None:
        if not self.enabled:
            return
        window, retry_after = _window(rate, time.time())
        if self._counts.get((f"{key}:{rate.seconds}", window), 0) >= rate.count:
            raise _refuse(retry_after)

    async def close(self) -> None:
        return None


class RedisRateLimiter:
    """Counts with INCR on a key per window, so every node shares the same budget."""

    def __init__(self, redis, enabled: bool = True) -> None:
        self.enabled = enabled
        self._redis = redis

    async def hit(self, key: str, rate: Rate) -> None:
        if not self.enabled:
            return
        window, retry_after = _window(rate, time.time())
        redis_key = f"plaza:rl:{key}:{rate.seconds}:{window}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(redis_key)
                pipe.expire(redis_key, rate.seconds + 1)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            # Fail open: an unreachable Redis must not lock everyone out of signing in.
            log.warning("rate limiter cannot reach Redis (%s); allowing %s", exc, key)
            return
        if count > rate.count:
            raise _refuse(retry_after)

    async def peek(self, key: str, rate: Rate) -> None:
        if not self.enabled:
            return
        window, retry_after = _window(rate, time.time())
        try:
            count = await self._redis.get(f"plaza:rl:{key}:{rate.seconds}:{window}")
        except (RedisError, OSError) as exc:
            log.warning("rate limiter cannot reach Redis (%s); allowing %s", exc, key)
            return
        if count is not None and int(count) >= rate.count:
            raise _refuse(retry_after)

    async def close(self) -> None:
        await self._redis.aclose()
