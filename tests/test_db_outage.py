"""A database outage (issue #6 item 11): while PostgreSQL is unreachable the API answers 503
with `Retry-After` on a connection it keeps open, `/healthz` says the database is down, and the
live stream holds its sockets instead of dropping them.

The shared PostgreSQL server must not be restarted, so each test reaches its own database
through a TCP proxy on loopback (tests/tcp_proxy.py) that it cuts and restores. Waits are
bounded loops on conditions, never fixed sleeps that assert timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import Depends
from sqlalchemy import exc as sa
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from plaza.config import Settings
from plaza.errors import database_unavailable
from tests import services
from tests.conftest import FAST_HASHING, running_app
from tests.helpers import befriend, group, register, send
from tests.live_client import LiveClient, history, token_of
from tests.live_server import serve_with_client
from tests.processes import free_port
from tests.tcp_proxy import TcpProxy, tcp_proxy

WAIT = 20.0
PG_HOST, PG_PORT = "127.0.0.1", 5432


@dataclass
class Outage:
    """A served app whose database is reached through `proxy`."""

    app: object
    port: int
    client: httpx.AsyncClient
    proxy: TcpProxy
    settings: Settings


@contextlib.asynccontextmanager
async def proxied_server(template: str, tmp_path: Path, **overrides) -> AsyncIterator[Outage]:
    with services.pg_database("plaza_outage", template=template) as url:
        async with tcp_proxy(PG_HOST, PG_PORT) as proxy:
            proxied = url.replace(f"{PG_HOST}:{PG_PORT}", f"{PG_HOST}:{proxy.port}")
            assert proxied != url
            settings = Settings(
                data_dir=tmp_path / "data",
                database_url=proxied,
                rate_limit_enabled=False,
                **{**FAST_HASHING, **overrides},
            )
            async with serve_with_client(settings) as (app, port, client):
                yield Outage(app, port, client, proxy, settings)


@pytest.fixture
async def outage(pg_template: str, tmp_path: Path) -> AsyncIterator[Outage]:
    async with proxied_server(pg_template, tmp_path) as running:
        yield running


async def until(predicate, within: float = WAIT, what: str = "condition") -> None:
    """Wait (bounded) until `predicate()` is true."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class Tally:
    statuses: Counter = field(default_factory=Counter)
    transport_errors: list[str] = field(default_factory=list)
    reconnects: int = 0  # TCP connections the client had to open again
    acked: dict[str, int] = field(default_factory=dict)  # client_id -> seq
    retried: set[str] = field(default_factory=set)
    retry_after: set[str | None] = field(default_factory=set)
    bodies: list[dict] = field(default_factory=list)


async def steady_sender(
    client: httpx.AsyncClient,
    who: dict,
    conversation_id: int,
    stop: asyncio.Event,
    tally: Tally,
    prefix: str = "s",
) -> None:
    """Send one message after another on one keep-alive connection, retrying a send with the
    same client_id until it is stored, as a client would (sooner than Retry-After asks, to
    meet the outage more often)."""

    async def trace(name: str, _info: dict) -> None:
        if name == "connection.connect_tcp.complete":
            tally.reconnects += 1

    n = 0
    while not stop.is_set():
        client_id = f"{prefix}{n}"
        n += 1
        deadline = time.monotonic() + WAIT
        while True:
            assert time.monotonic() < deadline, f"{client_id} was never stored"
            try:
                response = await client.post(
                    f"/api/v1/conversations/{conversation_id}/messages",
                    json={"client_id": client_id, "text": f"message {client_id}"},
                    headers=who,
                    extensions={"trace": trace},
                )
            except httpx.TransportError as exc:
                tally.transport_errors.append(repr(exc))
                tally.retried.add(client_id)
                await asyncio.sleep(0.02)
                continue
            tally.statuses[response.status_code] += 1
            if response.status_code in (200, 201):
                tally.acked[client_id] = response.json()["seq"]
                break
            tally.retried.add(client_id)
            tally.retry_after.add(response.headers.get("retry-after"))
            if len(tally.bodies) < 5:
                tally.bodies.append(response.json())
            await asyncio.sleep(0.02)


