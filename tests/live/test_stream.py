"""Live delivery over the WebSocket stream: order, resume, gaps, membership, slow consumers."""

from __future__ import annotations

import asyncio
import socket

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from plaza.bus.memory import MemoryBus
from plaza.chat.service import sending
from tests.helpers import befriend, group, register, send
from tests.live_server import Stream, serve_with_client


@pytest.fixture
async def server(settings, clock):
    async with serve_with_client(settings, clock) as running:
        yield running


async def people(client, *names):
    heads = {n: await register(client, n) for n in names}
    for name in names[1:]:
        await befriend(client, heads[name], heads[names[0]], names[0])
    return heads


def token(headers) -> str:
    return headers["Authorization"].split()[1]


async def test_unauthenticated_stream_is_closed_with_4401(server):
    _, port, _ = server
    async with connect(f"ws://127.0.0.1:{port}/api/v1/stream?token=nope") as ws:
        first = await asyncio.wait_for(ws.recv(), 5)
        assert '"unauthorized"' in first
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 4401


async def test_messages_arrive_live_in_order_for_every_member(server):
    await _fan_out_in_order(*server)


async def test_portable_asgi_path_delivers_in_order_too(sqlite_settings, clock):
    async with serve_with_client(sqlite_settings, clock, ws="asgi") as running:
        await _fan_out_in_order(*running)


async def _fan_out_in_order(app, port, client):
    heads = await people(client, "alice", "bob", "carol")
    conv = await group(client, heads["alice"], ["bob", "carol"])
    streams = {n: await Stream(port, token(h)).open() for n, h in heads.items()}
    assert streams["bob"].ready["conversations"] == {str(conv["id"]): conv["rev"]}
    sent = [await send(client, heads["alice"], conv["id"], f"line {i}", f"c{i}") for i in range(20)]
    for name, stream in streams.items():
        got = await stream.messages(20)
        assert [e["message"]["text"] for e in got] == [m["text"] for m in sent], name
        assert [e["seq"] for e in got] == list(range(1, 21))
        assert all(e["conversation_id"] == conv["id"] for e in got)
        revs = [e["rev"] for e in got]
        assert revs == sorted(revs) and len(set(revs)) == 20
        await stream.close()


async def test_resume_replays_what_was_missed_exactly_once(server):
    _, port, client = server
    heads = await people(client, "alice", "bob")
    conv = await group(client, heads["alice"], ["bob"])
    bob = await Stream(port, token(heads["bob"])).open()
    await send(client, heads["alice"], conv["id"], "seen", "s0")
    assert [e["message"]["text"] for e in await bob.messages(1)] == ["seen"]
    await bob.close()
    for i in range(5):
        await send(client, heads["alice"], conv["id"], f"missed {i}", f"m{i}")
    await bob.open()  # resumes from the revision it last saw
    await send(client, heads["alice"], conv["id"], "live again", "l0")
    got = await bob.messages(6)
    assert [e["message"]["text"] for e in got] == [f"missed {i}" for i in range(5)] + ["live again"]
    with pytest.raises(TimeoutError):
        await bob.next_event(timeout=0.5)
    await bob.close()


async def test_resume_shows_recall_that_happened_while_away(server):
    _, port, client = server
    heads = await people(client, "alice", "bob")
    conv = await group(client, heads["alice"], ["bob"])
    bob = await Stream(port, token(heads["bob"])).open()
    message = await send(client, heads["alice"], conv["id"], "secret", "s1")
    await bob.messages(1)
    await bob.close()
    response = await client.delete(
        f"/api/v1/conversations/{conv['id']}/messages/{message['id']}", headers=heads["alice"]
    )
    assert response.status_code == 204
    await bob.open()
    recalled = await bob.events_until(lambda e: e["type"] == "message.recalled")
    assert recalled[-1]["message_id"] == message["id"]
    assert "secret" not in str(recalled)
    await bob.close()


async def test_a_lost_bus_message_is_repaired_from_the_database(server):
    app, port, client = server
    heads = await people(client, "alice", "bob")
    conv = await group(client, heads["alice"], ["bob"])
    bob = await Stream(port, token(heads["bob"])).open()
    runtime = app.state.runtime
    # Commit a message whose announcement is lost (published on a bus nobody listens to).
    async with runtime.sessions() as session:
        from plaza.accounts.service.users import get_user

        alice = await get_user(session, username="alice")
        await sending.send(
            session,
            clock=runtime.clock,
            bus=MemoryBus(),
            sender=alice,
            conversation_id=conv["id"],
            client_id="lost",
            text="lost on the bus",
            reply_to=None,
            max_chars=4000,
        )
    await send(client, heads["alice"], conv["id"], "next one", "n1")
    got = await bob.messages(2)
    assert [e["message"]["text"] for e in got] == ["lost on the bus", "next one"]
    await bob.close()


