"""Rate limits on registration and log-in, shared by the JSON API and the web forms."""

from __future__ import annotations

from fastapi import Request

from plaza.deps import client_address
from plaza.ratelimit import Rate
from plaza.runtime import Runtime


async def limit_registration(runtime: Runtime, request: Request) -> None:
    rate = Rate.parse(runtime.settings.register_per_address)
    await runtime.limiter.hit(f"register:addr:{client_address(request)}", rate)


async def limit_login(runtime: Runtime, request: Request, username: str) -> None:
    settings = runtime.settings
    await runtime.limiter.hit(
        f"login:addr:{client_address(request)}", Rate.parse(settings.login_per_address)
    )
    await runtime.limiter.hit(
        f"login:user:{username.strip().lower()}", Rate.parse(settings.login_per_username)
    )
