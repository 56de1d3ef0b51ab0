"""Lean client-side WebSocket and HTTP/1.1 for the load generator.

The load generator shares two cores with the server under test, so its per-message cost must
stay far below the server's. A general-purpose client (the `websockets` client, httpx) spends
tens of microseconds per frame or request in Python; these minimal versions parse many frames
per `data_received` call and build requests from bytes, which keeps the client's share of the
CPU small enough to report the server's numbers rather than the client's.

Only what the benchmark needs is implemented: no extensions (so no permessage-deflate is ever
negotiated), no subprotocols, text/binary/ping/pong/close frames, keep-alive HTTP with
Content-Length or chunked bodies.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
from collections.abc import Callable
from urllib.parse import urlsplit

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def mask_frame(opcode: int, payload: bytes) -> bytes:
    """A final client frame: clients must mask (RFC 6455 5.3); the key is random per frame."""
    length = len(payload)
    if length < 126:
        header = bytes((0x80 | opcode, 0x80 | length))
    elif length < 1 << 16:
        header = bytes((0x80 | opcode, 0x80 | 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + length.to_bytes(8, "big")
    key = os.urandom(4)
    if not payload:
        return header + key
    repeated = (key * (length // 4 + 1))[:length]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        length, "big"
    )
    return header + key + masked


class WsClient(asyncio.Protocol):
    """A WebSocket client connection whose complete messages go to a callback.

    `on_message(payload, opcode)` is called synchronously from `data_received`, so a receiver
    stamps the arrival time as soon as the bytes are read, before any scheduling delay.
    """

    def __init__(self, on_message: Callable[[bytes, int], None], request: bytes) -> None:
        self._on_message = on_message
        self._request = request
        self._buf = bytearray()
        self._handshaking = True
        self._fragments: list[bytes] = []
        self._fragment_op = OP_TEXT
        self.transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if self._handshaking:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self._buf[:end])
            del self._buf[: end + 4]
            status = head.split(b"\r\n", 1)[0]
            if b" 101 " not in status + b" ":
                self.opened.set_exception(ConnectionError(status.decode(errors="replace")))
                self.abort()
                return
            self._handshaking = False
            self.opened.set_result(None)
        self._parse_frames()

    def _parse_frames(self) -> None:
        buf = self._buf
        pos, size = 0, len(buf)
        while size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length = b1 & 0x7F
            start = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                start = pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                start = pos + 10
            if b1 & 0x80:  # servers never mask; treat as a protocol error
                self.abort()
                return
            if size - start < length:
                break
            payload = bytes(buf[start : start + length])
            pos = start + length
            self._handle_frame(b0 & 0x80 != 0, b0 & 0x0F, payload)
        if pos:
            del buf[:pos]

    def _handle_frame(self, fin: bool, opcode: int, payload: bytes) -> None:
        if opcode in (OP_TEXT, OP_BINARY):
            if fin:
                self._on_message(payload, opcode)
            else:
                self._fragment_op, self._fragments = opcode, [payload]
        elif opcode == OP_CONT:
            self._fragments.append(payload)
            if fin:
                message, self._fragments = b"".join(self._fragments), []
                self._on_message(message, self._fragment_op)
        elif opcode == OP_PING:
            self._write(mask_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            self._write(mask_frame(OP_CLOSE, payload[:2]))
            if self.transport is not None:
                self.transport.close()

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def send_text(self, text: bytes) -> None:
        self._write(mask_frame(OP_TEXT, text))

    def close(self) -> None:
        """Send a normal close frame and drop the connection without waiting for the echo."""
        self._write(mask_frame(OP_CLOSE, (1000).to_bytes(2, "big")))
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


async def ws_connect(
    url: str, on_message: Callable[[bytes, int], None], wait_s: float = 10.0
) -> WsClient:
    """Open a WebSocket to `ws://host:port/path?query` and finish the opening handshake."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    try:
        _, proto = await asyncio.wait_for(
            loop.create_connection(lambda: WsClient(on_message, request), host, port), wait_s
        )
    except TimeoutError:
        raise TimeoutError(f"TCP connect not accepted within {wait_s:.0f}s") from None
    try:
        await asyncio.wait_for(proto.opened, wait_s)
    except TimeoutError:
        proto.abort()
        raise TimeoutError(f"no 101 answer within {wait_s:.0f}s of connecting") from None
    except BaseException:
        proto.abort()
        raise
    return proto


class HttpError(Exception):
    """A non-2xx answer; carries the status and body for the report."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}: {body[:300]!r}")
        self.status = status
        self.body = body


class KeepAliveHttp:
    """One persistent HTTP/1.1 connection with one request in flight at a time.

    Reconnects transparently if the server closed the idle connection.
    """

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None) -> None:
        self.host, self.port = host, port
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._fixed_headers = f"Host: {host}:{port}\r\n{extra}".encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """Send one request and read the whole answer; raises HttpError on >= 300. `headers`
        are added to the connection's fixed ones for this request only."""
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items()).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\n".encode()
            + self._fixed_headers
            + extra
            + f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        )
        for attempt in (0, 1):
            if self._writer is None:
                await self._connect()
            assert self._reader is not None and self._writer is not None
            try:
                self._writer.write(head + body)
                status, payload, keep = await self._read_response(self._reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.aclose()
                if attempt:
                    raise
                continue
            if not keep:
                await self.aclose()
            if status >= 300:
                raise HttpError(status, payload)
            return status, payload
        raise AssertionError("unreachable")

    @staticmethod
    async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, keep = -1, False, True
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                keep = False
        if chunked:
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            return status, b"".join(parts), keep
        if length < 0:
            return status, await reader.read(), False
        return status, await reader.readexactly(length), keep

    async def aclose(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None
