"""A session that ends closes its sockets (issue #6 item 1): sign-out, revocation from another
device, "sign out everywhere else", a password change, a suspension, expiry. Close code 4401,
with the reason; nothing more arrives on, or is accepted from, such a socket."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from plaza.accounts.service.status import set_status
from plaza.accounts.service.users import get_user
from tests.helpers import PASSWORD, befriend, group, log_in, register, send
from tests.live_server import Stream, serve_with_client


@pytest.fixture
async def server(settings, clock):
    async with serve_with_client(settings, clock) as running:
        yield running


def token(headers) -> str:
    return headers["Authorization"].split()[1]


async def closed(stream: Stream, timeout: float = 5) -> ConnectionClosed:
    """Read until the server closes the socket; fail if it does not within `timeout`."""
    with pytest.raises(ConnectionClosed) as info:
        while True:
            await stream.next_event(timeout=timeout)
    return info.value


async def pair(client):
    alice, bob = await register(client, "alice"), await register(client, "bob")
    await befriend(client, alice, bob, "bob")
    conv = await group(client, alice, ["bob"])
    return alice, bob, conv


async def test_sign_out_closes_the_socket_and_it_cannot_send(server):
    _, port, client = server
    alice, bob, conv = await pair(client)
    stream = await Stream(port, token(bob)).open()
    answer = await client.delete("/api/v1/sessions/current", headers=bob)
    assert answer.status_code == 204
    ended = await closed(stream)
    assert ended.rcvd.code == 4401
    assert "signed_out" in ended.rcvd.reason
    # Whatever it tries next goes nowhere: nothing is stored under bob's name.
    with pytest.raises(ConnectionClosed):
        await stream.ws.send(
            orjson.dumps(
                {"type": "send", "conversation_id": conv["id"], "client_id": "late", "text": "x"}
            ).decode()
        )
        await stream.next_event(timeout=2)
    await send(client, alice, conv["id"], "after", "a1")
    history = await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=alice)
    assert [m["text"] for m in history.json()["items"]] == ["after"]
    # And the token no longer opens a stream.
    again = Stream(port, token(bob))
    with pytest.raises((ConnectionClosed, AssertionError)):
        await again.open()


async def test_revoking_one_device_closes_only_its_sockets(server):
    _, port, client = server
    alice, bob, conv = await pair(client)
    phone = bob
    laptop = await log_in(client, "bob")
    phone_stream = await Stream(port, token(phone)).open()
    laptop_stream = await Stream(port, token(laptop)).open()
    listed = (await client.get("/api/v1/sessions", headers=laptop)).json()["items"]
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    phone_id = next(s["id"] for s in listed if not s["current"])
    assert (await client.delete(f"/api/v1/sessions/{phone_id}", headers=laptop)).status_code == 204
    ended = await closed(phone_stream)
    assert (ended.rcvd.code, "revoked" in ended.rcvd.reason) == (4401, True)
    assert (await client.get("/api/v1/me", headers=phone)).status_code == 401
    # The laptop's socket lives on.
    await send(client, alice, conv["id"], "still here?", "s1")
    assert [e["message"]["text"] for e in await laptop_stream.messages(1)] == ["still here?"]
    # A session that is not mine (or no longer open) is a 404.
    assert (await client.delete(f"/api/v1/sessions/{phone_id}", headers=laptop)).status_code == 404
    theirs = (await client.get("/api/v1/sessions", headers=alice)).json()["items"][0]["id"]
    assert (await client.delete(f"/api/v1/sessions/{theirs}", headers=laptop)).status_code == 404
    assert (await client.get("/api/v1/me", headers=alice)).status_code == 200
    await laptop_stream.close()


async def test_sign_out_everywhere_else_and_password_change_end_the_other_sessions(server):
    _, port, client = server
    _, bob, _ = await pair(client)
    others = [await log_in(client, "bob") for _ in range(2)]
    streams = [await Stream(port, token(h)).open() for h in others]
    mine = await Stream(port, token(bob)).open()
    answer = await client.delete("/api/v1/sessions/others", headers=bob)
    assert answer.json() == {"ended": 2}
    for stream in streams:
        assert (await closed(stream)).rcvd.code == 4401
    # A password change signs out whoever knew the old password.
    thief = await log_in(client, "bob")
    thief_stream = await Stream(port, token(thief)).open()
    wrong = await client.post(
        "/api/v1/me/password",
        json={"current_password": "not it at all", "new_password": "a new long password"},
        headers=bob,
    )
    assert wrong.status_code == 403
    changed = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a new long password"},
        headers=bob,
    )
    assert changed.json() == {"ended": 1}
    ended = await closed(thief_stream)
    assert "password_changed" in ended.rcvd.reason
    assert (await client.get("/api/v1/me", headers=thief)).status_code == 401
    assert (await client.get("/api/v1/me", headers=bob)).status_code == 200
    old = await client.post("/api/v1/sessions", json={"username": "bob", "password": PASSWORD})
    assert old.status_code == 401
    # The session that made the changes keeps its socket.
    await mine.ws.send('{"type": "ping"}')
    assert (await mine.events_until(lambda e: e["type"] == "pong"))[-1]["type"] == "pong"
    await mine.close()


async def test_suspension_closes_every_socket_of_the_person(server):
    app, port, client = server
    _, bob, _ = await pair(client)
    streams = [await Stream(port, token(bob)).open()]
    streams.append(await Stream(port, token(await log_in(client, "bob"))).open())
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        person = await get_user(session, username="bob")
        await set_status(
            session, clock=runtime.clock, bus=runtime.bus, user=person, status="suspended"
        )
    for stream in streams:
        ended = await closed(stream)
        assert (ended.rcvd.code, "suspended" in ended.rcvd.reason) == (4401, True)


async def test_an_expired_session_closes_its_socket(settings, clock):
    async with serve_with_client(settings, clock) as (_, port, client):
        bob = await register(client, "bob")
        stream = await Stream(port, token(bob)).open()
        clock.advance(settings.session_ttl_days * 86400 + 1)
        ended = await closed(stream, timeout=10)
        assert (ended.rcvd.code, "expired" in ended.rcvd.reason) == (4401, True)


async def test_cookie_upgrades_only_from_our_own_origin(sqlite_settings, clock):
    async with serve_with_client(sqlite_settings, clock) as (_, port, client):
        bob = await register(client, "bob")
        url = f"ws://127.0.0.1:{port}/api/v1/stream"
        cookie = {"Cookie": f"plaza_session={token(bob)}"}
        async with connect(url, additional_headers=cookie, origin="http://evil.example") as ws:
            refusal = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            assert refusal["code"] == "forbidden_origin"
            with pytest.raises(ConnectionClosed) as info:
                await asyncio.wait_for(ws.recv(), 5)
        assert info.value.rcvd.code == 4403
        ours = f"http://127.0.0.1:{port}"
        async with connect(url, additional_headers=cookie, origin=ours) as ws:
            ready = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            assert ready["type"] == "ready" and ready["user"]["username"] == "bob"
        # A token (not a cookie) is not a browser's ambient credential: any origin may use it.
        with_token = f"{url}?token={token(bob)}"
        async with connect(with_token, origin="http://elsewhere.example") as ws:
            assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "ready"
