"""An app served by uvicorn inside the test's event loop, for WebSocket tests, and a small
stream client that speaks the protocol of plaza.live.api."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from plaza.app import create_app
from plaza.clock import Clock
from plaza.config import Settings
from tests.processes import free_port

WS_PROTOCOLS = {
    "direct": "plaza.live.direct:DirectWebSocketProtocol",
    "asgi": "websockets-sansio",
}


@contextlib.asynccontextmanager
async def serve(
    settings: Settings, clock: Clock | None = None, *, ws: str = "direct"
) -> AsyncIterator[tuple[Any, int]]:
    """Run the app on a free port; yields (app, port). `ws="direct"` is the protocol `plaza
    serve` uses; `ws="asgi"` is plain uvicorn, which exercises the portable ASGI path."""
    app = create_app(settings, clock=clock)
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws=WS_PROTOCOLS[ws],
        ws_per_message_deflate=False,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout,
        lifespan="on",
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield app, port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@contextlib.asynccontextmanager
async def serve_with_client(
    settings: Settings, clock: Clock | None = None, *, ws: str = "direct"
) -> AsyncIterator[tuple[Any, int, httpx.AsyncClient]]:
    """`serve`, plus an HTTP client for it; yields (app, port, client)."""
    async with (
        serve(settings, clock, ws=ws) as (app, port),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client,
    ):
        yield app, port, client


class Stream:
    """A stream client: collects events, remembers revisions, can resume."""

    def __init__(self, port: int, token: str) -> None:
        self.url = f"ws://127.0.0.1:{port}/api/v1/stream?token={token}"
        self.revs: dict[int, int] = {}
        self.ws: ClientConnection | None = None
        self.ready: dict[str, Any] | None = None

    async def open(self, *, resume: bool = True, max_queue: int | None = 64) -> Stream:
        self.ws = await connect(self.url, max_queue=max_queue)
        self.ready = await self.next_event()
        assert self.ready["type"] == "ready", self.ready
        if resume:
            await self.ws.send(
                orjson.dumps(
                    {"type": "resume", "conversations": {str(k): v for k, v in self.revs.items()}}
                ).decode()
            )
        return self

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def next_event(self, timeout: float = 10) -> dict[str, Any]:
        assert self.ws is not None
        event = orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        conversation_id, rev = event.get("conversation_id"), event.get("rev")
        if conversation_id is not None and rev is not None:
            self.revs[conversation_id] = max(rev, self.revs.get(conversation_id, 0))
        return event

    async def events_until(self, predicate, timeout: float = 10) -> list[dict[str, Any]]:
        """Events up to and including the first one that satisfies `predicate`."""
        seen: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = await self.next_event(max(0.01, deadline - loop.time()))
            seen.append(event)
            if predicate(event):
                return seen

    async def messages(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """The next `count` message.new events (other events are skipped)."""
        found: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(found) < count:
            event = await self.next_event(max(0.01, deadline - loop.time()))
            if event["type"] == "message.new":
                found.append(event)
        return found
