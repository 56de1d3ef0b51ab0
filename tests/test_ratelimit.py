"""Rate limits: in-process and in Redis (shared by every node), with the same behaviour."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as redis

from plaza.errors import RateLimited
from plaza.ratelimit import Rate, RedisRateLimiter


async def test_the_window_fills_then_refuses_with_retry_after(limiter):
    key = f"test:{uuid.uuid4().hex}"
    rate = Rate(3, 60)
    for _ in range(3):
        await limiter.hit(key, rate)
    with pytest.raises(RateLimited) as refused:
        await limiter.hit(key, rate)
    assert 1 <= refused.value.retry_after <= 60
    # Other keys are not affected.
    await limiter.hit(f"{key}:other", rate)


async def test_redis_limiter_fails_open_when_redis_is_unreachable():
    unreachable = RedisRateLimiter(redis.Redis.from_url("redis://127.0.0.1:1/0"))
    for _ in range(5):
        await unreachable.hit("anyone", Rate(1, 60))
    await unreachable.close()


@pytest.mark.parametrize("text", ["10", "a/b", "0/60", "5/0"])
def test_bad_rate_settings_are_refused(text):
    with pytest.raises(ValueError):
        Rate.parse(text)


async def test_peek_refuses_a_full_window_without_counting(limiter):
    key = f"test:{uuid.uuid4().hex}"
    rate = Rate(2, 60)
    await limiter.peek(key, rate)  # empty: allowed, and not counted
    await limiter.hit(key, rate)
    await limiter.peek(key, rate)
    await limiter.hit(key, rate)
    with pytest.raises(RateLimited):
        await limiter.peek(key, rate)