async def test_membership_changes_follow_and_unfollow_live(server):
    _, port, client = server
    heads = await people(client, "alice", "bob", "carol")
    conv = await group(client, heads["alice"], ["bob"])
    carol = await Stream(port, token(heads["carol"])).open()
    bob = await Stream(port, token(heads["bob"])).open()
    added = await client.post(
        f"/api/v1/conversations/{conv['id']}/members",
        json={"username": "carol"},
        headers=heads["alice"],
    )
    assert added.status_code == 201
    joined = await carol.events_until(lambda e: e["type"] == "conversation.joined")
    assert joined[-1]["conversation_id"] == conv["id"]
    await send(client, heads["alice"], conv["id"], "welcome carol", "w1")
    assert (await carol.messages(1))[0]["message"]["text"] == "welcome carol"
    removed = await client.delete(
        f"/api/v1/conversations/{conv['id']}/members/carol", headers=heads["alice"]
    )
    assert removed.status_code == 204
    await carol.events_until(lambda e: e["type"] == "member.removed")
    await send(client, heads["alice"], conv["id"], "carol is gone", "w2")
    texts = [e["message"]["text"] for e in await bob.messages(2)]
    assert texts == ["welcome carol", "carol is gone"]
    with pytest.raises(TimeoutError):
        while True:
            event = await carol.next_event(timeout=0.5)
            assert event["type"] != "message.new", event
    await carol.close()
    await bob.close()


async def test_ping_pong_and_bad_frames(server):
    _, port, client = server
    heads = await people(client, "alice")
    stream = await Stream(port, token(heads["alice"])).open()
    assert stream.ws is not None
    await stream.ws.send('{"type": "ping"}')
    assert (await stream.next_event())["type"] == "pong"
    await stream.ws.send("not json")
    error = await stream.next_event()
    assert error["type"] == "error" and error["code"] == "bad_frame"
    await stream.close()


async def stuck_client(port: int, bearer: str) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads again, with a tiny
    receive buffer, so the server's writes back up quickly."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    handshake = (
        f"GET /api/v1/stream?token={bearer} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, handshake.encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += await loop.sock_recv(sock, 1)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


@pytest.mark.parametrize("ws", ["direct", "asgi"])
async def test_slow_consumer_is_disconnected_and_resumes(sqlite_settings, clock, ws):
    settings = sqlite_settings.model_copy(update={"stream_buffer_events": 20})
    async with serve_with_client(settings, clock, ws=ws) as (app, port, client):
        hub = app.state.runtime.hub
        heads = await people(client, "alice", "bob")
        conv = await group(client, heads["alice"], ["bob"])
        stuck = await stuck_client(port, token(heads["bob"]))
        try:
            sent = 0
            while hub.connection_count and sent < 3000:
                await send(client, heads["alice"], conv["id"], "x" * 4000, f"f{sent}")
                sent += 1
            assert hub.connection_count == 0, "the stuck client was never let go"
        finally:
            stuck.close()
        # Reconnecting and resuming from where it stood delivers everything, in order.
        fresh = Stream(port, token(heads["bob"]))
        fresh.revs = {conv["id"]: conv["rev"]}
        await fresh.open()
        got = await fresh.messages(sent, timeout=30)
        assert [e["seq"] for e in got] == list(range(1, sent + 1))
        await fresh.close()


async def test_send_over_the_stream_is_acknowledged_and_delivered(server):
    _, port, client = server
    heads = await people(client, "alice", "bob", "carol")
    conv = await group(client, heads["alice"], ["bob"])
    alice = await Stream(port, token(heads["alice"])).open()
    bob = await Stream(port, token(heads["bob"])).open()
    carol = await Stream(port, token(heads["carol"])).open()
    assert alice.ws is not None and carol.ws is not None
    frame = {"type": "send", "conversation_id": conv["id"], "client_id": "ws-1", "text": "hi"}
    await alice.ws.send(orjson.dumps({**frame, "ref": 7}).decode())
    ack = (await alice.events_until(lambda e: e["type"] == "sent"))[-1]
    assert ack["ref"] == 7 and ack["client_id"] == "ws-1" and ack["created"] is True
    assert ack["message"]["seq"] == 1 and ack["message"]["text"] == "hi"
    got = await bob.messages(1)
    assert got[0]["message"]["id"] == ack["message"]["id"]
    # A retry is answered with the first message, not a second one.
    await alice.ws.send(orjson.dumps(frame).decode())
    again = (await alice.events_until(lambda e: e["type"] == "sent"))[-1]
    assert again["created"] is False and again["message"]["id"] == ack["message"]["id"]
    # The same rules as the HTTP API: a non-member is told the conversation does not exist.
    await carol.ws.send(orjson.dumps({**frame, "client_id": "c-1"}).decode())
    error = (await carol.events_until(lambda e: e["type"] == "error"))[-1]
    assert error["code"] == "not_found" and error["client_id"] == "c-1"
    await alice.ws.send(orjson.dumps({**frame, "text": 5}).decode())
    invalid = (await alice.events_until(lambda e: e["type"] == "error"))[-1]
    assert invalid["code"] == "invalid" and invalid["field"] == "text"
    history = await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=heads["bob"])
    assert [m["text"] for m in history.json()["items"]] == ["hi"]
    for stream in (alice, bob, carol):
        await stream.close()


async def test_heartbeats_drop_a_peer_that_stopped_answering(sqlite_settings, clock):
    settings = sqlite_settings.model_copy(update={"ws_ping_interval": 0.3, "ws_ping_timeout": 0.3})
    async with serve_with_client(settings, clock) as (app, port, client):
        hub = app.state.runtime.hub
        heads = await people(client, "alice")
        dead = await stuck_client(port, token(heads["alice"]))  # never answers a ping
        try:
            for _ in range(100):
                if hub.connection_count == 0:
                    break
                await asyncio.sleep(0.1)
            assert hub.connection_count == 0
        finally:
            dead.close()
