"""A small TCP proxy on loopback that a test can cut and restore, to play a database outage
without touching the shared PostgreSQL server.

    proxy = await TcpProxy("127.0.0.1", 5432).start()   # listens on proxy.port
    await proxy.cut()       # close every current connection; refuse new ones
    await proxy.cut("blackhole")  # ... or accept new ones and never answer (a hung server)
    await proxy.restore()   # forward again

"refuse" closes the listening socket, as a stopped server would (connect gets ECONNREFUSED),
and listens again on the same port when restored. "reset" accepts and closes at once (a
server that is starting up). "blackhole" accepts and then stays silent (a network partition):
what reaches it is read and dropped until it is restored, when its connections are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

MODES = ("refuse", "reset", "blackhole")


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.host = host
        self.port = 0
        self.mode: str | None = None  # None: forwarding; else one of MODES
        self.accepted = 0  # connections accepted so far, forwarded or not
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> TcpProxy:
        await self._listen()
        return self

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    @property
    def open_connections(self) -> int:
        return len(self._links)

    async def cut(self, mode: str = "refuse") -> None:
        """Close every current connection, then refuse, reset or blackhole new ones."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode = mode
        if mode == "refuse":
            await self._stop_listening()
        await self._drop_all()

    async def restore(self) -> None:
        """Forward new connections again (blackholed ones are closed)."""
        was = self.mode
        self.mode = None
        await self._drop_all()
        if was == "refuse":
            await self._listen()

    async def close(self) -> None:
        self.mode = "reset"
        await self._stop_listening()
        await self._drop_all()

    async def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._links):
            task.cancel()
        for task in list(self._links):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode == "reset":
            writer.transport.abort()
            return
        task = asyncio.ensure_future(self._serve(reader, writer))
        self._links.add(task)
        task.add_done_callback(self._links.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        upstream: asyncio.StreamWriter | None = None
        try:
            if self.mode == "blackhole":
                while await reader.read(65536):
                    pass
                return
            up_reader, upstream = await asyncio.open_connection(*self.target)
            self._writers.add(upstream)
            await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except OSError:
            pass
        finally:
            for w in (writer, upstream):
                if w is not None:
                    self._writers.discard(w)
                    w.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.transport.abort()


@contextlib.asynccontextmanager
async def tcp_proxy(target_host: str, target_port: int) -> AsyncIterator[TcpProxy]:
    proxy = await TcpProxy(target_host, target_port).start()
    try:
        yield proxy
    finally:
        await proxy.close()
