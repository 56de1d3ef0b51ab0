"""The in-process bus: a dict of topic -> handlers, for a single node."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable

from plaza.bus.base import Handler

log = logging.getLogger(__name__)


class MemoryBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._handlers.clear()

    async def publish(self, topic: str, payload: bytes) -> None:
        for handler in list(self._handlers.get(topic, ())):
            try:
                handler(topic, payload)
            except Exception:
                log.exception("bus handler failed on %s", topic)

    async def subscribe(self, topic: str, handler: Handler) -> None:
        self._handlers[topic].append(handler)

    async def unsubscribe(self, topic: str, handler: Handler) -> None:
        handlers = self._handlers.get(topic)
        if handlers and handler in handlers:
            handlers.remove(handler)
            if not handlers:
                del self._handlers[topic]

    def on_reconnect(self, callback: Callable[[], Awaitable[None]]) -> None:
        """An in-process bus never disconnects."""
