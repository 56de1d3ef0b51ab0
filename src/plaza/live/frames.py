"""One encoded event, shared by every socket it goes to.

The hub turns a bus message into one `Frame`: the JSON text for the portable ASGI path and,
built on first use, the complete WebSocket text frame for the direct path of
`plaza.live.direct`, so a message going to 500 members is framed once, not 500 times (the
idea of `websockets.broadcast`).
"""

from __future__ import annotations

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
