"""One encoded event, shared by every socket it goes to.

The hub turns a bus message into one `Frame`: the JSON text for the portable ASGI path and,
built on first use, the complete WebSocket text frame for the direct path of
`plaza.live.direct`, so a message going to 500 members is framed once, not 500 times (the
idea of `websockets.broadcast`).
"""

from __future__ import annotations

import asyncio
import struct


def encode_text_frame(payload: bytes) -> bytes:
    """A final, unmasked, uncompressed text frame (RFC 6455 §5.2), as a server sends it."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


class Frame:
    __slots__ = ("_wire", "payload")

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self._wire: bytes | None = None

    @property
    def text(self) -> str:
        return self.payload.decode()

    @property
    def wire(self) -> bytes:
        if self._wire is None:
            self._wire = encode_text_frame(self.payload)
        return self._wire


class Flusher:
    """Writes out, once per event-loop turn, every connection that queued frames in that turn.

    One scheduled callback for the whole node instead of one per socket: a message to a group
    of 500 marks 500 connections and costs one loop callback.
    """

    def __init__(self) -> None:
        self._dirty: list = []

    def mark(self, connection) -> None:
        """`connection` has frames waiting; its `flush()` runs at the end of this turn."""
        if not self._dirty:
            asyncio.get_running_loop().call_soon(self._run)
        self._dirty.append(connection)

    def _run(self) -> None:
        dirty, self._dirty = self._dirty, []
        for connection in dirty:
            connection.flush()