SENDERS = 3  # each on its own keep-alive connection, so the cut catches some mid-request


@pytest.mark.parametrize("mode", ["refuse", "reset"])
async def test_steady_senders_across_an_outage_get_503_never_500_nor_a_reset(
    outage: Outage, mode: str
):
    client = outage.client
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    await befriend(client, bob, alice, "alice")
    conv = await group(client, alice, ["bob"])

    watcher = await LiveClient(f"ws://127.0.0.1:{outage.port}", token_of(bob)).connect()
    start_rev = watcher.ready["conversations"][str(conv["id"])]
    tally = Tally()
    stop = asyncio.Event()
    clients = [
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{outage.port}") for _ in range(SENDERS)
    ]
    for each in clients:  # open each keep-alive connection before counting reconnects
        assert (await each.get("/healthz")).status_code == 200
    senders = [
        asyncio.create_task(steady_sender(each, alice, conv["id"], stop, tally, f"c{n}-"))
        for n, each in enumerate(clients)
    ]
    await until(lambda: len(tally.acked) >= 30, what="sends before the cut")
    await outage.proxy.cut(mode)
    # Down for a second or so: sends are refused (not lost) until the database is back, and
    # the health check says so.
    await until(lambda: sum(tally.statuses[s] for s in (500, 503)) >= 3, what="refusals")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{outage.port}") as probe:
        down = await probe.get("/healthz")
        await asyncio.sleep(1.0)  # stay down a while (not an assertion)
        before_restore = len(tally.acked)
        await outage.proxy.restore()
        await until(lambda: len(tally.acked) >= before_restore + 30, what="sends after restore")
        up = await probe.get("/healthz")
    stop.set()
    await asyncio.wait_for(asyncio.gather(*senders), WAIT)
    for each in clients:
        await each.aclose()

    print(
        f"\n{mode}: statuses={dict(tally.statuses)} transport_errors={len(tally.transport_errors)}"
        f" reconnects={tally.reconnects} acked={len(tally.acked)} retried={len(tally.retried)}"
        f" retry_after={tally.retry_after} errors={tally.transport_errors[:3]}"
    )
    assert set(tally.statuses) <= {200, 201, 503}, tally.statuses
    assert tally.statuses[503] >= 1
    assert tally.transport_errors == []
    assert tally.reconnects == 0, "a client's keep-alive connection was closed"
    assert tally.retry_after == {"1"}
    assert tally.bodies[0] == {
        "error": {"code": "unavailable", "message": "the database is unreachable; retry shortly"}
    }
    assert (down.status_code, down.json()["status"], down.json()["database"]) == (
        503,
        "degraded",
        "down",
    )
    assert (up.status_code, up.json()["status"], up.json()["database"]) == (200, "ok", "up")
    stored = await history(client, alice, conv["id"])
    client_ids = [m["client_id"] for m in stored]
    assert sorted(client_ids) == sorted(tally.acked), "each send stored exactly once"
    assert tally.retried <= set(tally.acked), "every refused send was stored in the end"
    assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
    assert {m["client_id"]: m["seq"] for m in stored} == tally.acked
    # A stream socket stayed open across the cut and saw every stored message once, in order
    # (a commit whose answer was lost in the cut has no live event: the gap is replayed).
    await watcher.wait_for_seq(conv["id"], len(stored))
    assert watcher.closed is None
    watcher.assert_in_order(conv["id"], start_rev)
    assert [e["message"]["client_id"] for e in watcher.messages(conv["id"])] == client_ids
    await watcher.close()


async def test_a_database_that_does_not_answer_is_down_within_the_timeouts(
    pg_template: str, tmp_path: Path
):
    async with proxied_server(
        pg_template, tmp_path, db_connect_timeout=1.0, healthz_timeout=0.5
    ) as running:
        client = running.client
        alice = await register(client, "alice")
        bob = await register(client, "bob")
        await befriend(client, bob, alice, "alice")
        conv = await group(client, alice, ["bob"])
        path = f"/api/v1/conversations/{conv['id']}/messages"
        body = {"client_id": "hung", "text": "to a hung server"}
        await running.proxy.cut("blackhole")
        health = await client.get("/healthz")
        assert (health.status_code, health.json()["database"]) == (503, "down")
        refused = await client.post(path, json=body, headers=alice)
        assert refused.status_code == 503, refused.text
        assert running.proxy.accepted >= 2  # both reached the silent "server"
        await running.proxy.restore()
        health = await client.get("/healthz")
        assert (health.status_code, health.json()["database"]) == (200, "up")
        stored = await client.post(path, json=body, headers=alice)
        assert stored.status_code == 201, stored.text


