"""Idle connections: what 10,000 authenticated, live `/api/v1/stream` sockets cost Plaza.

One fresh Plaza process with a few hundred people who all share one group (so every socket
follows a conversation topic as well as its person's topic, like a real client). Its RSS is
read with no socket open, then the sockets are opened from a few client processes, several
per token (a person with many devices), each waiting for `ready` and going live with
`resume`. The RSS is read again once all are open and have sat idle for a few seconds; a
last check counts how many are still open after that.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from common import raise_nofile, stop_process, tree_cpu_seconds, tree_rss_bytes
from plaza_driver import PlazaServer, StreamClient


@dataclass(frozen=True)
class IdleParams:
    connections: int = 10_000
    people: int = 200
    client_procs: int = 4
    concurrency_per_proc: int = 50
    hold_seconds: float = 5.0
    open_timeout: float = 120.0


def opener_worker(urls: list[str], conn: Connection, concurrency: int, timeout: float) -> None:
    """Entry point of a client process: open `urls`, report, hold, report, close."""
    raise_nofile()
    asyncio.run(_opener(urls, conn, concurrency, timeout))


async def _opener(urls: list[str], conn: Connection, concurrency: int, limit_s: float) -> None:
    clients: list[StreamClient] = []
    errors: list[str] = []
    sem = asyncio.Semaphore(concurrency)
    started = time.monotonic()

    async def open_one(url: str) -> None:
        async with sem:
            client = StreamClient()
            try:
                await client.connect(url, wait_s=30)
                clients.append(client)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:200])

    try:
        await asyncio.wait_for(asyncio.gather(*(open_one(u) for u in urls)), limit_s)
    except TimeoutError:
        errors.append(f"opening did not finish within {limit_s:.0f}s")
    conn.send(("opened", len(clients), len(errors), errors[:3], time.monotonic() - started))
    for _ in range(10):  # a few commands at most: "count" (any number), then "close"
        command = await asyncio.to_thread(conn.recv)
        if command[0] != "count":
            break
        alive = sum(1 for c in clients if c.ws is not None and not c.ws.closed.done())
        conn.send(("alive", alive))
    for client in clients:
        if client.ws is not None:
            client.ws.close()
    await asyncio.sleep(0.5)


async def measure_idle(workdir: Path, params: IdleParams, log: Any = print) -> dict[str, Any]:
    """Run the idle-connection measurement against a fresh Plaza server."""
    raise_nofile()
    server = PlazaServer(workdir)
    workers: list[tuple[mp.process.BaseProcess, Connection]] = []
    try:
        log(f"  idle: creating {params.people} people in one group")
        await server.create_people(params.people, prefix="idle")
        await server.create_group(params.people)
        await asyncio.sleep(2)
        pid = server.proc.pid
        rss_before = tree_rss_bytes(pid)
        cpu_before = tree_cpu_seconds(pid)
        urls = [
            server.stream_url(server.tokens[i % params.people]) for i in range(params.connections)
        ]
        ctx = mp.get_context("spawn")
        log(f"  idle: opening {params.connections} sockets from {params.client_procs} processes")
        started = time.monotonic()
        for k in range(params.client_procs):
            parent, child = ctx.Pipe()
            proc = ctx.Process(
                target=opener_worker,
                args=(
                    urls[k :: params.client_procs],
                    child,
                    params.concurrency_per_proc,
                    params.open_timeout,
                ),
                daemon=True,
            )
            proc.start()
            child.close()
            workers.append((proc, parent))
        opened = [await _recv(c, params.open_timeout + 60) for _, c in workers]
        open_seconds = time.monotonic() - started
        cpu_open = tree_cpu_seconds(pid) - cpu_before
        await asyncio.sleep(params.hold_seconds)
        rss_after = tree_rss_bytes(pid)
        for _, c in workers:
            c.send(("count",))
        alive = sum([(await _recv(c, 30))[1] for _, c in workers])
        established = sum(o[1] for o in opened)
        rss_delta = rss_after - rss_before
        return {
            "target_connections": params.connections,
            "people": params.people,
            "sockets_per_person": params.connections / params.people,
            "client_processes": params.client_procs,
            "established": established,
            "failed": sum(o[2] for o in opened),
            "errors": [e for o in opened for e in o[3]][:5],
            "still_open_after_hold": alive,
            "hold_seconds": params.hold_seconds,
            "open_seconds": round(open_seconds, 2),
            "opens_per_s": round(established / open_seconds, 1) if open_seconds else None,
            "server_cpu_s_opening": round(cpu_open, 2),
            "server_rss_mib_0_connections": round(rss_before / 2**20, 1),
            "server_rss_mib_with_connections": round(rss_after / 2**20, 1),
            "kib_per_connection": round(rss_delta / 1024 / established, 1) if established else None,
            "under_1_gib": rss_after < 2**30,
        }
    finally:
        for _, c in workers:
            with contextlib.suppress(OSError):
                c.send(("close",))
        for proc, c in workers:
            await asyncio.to_thread(proc.join, 15)
            if proc.is_alive():
                proc.kill()
                await asyncio.to_thread(proc.join, 5)
            c.close()
        stop_process(server.proc)


async def _recv(conn: Connection, wait_s: float) -> Any:
    if not await asyncio.to_thread(conn.poll, wait_s):
        raise TimeoutError("an opener process did not answer")
    try:
        return conn.recv()
    except EOFError:
        raise RuntimeError("an opener process exited (see its traceback above)") from None
