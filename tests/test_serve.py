"""`plaza serve` as operators run it: a real process on a free port (design.md §2).

Start-up, the first pages and API calls, the OpenAPI document, graceful shutdown on SIGTERM
(also with a live WebSocket open), and `plaza user create` for the first administrator.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests import helpers
from tests.live_client import WAIT, LiveClient, token_of
from tests.processes import PLAZA, ServerProcess

pytestmark = pytest.mark.slow

# SQLite in the data dir and the in-process bus, whatever the surrounding environment says.
SQLITE_ENV = {"PLAZA_DATABASE_URL": "", "PLAZA_REDIS_URL": ""}
PROMPT_EXIT_SECONDS = 5.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "data", env=SQLITE_ENV)
    try:
        yield process.start()
    finally:
        process.kill()


def timed_stop(process: ServerProcess) -> tuple[int | None, float]:
    started = time.monotonic()
    code = process.stop()
    return code, time.monotonic() - started


async def test_serve_answers_health_accounts_and_pages(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        health = await client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "ok"

        me = await helpers.register(client, "serve_alice", "Alice")
        answer = await client.get("/api/v1/me", headers=me)
        assert answer.status_code == 200, answer.text
        assert answer.json()["username"] == "serve_alice"
        assert answer.json()["display_name"] == "Alice"

        anonymous = await client.get("/api/v1/me")
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["code"]

        home = await client.get("/")
        assert home.status_code == 200
        assert home.headers["content-type"].startswith("text/html")
        assert 'href="/signup"' in home.text

        openapi = await client.get("/openapi.json")
        assert openapi.status_code == 200
        assert "/api/v1/accounts" in openapi.json()["paths"]

    # The stream refuses a bad token with an error frame and close code 4401.
    stranger = LiveClient(server.ws_url, "not-a-token")
    async with websockets.connect(stranger.url, open_timeout=WAIT) as ws:
        frame = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert frame["type"] == "error" and frame["code"] == "unauthorized"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_sigterm_exits_cleanly_and_promptly(server: ServerProcess) -> None:
    code, elapsed = timed_stop(server)
    assert elapsed < PROMPT_EXIT_SECONDS, f"took {elapsed:.1f} s to stop"
    assert code == 0, f"exit code {code} after SIGTERM; log: {server.log.read_text()[-2000:]}"


async def test_sigterm_with_an_open_websocket(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        me = await helpers.register(client, "serve_bob")
    live = await LiveClient(server.ws_url, token_of(me)).connect()
    try:
        assert live.ready is not None and live.ready["user"]["username"] == "serve_bob"
        code, elapsed = await asyncio.to_thread(timed_stop, server)
        await live.wait_for(lambda _: live.closed is not None, within=WAIT)
        assert elapsed < PROMPT_EXIT_SECONDS, f"took {elapsed:.1f} s to stop"
        # "going away" (the hub's 1001) or "service restart" (uvicorn's 1012): both tell the
        # client to reconnect later.
        assert isinstance(live.closed, websockets.ConnectionClosed)
        assert live.closed.rcvd is not None and live.closed.rcvd.code in (1001, 1012)
        assert code == 0, f"exit code {code} after SIGTERM; log: {server.log.read_text()[-2000:]}"
    finally:
        await live.close()


async def test_user_create_admin_then_log_in(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        **SQLITE_ENV,
        "PLAZA_ARGON2_TIME_COST": "1",
        "PLAZA_ARGON2_MEMORY_KIB": "8192",
    }
    args = [*PLAZA, "user", "create", "admin_x", "--role", "admin", "--password-stdin"]
    created = await asyncio.to_thread(
        subprocess.run,
        [*args, "--data-dir", str(data_dir)],
        input=helpers.PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr

    server = ServerProcess(data_dir, env=SQLITE_ENV)
    try:
        server.start()
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            admin = await helpers.log_in(client, "admin_x")
            me = await client.get("/api/v1/me", headers=admin)
            assert me.status_code == 200, me.text
            assert me.json()["username"] == "admin_x"
            assert me.json()["role"] == "admin"
    finally:
        server.kill()