# -- what counts as "unavailable" ---------------------------------------------------------------


def _sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


def _wrapped(orig: Exception, *, invalidated: bool = False) -> sa.DBAPIError:
    return sa.DBAPIError.instance(
        "SELECT 1", {}, orig, sqlite3.Error, connection_invalidated=invalidated
    )


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (_wrapped(_sqlite_error("database is locked", 5)), True),
        (_wrapped(_sqlite_error("database table is locked", 6)), True),
        (_wrapped(_sqlite_error("no such table: messages", 1)), False),
        (_wrapped(sqlite3.Error("gone"), invalidated=True), True),
        (_wrapped(sqlite3.Error("gone")), False),
        (sa.IntegrityError("INSERT", {}, ValueError("duplicate key")), False),
        (sa.ProgrammingError("SELECT", {}, ValueError("syntax error")), False),
        (sa.TimeoutError("QueuePool limit of size 10 overflow 10 reached"), True),
        (ConnectionRefusedError(111, "refused by something that is not the database"), False),
        (RuntimeError("a bug"), False),
    ],
)
def test_what_counts_as_the_database_being_unavailable(error: Exception, unavailable: bool):
    assert database_unavailable(error) is unavailable


async def test_connection_refused_by_the_database_is_unavailable():
    engine = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/x")
    try:
        with pytest.raises(Exception) as raised:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert database_unavailable(raised.value), repr(raised.value)


async def test_a_bug_is_still_a_logged_500(sqlite_settings: Settings, caplog):
    async with running_app(sqlite_settings) as app:

        async def bug() -> None:
            raise sa.ProgrammingError("SELECT nonsense", {}, ValueError("syntax error"))

        app.add_api_route("/api/v1/bug", bug)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
            response = await client.get("/api/v1/bug")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal"
    assert "retry-after" not in response.headers
    assert any("unhandled error on GET /api/v1/bug" in r.message for r in caplog.records)


async def test_a_database_lost_after_the_answer_keeps_the_connection(sqlite_settings: Settings):
    """FastAPI closes a `yield` dependency's session after the response went out; when the
    database dies just then, the client has its answer and keeps its connection."""

    async def session_that_dies() -> AsyncIterator[None]:
        yield None
        gone = sqlite3.OperationalError("disk I/O error")
        raise sa.DBAPIError("ROLLBACK", {}, gone, connection_invalidated=True)

    async def answered(_: None = Depends(session_that_dies)) -> dict:
        return {"ok": True}

    reconnects = 0

    async def trace(name: str, _info: dict) -> None:
        nonlocal reconnects
        if name == "connection.connect_tcp.complete":
            reconnects += 1

    async with serve_with_client(sqlite_settings) as (app, _port, client):
        app.add_api_route("/api/v1/answered", answered)
        for _ in range(3):
            response = await client.get("/api/v1/answered", extensions={"trace": trace})
            assert (response.status_code, response.json()) == (200, {"ok": True})
    assert reconnects == 1  # the first request's; never again


# -- SQLite locked by another process ------------------------------------------------------------


async def test_sqlite_locked_by_another_writer_is_a_503_then_works(sqlite_settings: Settings):
    async with serve_with_client(sqlite_settings) as (_app, _port, client):
        alice = await register(client, "alice")
        bob = await register(client, "bob")
        await befriend(client, bob, alice, "alice")
        conv = await group(client, alice, ["bob"])
        # Another process (say `plaza user create`) holds the write lock past busy_timeout.
        other = sqlite3.connect(sqlite_settings.sqlite_path(), isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            body = {"client_id": "locked-1", "text": "while locked"}
            path = f"/api/v1/conversations/{conv['id']}/messages"
            refused = await client.post(path, json=body, headers=alice)
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] == "1"
            assert refused.json()["error"]["code"] == "unavailable"
        finally:
            other.execute("ROLLBACK")
            other.close()
        stored = await client.post(path, json=body, headers=alice)
        assert stored.status_code == 201, stored.text
        again = await client.post(path, json=body, headers=alice)
        assert (again.status_code, again.json()["id"]) == (200, stored.json()["id"])


