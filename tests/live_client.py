"""Helpers for process-level tests: a WebSocket client of `/api/v1/stream` that records every
event, a throwaway redis-server, a throwaway PostgreSQL database, and history paging.

Every wait is bounded so that a lost event fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests.processes import free_port

WAIT = 15.0


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].split(" ", 1)[1]


class LiveClient:
    """One `/api/v1/stream` connection; a background task appends every frame to `events`."""

    def __init__(self, ws_url: str, token: str) -> None:
        self.url = f"{ws_url}/api/v1/stream?token={token}"
        self.ready: dict[str, Any] | None = None
        self.events: list[dict[str, Any]] = []
        self.closed: websockets.ConnectionClosed | None = None
        self._ws: websockets.ClientConnection | None = None
        self._reader: asyncio.Task | None = None
        self._changed = asyncio.Event()

    async def connect(
        self, resume: dict[int, int] | None = None, *, send_resume: bool = True
    ) -> LiveClient:
        """Connect, read `ready`, then resume from `resume` (default: the `ready` revisions,
        i.e. go live at once without a replay). With `send_resume=False` no resume frame is
        sent and the server goes live on its own after its resume wait."""
        self._ws = await asyncio.wait_for(websockets.connect(self.url, open_timeout=WAIT), WAIT)
        self.ready = json.loads(await asyncio.wait_for(self._ws.recv(), WAIT))
        assert self.ready["type"] == "ready", self.ready
        if send_resume:
            positions = self.ready["conversations"] if resume is None else resume
            conversations = {str(k): v for k, v in positions.items()}
            await self._ws.send(json.dumps({"type": "resume", "conversations": conversations}))
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                self.events.append(json.loads(raw))
                self._changed.set()
        except websockets.ConnectionClosed as exc:
            self.closed = exc
        finally:
            if self.closed is None:
                self.closed = websockets.ConnectionClosedOK(None, None)
            self._changed.set()

    async def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], within: float = WAIT
    ) -> None:
        """Wait until `predicate(self.events)` holds; fail after `within` seconds."""
        deadline = time.monotonic() + within
        while not predicate(self.events):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"timed out after {within} s; closed={self.closed!r}; "
                    f"last events: {self.events[-5:]}"
                )
            self._changed.clear()
            if predicate(self.events):
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))

    def of(self, conversation_id: int) -> list[dict[str, Any]]:
        """Events of one conversation, in arrival order."""
        return [e for e in self.events if e.get("conversation_id") == conversation_id]

    def messages(self, conversation_id: int) -> list[dict[str, Any]]:
        return [e for e in self.of(conversation_id) if e.get("type") == "message.new"]

    async def wait_for_seq(self, conversation_id: int, seq: int, within: float = WAIT) -> None:
        await self.wait_for(
            lambda _: any(e["seq"] >= seq for e in self.messages(conversation_id)), within
        )

    def assert_in_order(self, conversation_id: int, after_rev: int) -> None:
        """The protocol's promise: revisions after `after_rev` arrive gap-free, each once."""
        revs = [e["rev"] for e in self.of(conversation_id) if "rev" in e]
        assert revs == list(range(after_rev + 1, after_rev + 1 + len(revs))), revs

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 5)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader


async def history(
    client: httpx.AsyncClient, who: dict[str, str], conversation_id: int
) -> list[dict[str, Any]]:
    """The whole history of a conversation, paging forward 200 at a time."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"after_seq": 0, "limit": 200}
    while True:
        response = await client.get(
            f"/api/v1/conversations/{conversation_id}/messages", params=params, headers=who
        )
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if not page["next_cursor"]:
            return items
        params = {"cursor": page["next_cursor"], "limit": 200}


class RedisServer:
    """A private redis-server on a free port that a test may kill and start again."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log = log_dir / f"redis-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log.read_text()[-2000:]}")
            if self._ping():
                return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"redis-server did not come up: {self.log.read_text()[-2000:]}")

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL, as in a crash: every client connection drops at once."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
