"""Rate limits of the accounts domain, shared by the JSON API and the web forms.

Log-in limits are built so that a stranger cannot lock the owner out: attempts are counted per
client address (one address cannot try much), and *failures* per (address, username) and per
username. A wrong guess from anywhere else never stops the owner's correct password from their
own address; only a distributed attack on one username, past the per-username ceiling, does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import Request

from plaza.accounts.models import User
from plaza.accounts.policies import normalize_username
from plaza.deps import client_address
from plaza.errors import RateLimited, Unauthorized
from plaza.ratelimit import Rate
from plaza.runtime import Runtime

T = TypeVar("T")


async def limit_registration(runtime: Runtime, request: Request) -> None:
    rate = Rate.parse(runtime.settings.register_per_address)
    await runtime.limiter.hit(f"register:addr:{client_address(request)}", rate)


async def guarded_login(
    runtime: Runtime, request: Request, username: str, attempt: Callable[[], Awaitable[T]]
) -> T:
    """Run a log-in `attempt` under the log-in limits; a failed one (Unauthorized) is counted
    against the address-and-username pair and the username."""
    settings, limiter = runtime.settings, runtime.limiter
    address, name = client_address(request), normalize_username(username)
    pair_rate = Rate.parse(settings.login_failures_per_address_username)
    pair = (f"login:fail:{address}:{name}", pair_rate)
    everywhere = (f"login:fail:{name}", Rate.parse(settings.login_failures_per_username))
    await limiter.hit(f"login:addr:{address}", Rate.parse(settings.login_per_address))
    await limiter.peek(*pair)
    await limiter.peek(*everywhere)
    try:
        return await attempt()
    except Unauthorized:
        for key, rate in (pair, everywhere):
            # This failure is answered as a failure; the next attempt meets the limit.
            with contextlib.suppress(RateLimited):
                await limiter.hit(key, rate)
        raise


async def limit_friend_requests(runtime: Runtime, sender: User) -> None:
    rate = Rate.parse(runtime.settings.friend_requests_per_person)
    await runtime.limiter.hit(f"friend-request:{sender.id}", rate)
