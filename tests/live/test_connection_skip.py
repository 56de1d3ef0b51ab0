"""`Connection.skip`: an event a person may not see moves their position like any event (so
order and gap repair hold) and sends nothing."""

from __future__ import annotations

import asyncio

from plaza.live.connection import Connection
from plaza.live.frames import Frame

TOPIC = "conversation:1"


def _connection(replays: list[int], replay=None) -> Connection:
    async def replayer(conn: Connection, topic: str, after: int) -> None:
        replays.append(after)
        if replay is not None:
            replay(conn)

    async def send(message) -> None:
        return None

    return Connection(user_id=1, send=send, buffer_limit=100, replayer=replayer)


def _sent(conn: Connection) -> list[bytes]:
    return [frame.payload for frame in conn._queue]


async def test_skipped_revisions_keep_order_without_a_replay():
    replays: list[int] = []
    conn = _connection(replays)
    conn.follow(TOPIC, 5)
    conn.skip(TOPIC, 6)  # before going live: held with the rest
    conn.resume({})
    conn.deliver(TOPIC, 7, Frame(b"a"))
    conn.skip(TOPIC, 8)
    conn.deliver(TOPIC, 9, Frame(b"b"))
    await asyncio.sleep(0)
    assert _sent(conn) == [b"a", b"b"]
    assert conn.positions[TOPIC] == 9
    assert replays == []


async def test_a_skip_after_a_gap_is_repaired_like_any_event():
    replays: list[int] = []

    def replay(conn: Connection) -> None:
        conn.replayed(TOPIC, 6, '"six"')
        conn.skip_replayed(TOPIC, 7)

    conn = _connection(replays, replay)
    conn.follow(TOPIC, 5)
    conn.resume({})
    conn.skip(TOPIC, 7)  # 6 was lost: a gap
    conn.deliver(TOPIC, 8, Frame(b"eight"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert replays == [5]
    assert _sent(conn) == [b'"six"', b"eight"]
    assert conn.positions[TOPIC] == 8