# -- the live stream -------------------------------------------------------------------------------


async def test_stream_holds_its_sockets_across_an_outage(outage: Outage):
    client = outage.client
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    await befriend(client, bob, alice, "alice")
    conv = await group(client, alice, ["bob"])
    ws_url = f"ws://127.0.0.1:{outage.port}"
    watcher = await LiveClient(ws_url, token_of(bob)).connect()
    start_rev = watcher.ready["conversations"][str(conv["id"])]
    for i in range(3):
        await send(client, alice, conv["id"], f"before {i}", f"b{i}")
    await watcher.wait_for_seq(conv["id"], 3)
    # Two more are stored but their announcements held back (as if the bus were slow): the
    # second one reaches the socket during the outage, and the gap before it needs a replay.
    bus = outage.app.state.runtime.bus
    held_back: list[tuple[str, bytes]] = []

    async def hold_back(topic: str, payload: bytes) -> None:
        held_back.append((topic, payload))

    bus.publish = hold_back
    try:
        for i in (3, 4):
            await send(client, alice, conv["id"], f"before {i}", f"b{i}")
    finally:
        del bus.publish
    assert len(held_back) == 2

    await outage.proxy.cut()
    # A socket that connects now is told to try again later.
    async with connect(f"{ws_url}/api/v1/stream?token={token_of(bob)}") as late:
        refusal = json.loads(await asyncio.wait_for(late.recv(), WAIT))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(late.recv(), WAIT)
    assert refusal["type"] == "error" and refusal["code"] == "unavailable", refusal
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
    # The connected socket sees a gap and must read the database: it is told to hold, and is
    # not dropped.
    await bus.publish(*held_back[1])
    await watcher.wait_for(lambda events: any(e["type"] == "hold" for e in events))
    # Sends are refused meanwhile, over HTTP and over the stream, without closing either.
    refused = await client.post(
        f"/api/v1/conversations/{conv['id']}/messages",
        json={"client_id": "during", "text": "during the outage"},
        headers=alice,
    )
    assert refused.status_code == 503
    frame = {"type": "send", "conversation_id": conv["id"], "client_id": "ws-1", "text": "hi"}
    await watcher._ws.send(json.dumps(frame))
    await watcher.wait_for(lambda events: any(e.get("client_id") == "ws-1" for e in events))
    ws_refusal = next(e for e in watcher.events if e.get("client_id") == "ws-1")
    assert (ws_refusal["type"], ws_refusal["code"]) == ("error", "unavailable")

    await outage.proxy.restore()
    await watcher.wait_for(lambda events: any(e["type"] == "resumed" for e in events))
    await send(client, alice, conv["id"], "during the outage", "during")
    await watcher._ws.send(json.dumps(frame))
    for i in range(3):
        await send(client, alice, conv["id"], f"after {i}", f"a{i}")
    await watcher.wait_for_seq(conv["id"], 10)

    assert watcher.closed is None, "the socket was closed"
    kinds = [e["type"] for e in watcher.events if e["type"] in ("hold", "resumed")]
    assert kinds == ["hold", "resumed"]
    order = [e.get("type") for e in watcher.events]
    replayed = next(n for n, e in enumerate(watcher.events) if e.get("seq") == 4 and "message" in e)
    assert order.index("hold") < replayed < order.index("resumed")
    watcher.assert_in_order(conv["id"], start_rev)
    texts = [e["message"]["text"] for e in watcher.messages(conv["id"])]
    assert texts[:5] == [f"before {i}" for i in range(5)]
    assert texts[5:] == ["during the outage", "hi", "after 0", "after 1", "after 2"]
    await watcher.close()
