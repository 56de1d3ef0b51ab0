"""Redis pub/sub bus: one channel per topic, subscribed only while a local listener needs it.

Per-topic channels (as Mastodon fans out to per-audience channels) mean a node only receives
the traffic of conversations and accounts that someone connected to it follows. When Redis
goes away the reader reconnects with backoff, resubscribes, and tells listeners to catch up
from the database, since pub/sub keeps nothing for absent subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable

import redis.asyncio as redis
from redis.exceptions import RedisError

from plaza.bus.base import Handler

log = logging.getLogger(__name__)
PREFIX = "plaza:bus:"


class RedisBus:
    def __init__(self, url: str) -> None:
        self._url = url
        self._client = redis.Redis.from_url(url)
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._reconnect_callbacks: list[Callable[[], Awaitable[None]]] = []
        self._pubsub: redis.client.PubSub | None = None
        self._reader: asyncio.Task | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        # A placeholder channel keeps the subscriber connection open even with no topics.
        await self._pubsub.subscribe(PREFIX + "_")
        self._reader = asyncio.create_task(self._read_forever(), name="redis-bus-reader")

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()
        await self._client.aclose()

    async def publish(self, topic: str, payload: bytes) -> None:
        try:
            await self._client.publish(PREFIX + topic, payload)
        except (RedisError, OSError) as exc:
            # The change is committed; listeners repair the gap from the database.
            log.warning("bus publish on %s failed: %s", topic, exc)

    async def subscribe(self, topic: str, handler: Handler) -> None:
        handlers = self._handlers[topic]
        handlers.append(handler)
        if len(handlers) == 1 and self._pubsub is not None:
            async with self._lock:
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.subscribe(PREFIX + topic)

    async def unsubscribe(self, topic: str, handler: Handler) -> None:
        handlers = self._handlers.get(topic)
        if not handlers or handler not in handlers:
            return
        handlers.remove(handler)
        if not handlers:
            del self._handlers[topic]
            if self._pubsub is not None:
                async with self._lock:
                    with contextlib.suppress(RedisError, OSError):
                        await self._pubsub.unsubscribe(PREFIX + topic)

    def on_reconnect(self, callback: Callable[[], Awaitable[None]]) -> None:
        self._reconnect_callbacks.append(callback)

    def _dispatch(self, channel: bytes, payload: bytes) -> None:
        topic = channel.decode()[len(PREFIX) :]
        for handler in list(self._handlers.get(topic, ())):
            try:
                handler(topic, payload)
            except Exception:
                log.exception("bus handler failed on %s", topic)

    async def _read_forever(self) -> None:
        backoff = 0.1
        while True:
            try:
                assert self._pubsub is not None
                message = await self._pubsub.get_message(timeout=1.0)
                if message and message["type"] == "message":
                    self._dispatch(message["channel"], message["data"])
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("bus lost Redis (%s); reconnecting in %.1f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                await self._resubscribe()

    async def _resubscribe(self) -> None:
        """Open a fresh subscriber connection with every current topic, then ask for catch-up."""
        async with self._lock:
            old = self._pubsub
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(PREFIX + "_", *(PREFIX + t for t in self._handlers))
            except (RedisError, OSError):
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
                return
            self._pubsub = pubsub
            if old is not None:
                with contextlib.suppress(RedisError, OSError):
                    await old.aclose()
        log.info("bus reconnected to Redis")
        for callback in self._reconnect_callbacks:
            try:
                await callback()
            except Exception:
                log.exception("bus reconnect callback failed")
