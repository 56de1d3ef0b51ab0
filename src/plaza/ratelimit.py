"""Fixed-window rate limits, in-process for one node or in Redis for several.

Used for registration and log-in, chat sends, group creation and member additions. A limit is
written "N/seconds" in settings, e.g. "10/60".

`hit_many` counts a whole batch (chat's group commit) in one go, one Redis round trip: each
entry is a chain of (key, rate) steps, counted in order until one is over its limit, so an
entry refused by its first limit (say, per person) is not counted against the next (per
conversation), and a flood by one person does not use up a budget shared with others.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
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


Chain = Sequence[tuple[str, Rate]]


class RateLimiter(Protocol):
    async def hit(self, key: str, rate: Rate) -> None:
        """Count one event under `key`; raise RateLimited once the window is full."""

    async def peek(self, key: str, rate: Rate) -> None:
        """Raise RateLimited if the window of `key` is already full, without counting (for
        limits that count failures only, such as wrong passwords)."""

    async def hit_many(self, chains: Sequence[Chain]) -> list[int | None]:
        """Count one event per chain, step by step until a step is over its limit; returns per
        chain None (allowed) or the seconds to wait (refused)."""

    async def close(self) -> None: ...


def _window(rate: Rate, now: float) -> tuple[int, int]:
    """The current window number and the seconds until it ends."""
    window = int(now // rate.seconds)
    retry_after = max(1, math.ceil((window + 1) * rate.seconds - now))
    return window, retry_after


def _refuse(retry_after: int) -> RateLimited:
    return RateLimited(f"too many attempts; try again in {retry_after} s", retry_after=retry_after)


def refusal(what: str, retry_after: int) -> RateLimited:
    """The 429 for one kind of write over its limit: "too many <what>; try again in N s"."""
    return RateLimited(f"too many {what}; try again in {retry_after} s", retry_after=retry_after)


async def enforce(limiter: RateLimiter, key: str, rate: Rate, what: str) -> None:
    """Count one event under `key`; over `rate`, raise `refusal(what, ...)`. The one-key case
    every surface's limits share (chat's sends count two keys at once through `hit_many`)."""
    [wait] = await limiter.hit_many([((key, rate),)])
    if wait is not None:
        raise refusal(what, wait)


class MemoryRateLimiter:
    """Counts in a dict; old windows are dropped as new ones start. `now` (wall-clock seconds)
    may be replaced, e.g. by tests that move time instead of waiting."""

    def __init__(self, enabled: bool = True, now: Callable[[], float] = time.time) -> None:
        self.enabled = enabled
        self.now = now
        self._counts: dict[tuple[str, int], int] = {}

    async def hit(self, key: str, rate: Rate) -> None:
        if not self.enabled:
            return
        window, retry_after = _window(rate, self.now())
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
        window, retry_after = _window(rate, self.now())
        if self._counts.get((f"{key}:{rate.seconds}", window), 0) >= rate.count:
            raise _refuse(retry_after)

    async def hit_many(self, chains: Sequence[Chain]) -> list[int | None]:
        if not self.enabled or not chains:
            return [None] * len(chains)
        now = self.now()
        window = 0
        answers: list[int | None] = []
        for chain in chains:
            refused = None
            for key, rate in chain:
                window, retry_after = _window(rate, now)
                slot = (f"{key}:{rate.seconds}", window)
                count = self._counts.get(slot, 0) + 1
                self._counts[slot] = count
                if count > rate.count:
                    refused = retry_after
                    break
            answers.append(refused)
        if len(self._counts) > 100_000:
            self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
        return answers

    async def close(self) -> None:
        return None


# KEYS: the counters. ARGV: number of chains, then per chain its number of steps and per step
# (key index, limit, expiry seconds). Returns per chain 0 (allowed) or the refusing step (1-based).
_HIT_MANY = """
local answers = {}
local i = 2
for c = 1, tonumber(ARGV[1]) do
  local steps = tonumber(ARGV[i]); i = i + 1
  local refused = 0
  for s = 1, steps do
    if refused == 0 then
      local key = KEYS[tonumber(ARGV[i])]
      local count = redis.call('INCR', key)
      if count == 1 then redis.call('EXPIRE', key, tonumber(ARGV[i + 2])) end
      if count > tonumber(ARGV[i + 1]) then refused = s end
    end
    i = i + 3
  end
  answers[c] = refused
end
return answers
"""


class RedisRateLimiter:
    """Counts with INCR on a key per window, so every node shares the same budget."""

    def __init__(self, redis, enabled: bool = True) -> None:
        self.enabled = enabled
        self._redis = redis
        self._hit_many = redis.register_script(_HIT_MANY)

    async def hit_many(self, chains: Sequence[Chain]) -> list[int | None]:
        if not self.enabled or not chains:
            return [None] * len(chains)
        now = time.time()
        keys: dict[str, int] = {}
        args: list[int] = [len(chains)]
        retry: list[list[int]] = []
        for chain in chains:
            args.append(len(chain))
            waits = []
            for key, rate in chain:
                window, retry_after = _window(rate, now)
                redis_key = f"plaza:rl:{key}:{rate.seconds}:{window}"
                index = keys.setdefault(redis_key, len(keys) + 1)
                args += [index, rate.count, rate.seconds + 1]
                waits.append(retry_after)
            retry.append(waits)
        try:
            refused = await self._hit_many(keys=list(keys), args=args)
        except (RedisError, OSError) as exc:
            log.warning("rate limiter cannot reach Redis (%s); allowing %d", exc, len(chains))
            return [None] * len(chains)
        return [
            waits[step - 1] if step else None for waits, step in zip(retry, refused, strict=True)
        ]

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
