"""`plaza serve` as operators run it: a real process on a free port (design.md §2).

Start-up, the first pages and API calls, the OpenAPI document, graceful shutdown on SIGTERM
(also with a live WebSocket open), `plaza user create` for the first administrator, and
`--workers N`: several processes sharing the port on PostgreSQL and Redis (refused on SQLite).
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
import psutil
import pytest
import websockets

from tests import helpers, services
from tests.live_client import WAIT, LiveClient, RedisServer, token_of
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
        "PLAZA_ARGON2_MEMORY_KIB": "64",
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


class WorkersProcess(ServerProcess):
    """`plaza serve --workers N`: the supervisor process and its worker processes."""

    def __init__(self, data_dir: Path, *, workers: int, env: dict[str, str]) -> None:
        super().__init__(data_dir, env=env)
        self.workers = workers

    def start(self, timeout: float = 30.0) -> WorkersProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [*PLAZA, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        args += ["--data-dir", str(self.data_dir), "--workers", str(self.workers)]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"plaza serve exited: {self.log.read_text()[-2000:]}")
            if len(self.worker_pids()) == self.workers and self._healthy():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"plaza serve did not come up: {self.log.read_text()[-2000:]}")

    def _healthy(self) -> bool:
        try:
            return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def worker_pids(self) -> list[int]:
        """Children that listen on the port (not multiprocessing's resource tracker)."""
        assert self.proc is not None
        pids = []
        for child in psutil.Process(self.proc.pid).children():
            try:
                listening = any(
                    c.status == psutil.CONN_LISTEN and c.laddr.port == self.port
                    for c in child.net_connections(kind="tcp")
                )
            except psutil.NoSuchProcess:
                continue
            if listening:
                pids.append(child.pid)
        return pids

    def worker_of(self, client_ports: set[int]) -> dict[int, int]:
        """Which worker process holds each of these client connections: {client port: pid}."""
        held = {}
        for pid in self.worker_pids():
            for c in psutil.Process(pid).net_connections(kind="tcp"):
                if c.raddr and c.laddr.port == self.port and c.raddr.port in client_ports:
                    held[c.raddr.port] = pid
        return held


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[WorkersProcess]:
    services.require_postgres()
    services.require_redis_server()
    redis = RedisServer(tmp_path)
    try:
        redis.start()
        with services.pg_database("plaza_workers") as url:
            env = {"PLAZA_DATABASE_URL": url, "PLAZA_REDIS_URL": redis.url}
            server = WorkersProcess(tmp_path / "data", workers=2, env=env)
            try:
                yield server.start()
            finally:
                server.kill()
    finally:
        redis.kill()


async def test_two_workers_share_the_port_and_deliver_across_processes(
    two_workers: WorkersProcess,
) -> None:
    server = two_workers
    workers = server.worker_pids()
    assert len(workers) == 2, workers
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        alice = await helpers.register(client, "wk_alice")
        bob = await helpers.register(client, "wk_bob")
        await helpers.befriend(client, alice, bob, "wk_bob")
        group = await helpers.group(client, alice, ["wk_bob"])

        # Bob opens sockets until both workers hold some: a message sent through either
        # worker must then reach the other one's sockets through Redis.
        sockets: list[LiveClient] = []
        try:
            held: dict[int, int] = {}
            while len(set(held.values())) < 2:
                assert len(sockets) < 40, f"every socket landed on one worker: {held}"
                live = await LiveClient(server.ws_url, token_of(bob)).connect()
                sockets.append(live)
                ports = {s._ws.local_address[1] for s in sockets if s._ws is not None}
                held = await asyncio.to_thread(server.worker_of, ports)
            assert set(held.values()) == set(workers)

            for n in range(1, 4):
                await helpers.send(client, alice, group["id"], f"hello {n}", f"wk-{n}")
            for live in sockets:
                await live.wait_for_seq(group["id"], 3)
                texts = [e["message"]["text"] for e in live.messages(group["id"])]
                assert texts == ["hello 1", "hello 2", "hello 3"]
        finally:
            for live in sockets:
                await live.close()

    code, elapsed = await asyncio.to_thread(timed_stop, server)
    assert code == 0, f"exit code {code} after SIGTERM; log: {server.log.read_text()[-2000:]}"
    assert elapsed < 15, f"took {elapsed:.1f} s to stop"
    assert not any(_alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_several_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    done = subprocess.run(
        [*PLAZA, "serve", "--workers", "2", "--data-dir", str(tmp_path / "data")],
        env={**os.environ, **SQLITE_ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    message = " ".join(done.stderr.split())
    assert "--workers 2 needs PostgreSQL" in message, done.stderr
    assert "Redis" in message, done.stderr
    assert not (tmp_path / "data" / "plaza.db").exists()  # refused before migrating
