"""The ceiling: a bare `websockets` broadcast server, the fastest a Python chat fan-out can be.

No storage, no authentication, no JSON. It mirrors Plaza's shape (a send channel that is
acknowledged, plus a live stream per member) with nothing else:

- `/g/<group>`: a member's live stream. It is told `{"type":"ready"}` once it is in the group,
  then receives every message sent to the group, unchanged, as a text frame.
- `/send/<group>`: a send channel. Each text frame is broadcast to every member of the group
  (the sender's own stream included, as Plaza echoes too), then acknowledged with `ok`, the
  analogue of Plaza's `201` to `POST /messages`.

Whatever Plaza does on top of this (persisting, sequencing, authorising, building JSON events)
is its cost over this number.

Run: python bench/ceiling_server.py --port 9000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections import defaultdict

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

READY = '{"type":"ready"}'


async def main(host: str, port: int) -> None:
    groups: dict[str, set[ServerConnection]] = defaultdict(set)

    async def handler(conn: ServerConnection) -> None:
        path = conn.request.path if conn.request else "/"
        kind, _, group = path.strip("/").partition("/")
        members = groups[group or "default"]
        try:
            if kind == "send":
                while True:
                    # Raw bytes in, the same bytes out as text frames: no decode/encode.
                    frame = await conn.recv(decode=False)
                    # broadcast() writes to every member without awaiting any of them (no
                    # backpressure): the cheapest possible fan-out.
                    broadcast(members, frame, text=True)
                    await conn.send("ok")
            else:
                members.add(conn)
                await conn.send(READY)
                await conn.wait_closed()
        except ConnectionClosed:
            pass
        finally:
            members.discard(conn)

    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    # compression=None: the benchmark clients never offer permessage-deflate anyway; saying so
    # here keeps the comparison with Plaza (uncompressed frames) explicit.
    async with serve(handler, host, port, compression=None, max_queue=None, write_limit=2**20):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(args.host, args.port))
