"""Driver for the ceiling server (bench/ceiling_server.py): start it, connect, send."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from common import BENCH_DIR, free_port, now_ns, start_server, wait_tcp
from loadgen import MemberSpec, Record
from wire import WsClient, ws_connect

GROUP = "bench"


class CeilingServer:
    """The ceiling server as a subprocess on a free loopback port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.proc = start_server(
            [sys.executable, str(BENCH_DIR / "ceiling_server.py"), "--port", str(self.port)],
            workdir / "ceiling.log",
        )
        wait_tcp("127.0.0.1", self.port, 20, self.proc)

    async def setup(self, members: int) -> list[MemberSpec]:
        """Nothing to create: a member joins the group by connecting to its path."""
        url = f"ws://127.0.0.1:{self.port}/g/{GROUP}"
        return [MemberSpec(index=i, system="ceiling", url=url) for i in range(members)]

    async def open_senders(self, indexes: list[int]) -> list[CeilingSender]:
        url = f"ws://127.0.0.1:{self.port}/send/{GROUP}"
        return [await CeilingSender.open(i, url) for i in indexes]


class CeilingSender:
    """A send channel with one frame in flight: the next frame waits for the server's ack."""

    def __init__(self, index: int) -> None:
        self.index = index
        self._ws: WsClient | None = None
        self._ack: asyncio.Future[None] | None = None

    @classmethod
    async def open(cls, index: int, url: str) -> CeilingSender:
        sender = cls(index)
        sender._ws = await ws_connect(url, sender._on_message)
        return sender

    def _on_message(self, payload: bytes, opcode: int) -> None:
        if self._ack is not None and not self._ack.done():
            self._ack.set_result(None)

    async def send(self, text: str) -> None:
        assert self._ws is not None
        self._ack = asyncio.get_running_loop().create_future()
        self._ws.send_text(text.encode())
        done, _ = await asyncio.wait(
            [self._ack, self._ws.closed], timeout=30, return_when=asyncio.FIRST_COMPLETED
        )
        if self._ack not in done:
            raise ConnectionError("ceiling send channel closed or timed out")

    async def aclose(self) -> None:
        if self._ws is not None:
            self._ws.close()


async def run_member(
    spec: MemberSpec, record: Record, ready: Callable[[], None], stop: asyncio.Event
) -> None:
    """A live member: the first frame is the server's ready, every later one a message."""
    is_ready = False

    def on_message(payload: bytes, opcode: int) -> None:
        nonlocal is_ready
        arrival = now_ns()
        if not is_ready:
            is_ready = True
            ready()
            return
        record(spec.index, payload.decode(), arrival)

    ws = await ws_connect(spec.url, on_message)
    try:
        stop_task = asyncio.ensure_future(stop.wait())
        await asyncio.wait([stop_task, ws.closed], return_when=asyncio.FIRST_COMPLETED)
        stop_task.cancel()
    finally:
        ws.close()
