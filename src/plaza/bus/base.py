"""The bus interface and its factory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

Handler = Callable[[str, bytes], None]
"""Called with (topic, payload) for every message on a subscribed topic; must not block."""


class Bus(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, topic: str, payload: bytes) -> None:
        """Send `payload` to every subscriber of `topic` on every node; never raises."""

    async def subscribe(self, topic: str, handler: Handler) -> None: ...

    async def unsubscribe(self, topic: str, handler: Handler) -> None: ...

    def on_reconnect(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run `callback` after the bus lost its connection and regained it (messages may have
        been lost in between, so listeners should catch up from the database)."""


def create_bus(redis_url: str | None) -> Bus:
    """Redis pub/sub when a URL is configured, otherwise the in-process bus."""
    if redis_url:
        from plaza.bus.redis_bus import RedisBus

        return RedisBus(redis_url)
    from plaza.bus.memory import MemoryBus

    return MemoryBus()
