"""Public accounts benchmark: publishing at any number of subscribers, the feed, live fan-out,
and reading an article's public page against a static file.

Per database (SQLite in a temporary directory, and a fresh PostgreSQL database):

1. Bulk-load with SQL (recursive CTE / generate_series) 1,000,000 people subscribed to one
   account, and an account with 10 subscribers. Publish drafts into each, alternately, through
   the service (plaza.public_accounts.service.publishing.publish: checks, the daily limit, one
   article row, one revision, the topic revision, one bus event) and compare latencies
   (targets: p99 under 50 ms, ratio big/small at most 1.5).
2. 1,000 accounts with 100 articles each (100,000 articles) and a reader subscribed to 500 of
   them: `GET /feed`'s first page through the service (target: p99 under 20 ms).
3. Where the time goes: a short extra pass of both with every SQL statement timed (cursor
   execute to result), so a slow statement is named; never during the measured passes.

Then, on SQLite with a real server (`plaza serve`) on loopback:

4. Reading: the public article page `/a/{handle}/{id}` (HTML, signed out, counting the read)
   in requests per second against a static file served by the same server (the ceiling), and
   the same article as JSON (`GET /api/v1/articles/{id}`): one client, CONCURRENCY keep-alive
   connections with one request in flight each, the three paths alternated in rounds.
5. Live fan-out: SOCKETS connected stream sockets (default 10,000, spread over client
   processes) follow one account; per publish, the time from just before the publish request
   until the last socket has the `article.published` event (p50/p99/max over the rounds).

Each phase records the machine's load average: the machine is shared, so read figures next
to it. Run from the repository root:  .venv/bin/python bench/publish.py [--sockets N] ...
Writes bench/results/publish.json and prints tables.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import re
import resource
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import orjson
import psutil
from rich.console import Console
from rich.table import Table
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from common import (
    BENCH_DIR,
    PgDatabase,
    free_port,
    latency_summary_ms,
    now_ns,
    raise_nofile,
    report_header,
    start_server,
    stop_process,
    tree_rss_bytes,
    wait_tcp,
)
from plaza.accounts.models import User
from plaza.accounts.service.sessions import hash_token
from plaza.bus.memory import MemoryBus
from plaza.clock import Clock
from plaza.config import Settings
from plaza.db import create_engine, create_sessionmaker
from plaza.migrate import upgrade
from plaza.public_accounts.service import articles, publishing, subscriptions
from plaza.public_accounts.service.articles import ArticleLimits
from wire import KeepAliveHttp, WsClient, ws_connect

console = Console(width=None if sys.stdout.isatty() else 150)
START = "2026-01-01 00:00:00"
LIMITS = ArticleLimits(title_max=120, body_max=50_000, max_pictures=30)
BODY = "# A headline\n\nSome **bold** words and a [link](https://example.org).\n" * 20
TARGET_PUBLISH_MS = 50.0
TARGET_RATIO = 1.5
TARGET_FEED_P99_MS = 20.0
LIVE_HANDLE = "live"


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _series(dialect: str, count: int, start: int = 1) -> str:
    """SQL yielding integers start..start+count-1 as column n."""
    if dialect == "postgresql":
        return f"SELECT generate_series({start}, {start + count - 1}) AS n"
    return (
        f"WITH RECURSIVE s(n) AS (SELECT {start} UNION ALL SELECT n + 1 FROM s "
        f"WHERE n < {start + count - 1}) SELECT n FROM s"
    )


async def _load(settings: Settings, subscribers: int, feed_articles: int) -> dict[str, float]:
    """Users 1..subscribers+2 (1: owner, 2: reader), accounts 1 (big), 2 (small), 3.. (feed),
    subscriptions and articles, all with INSERT ... SELECT."""
    engine = create_engine(settings)
    dialect = engine.dialect.name
    accounts = 1000
    per_account = feed_articles // accounts
    t0 = time.perf_counter()
    async with engine.begin() as conn:
        users = subscribers + 2
        await conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, password_hash, role, status, "
                f"created_at) SELECT n, 'u' || n, 'Person ' || n, '-', 'member', 'active', "
                f"'{START}' FROM ({_series(dialect, users)}) AS s"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO public_accounts (id, handle, skeleton, name, name_folded, "
                "description, owner_id, verified, status, subscriber_count, article_seq, "
                f"created_at) SELECT n, 'acct' || n, 'acct' || n, 'Account ' || n, "
                f"'account ' || n, '', 1, false, 'active', 0, 0, '{START}' "
                f"FROM ({_series(dialect, accounts + 2)}) AS s"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO public_account_subscriptions (user_id, account_id, created_at) "
                f"SELECT n, 1, '{START}' FROM ({_series(dialect, subscribers, 3)}) AS s"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO public_account_subscriptions (user_id, account_id, created_at) "
                f"SELECT n, 2, '{START}' FROM ({_series(dialect, 10, 3)}) AS s"
            )
        )
        # The reader follows 500 of the 1,000 feed accounts (every other one).
        await conn.execute(
            text(
                "INSERT INTO public_account_subscriptions (user_id, account_id, created_at) "
                f"SELECT 2, 3 + 2 * n, '{START}' FROM ({_series(dialect, 500, 0)}) AS s"
            )
        )
        await conn.execute(
            text(
                "UPDATE public_accounts SET subscriber_count = CASE id WHEN 1 THEN :big "
                "WHEN 2 THEN 10 ELSE 0 END"
            ),
            {"big": subscribers},
        )
        # Articles: account 3 + (n % 1000), published one minute apart, newest last.
        minute = (
            "make_timestamptz(2026, 1, 1, 0, 0, 0, 'UTC') + n * interval '1 minute'"
            if dialect == "postgresql"
            else "datetime('2026-01-01 00:00:00', '+' || n || ' minutes')"
        )
        await conn.execute(
            text(
                "INSERT INTO articles (id, account_id, author_id, status, title, body, html, "
                "revision, seq, read_count, like_count, created_at, updated_at, published_at) "
                f"SELECT n, 3 + (n % {accounts}), 1, 'published', 'Article ' || n, 'text', "
                f"'<p>text</p>', 1, n / {accounts} + 1, 0, 0, {minute}, {minute}, {minute} "
                f"FROM ({_series(dialect, per_account * accounts)}) AS s"
            )
        )
        await conn.execute(
            text(f"UPDATE public_accounts SET article_seq = {per_account} WHERE id > 2")
        )
        if dialect == "postgresql":
            for table in ("users", "public_accounts", "articles"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    async with engine.connect() as conn:
        # What autovacuum would have done by then (PostgreSQL: the visibility map lets the feed
        # read the index alone).
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE" if dialect == "postgresql" else "ANALYZE"))
    await engine.dispose()
    return {"load_seconds": round(time.perf_counter() - t0, 1)}


class StatementTimer:
    """Times each SQL statement an engine runs, from cursor execute to its result, to name the
    statement a slow operation waits on. Attached only for the extra "where the time goes"
    pass: the listeners cost a little on every statement."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self.timed: list[tuple[str, int]] = []
        event.listen(self._engine, "before_cursor_execute", self._before)
        event.listen(self._engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, *_args: Any) -> None:
        conn.info["bench_t0"] = time.perf_counter_ns()

    def _after(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.timed.append((_label(statement), time.perf_counter_ns() - conn.info.pop("bench_t0")))

    def close(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._before)
        event.remove(self._engine, "after_cursor_execute", self._after)


def _label(statement: str) -> str:
    """A statement short enough for a table: a long select list becomes `…`."""
    flat = " ".join(statement.split())
    flat = re.sub(
        r"^SELECT (.{71,}?) FROM ", "SELECT … FROM ", flat, count=1, flags=re.DOTALL
    ).replace("public_account_subscriptions", "subscriptions")
    return flat if len(flat) <= 72 else flat[:71] + "…"


def _breakdown(samples: list[tuple[int, list[tuple[str, int]]]]) -> dict[str, Any]:
    """Median total, median SQL time, and each statement's median (in the order they ran), over
    samples of (total ns, [(statement, ns), ...])."""
    per_statement: dict[str, list[int]] = {}
    for _total, timed in samples:
        for i, (label, ns) in enumerate(timed, 1):
            per_statement.setdefault(f"{i}. {label}", []).append(ns)
    return {
        "total_p50_ms": round(statistics.median(t for t, _ in samples) / 1e6, 3),
        "sql_p50_ms": round(statistics.median(sum(ns for _, ns in s) for _, s in samples) / 1e6, 3),
        "statements_p50_ms": {
            label: round(statistics.median(values) / 1e6, 3)
            for label, values in per_statement.items()
        },
    }


class Publisher:
    """Drafts and publishes articles of user 1 through the service, as the API would."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = create_sessionmaker(engine)
        self.bus = MemoryBus()
        self.clock = Clock()
        self.count = 0

    async def draft(self, handle: str) -> int:
        self.count += 1
        async with self.sessions() as session:
            owner = await session.get(User, 1)
            assert owner is not None
            draft, _ = await articles.create_draft(
                session,
                clock=self.clock,
                user=owner,
                handle=handle,
                title=f"Bench {self.count}",
                body=BODY,
                cover_media_id=None,
                limits=LIMITS,
            )
            return draft.id

    async def publish(self, draft_id: int) -> int:
        """Publishes the draft; returns the nanoseconds `publish` took."""
        async with self.sessions() as session:
            owner = await session.get(User, 1)
            assert owner is not None
            t0 = time.perf_counter_ns()
            await publishing.publish(
                session,
                clock=self.clock,
                bus=self.bus,
                user=owner,
                article_id=draft_id,
                limits=LIMITS,
                per_day=10**9,
            )
            return time.perf_counter_ns() - t0

    async def feed(self) -> int:
        """The reader's first feed page; returns the nanoseconds it took."""
        async with self.sessions() as session:
            t0 = time.perf_counter_ns()
            items, _cursor = await subscriptions.feed(session, user_id=2, cursor=None, limit=20)
            elapsed = time.perf_counter_ns() - t0
        assert len(items) == 20
        return elapsed


async def _timed(timer: StatementTimer, run: Callable[[], Awaitable[int]]) -> tuple[int, Any]:
    """(nanoseconds, statements) of one run; what runs between two (a draft) is not kept."""
    timer.timed = []
    total = await run()
    timed, timer.timed = timer.timed, []
    return total, timed


async def _publish_and_feed(settings: Settings, samples: int) -> dict[str, Any]:
    engine = create_engine(settings)
    publisher = Publisher(engine)
    await publisher.bus.start()
    latencies: dict[str, list[int]] = {"1000000": [], "10": []}
    for i in range(samples * 2):
        handle, key = ("acct1", "1000000") if i % 2 == 0 else ("acct2", "10")
        latencies[key].append(await publisher.publish(await publisher.draft(handle)))
    feed = [await publisher.feed() for _ in range(samples)]
    timer = StatementTimer(engine)
    try:
        passes = max(10, samples // 5)
        publish_timed = []
        for _ in range(passes):
            draft_id = await publisher.draft("acct1")
            publish_timed.append(await _timed(timer, lambda d=draft_id: publisher.publish(d)))
        feed_timed = [await _timed(timer, publisher.feed) for _ in range(passes)]
    finally:
        timer.close()
    await publisher.bus.close()
    await engine.dispose()
    publish = {k: latency_summary_ms(v) for k, v in latencies.items()}
    return {
        "publish": publish,
        "publish_ratio_p50": round(publish["1000000"]["p50_ms"] / publish["10"]["p50_ms"], 2),
        "feed": latency_summary_ms(feed),
        "where_the_time_goes": {
            "publish_1000000": _breakdown(publish_timed),
            "feed": _breakdown(feed_timed),
        },
    }


async def _backend(name: str, settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    await asyncio.to_thread(upgrade, settings)
    console.print(f"[{name}] loading {args.subscribers:,} subscribers, {args.articles:,} articles")
    loaded = await _load(settings, args.subscribers, args.articles)
    load = load_average()
    console.print(f"[{name}] loaded in {loaded['load_seconds']} s; measuring (load {load})")
    return {**loaded, "load_average": load, **await _publish_and_feed(settings, args.samples)}


# -- a real server: reading, then live fan-out --------------------------------------------------


async def _seed_live(settings: Settings, sockets: int) -> tuple[list[str], str]:
    """People 2..sockets+1 subscribed to the account LIVE_HANDLE of person 1, each with a
    session token. Returns (their tokens, the owner's token)."""
    engine = create_engine(settings)
    tokens = [secrets.token_urlsafe(24) for _ in range(sockets + 1)]
    later = "2100-01-01 00:00:00"
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, password_hash, role, status, "
                f"created_at) SELECT n, 'u' || n, 'Person ' || n, '-', 'member', 'active', "
                f"'{START}' FROM ({_series('sqlite', sockets + 1)}) AS s"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO sessions (user_id, token_hash, created_at, expires_at, user_agent, "
                "address) VALUES (:uid, :hash, :start, :later, '', '')"
            ),
            [
                {"uid": i + 1, "hash": hash_token(t), "start": START, "later": later}
                for i, t in enumerate(tokens)
            ],
        )
        await conn.execute(
            text(
                "INSERT INTO public_accounts (id, handle, skeleton, name, name_folded, "
                "description, owner_id, verified, status, subscriber_count, article_seq, "
                f"created_at) VALUES (1, '{LIVE_HANDLE}', '{LIVE_HANDLE}', 'Live', 'live', '', "
                f"1, false, 'active', {sockets}, 0, '{START}')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO public_account_subscriptions (user_id, account_id, created_at) "
                f"SELECT n, 1, '{START}' FROM ({_series('sqlite', sockets, 2)}) AS s"
            )
        )
    await engine.dispose()
    return tokens[1:], tokens[0]


async def _publish_one(http: KeepAliveHttp, title: str) -> tuple[int, int, int]:
    """Drafts and publishes an article of LIVE_HANDLE over HTTP. Returns its id and the
    CLOCK_MONOTONIC times just before the publish request was written and once its answer
    was read."""
    _, answer = await http.request(
        "POST",
        f"/api/v1/public-accounts/{LIVE_HANDLE}/articles",
        orjson.dumps({"title": title, "body": BODY}),
    )
    article_id = int(orjson.loads(answer)["id"])
    sent = now_ns()
    await http.request("POST", f"/api/v1/articles/{article_id}/publish")
    return article_id, sent, now_ns()


def _server_cpu(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def _rate(port: int, path: str, headers: dict[str, str], seconds: float, conns: int) -> int:
    """Requests of `path` answered in `seconds` by `conns` keep-alive connections, one request
    in flight each."""
    done = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        http = KeepAliveHttp("127.0.0.1", port, headers)
        try:
            while time.perf_counter() < stop:
                await http.request("GET", path)  # raises on any status >= 300
                done += 1
        finally:
            await http.aclose()

    await asyncio.gather(*(worker() for _ in range(conns)))
    return done


async def _reading(port: int, pid: int, owner: str, args: argparse.Namespace) -> dict[str, Any]:
    """Requests per second of the article page, the article's JSON and a static file, in
    alternating rounds (so a change in the machine's load touches all three alike)."""
    owner_http = KeepAliveHttp("127.0.0.1", port, {"Authorization": f"Bearer {owner}"})
    article_id, _, _ = await _publish_one(owner_http, "Read me")
    await owner_http.aclose()
    static = "/static/" + next(p.name for p in _static_dir().glob("*.css"))
    # A browser that has been here before: it sends back its pre-session CSRF cookie (a first
    # visit would also get a Set-Cookie header) and asks for HTML.
    browser = {"Accept": "text/html", "Cookie": f"plaza_csrf={secrets.token_urlsafe(24)}"}
    paths = {
        "article_page": (f"/a/{LIVE_HANDLE}/{article_id}", browser),
        "article_json": (f"/api/v1/articles/{article_id}", {"Accept": "application/json"}),
        "static_file": (static, browser),
    }
    check = KeepAliveHttp("127.0.0.1", port, browser)
    _, page = await check.request("GET", paths["article_page"][0])
    await check.aclose()
    assert b"Read me" in page and b'property="og:title"' in page, page[:500]
    answered: dict[str, list[float]] = {name: [] for name in paths}
    cpu_ms: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(args.read_rounds):
        for name, (path, headers) in paths.items():
            cpu0, t0 = _server_cpu(pid), time.perf_counter()
            done = await _rate(port, path, headers, args.read_seconds, args.concurrency)
            wall, cpu = time.perf_counter() - t0, _server_cpu(pid) - cpu0
            answered[name].append(done / wall)
            cpu_ms[name].append(cpu * 1000 / max(done, 1))
    rps = {name: round(statistics.median(v)) for name, v in answered.items()}
    return {
        "paths": {name: path for name, (path, _) in paths.items()},
        "concurrency": args.concurrency,
        "rounds": args.read_rounds,
        "seconds_per_round": args.read_seconds,
        "requests_per_second": rps,
        "requests_per_second_rounds": {k: [round(x) for x in v] for k, v in answered.items()},
        "server_cpu_ms_per_request": {k: round(statistics.median(v), 3) for k, v in cpu_ms.items()},
        "page_vs_static": round(rps["article_page"] / rps["static_file"], 3),
        "json_vs_static": round(rps["article_json"] / rps["static_file"], 3),
        "load_average": load_average(),
    }


def _static_dir() -> Path:
    import plaza

    return Path(plaza.__file__).resolve().parent / "web" / "static"


def _listener(urls: list[str], conn: Connection) -> None:
    """A client process: holds `urls` open as live stream sockets, then for each article the
    parent names, reports when each socket heard it."""
    raise_nofile()
    asyncio.run(_listen(urls, conn))


async def _listen(urls: list[str], conn: Connection) -> None:
    heard: dict[int, list[int]] = {}
    complete: dict[int, asyncio.Event] = {}  # set once every socket heard the article
    sockets: list[WsClient] = []
    errors: list[str] = []
    gate = asyncio.Semaphore(100)
    loop = asyncio.get_running_loop()

    async def open_one(url: str) -> None:
        ready: asyncio.Future[dict] = loop.create_future()

        def on_message(payload: bytes, _opcode: int) -> None:
            arrival = now_ns()  # before parsing: when the bytes were read
            message = orjson.loads(payload)
            kind = message.get("type")
            if kind == "article.published":
                article_id = message["article"]["id"]
                arrivals = heard.setdefault(article_id, [])
                arrivals.append(arrival)
                if len(arrivals) == len(sockets):
                    complete.setdefault(article_id, asyncio.Event()).set()
            elif kind == "ready" and not ready.done():
                ready.set_result(message)

        async with gate:
            try:
                ws = await ws_connect(url, on_message, wait_s=60)
                positions = (await asyncio.wait_for(ready, 60))["public_accounts"]
                # Live at once, nothing to replay (the server would otherwise wait ~2 s).
                ws.send_text(orjson.dumps({"type": "resume", "public_accounts": positions}))
                sockets.append(ws)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:200])

    await asyncio.gather(*(open_one(u) for u in urls))
    conn.send((len(sockets), errors[:3], len(errors)))
    while True:
        command = await asyncio.to_thread(conn.recv)
        if command[0] != "collect":
            break
        _, article_id, wait_s = command
        with contextlib.suppress(TimeoutError):
            done = complete.setdefault(article_id, asyncio.Event())
            await asyncio.wait_for(done.wait(), wait_s)
        complete.pop(article_id, None)
        conn.send(heard.pop(article_id, []))
    for ws in sockets:
        ws.close()
    await asyncio.sleep(0.5)


async def _rounds(
    port: int, pid: int, owner: str, pipes: list[Connection], sockets: int, rounds: int
) -> dict[str, Any]:
    """One warm-up publish (every socket must hear it: they are all live), then `rounds`
    publishes, each timed from just before its request to the last socket hearing it, with
    the server's CPU time from the request until then."""
    http = KeepAliveHttp("127.0.0.1", port, {"Authorization": f"Bearer {owner}"})

    async def collect(article_id: int, wait_s: float) -> list[int]:
        for pipe in pipes:
            pipe.send(("collect", article_id, wait_s))
        parts = await asyncio.gather(*(asyncio.to_thread(pipe.recv) for pipe in pipes))
        return sorted(ns for part in parts for ns in part)

    warm_id, _, _ = await _publish_one(http, "Warm-up")
    warm = await collect(warm_id, 120)
    if len(warm) != sockets:
        raise RuntimeError(f"only {len(warm)} of {sockets} sockets heard the warm-up article")
    last: list[int] = []
    every: list[int] = []
    answered: list[int] = []
    cpu_ms: list[float] = []
    missed = 0
    for i in range(rounds):
        await asyncio.sleep(0.3)
        cpu0 = _server_cpu(pid)
        article_id, sent, answer = await _publish_one(http, f"Live {i}")
        arrivals = await collect(article_id, 30)
        cpu_ms.append((_server_cpu(pid) - cpu0) * 1000)
        answered.append(answer - sent)
        missed += sockets - len(arrivals)
        if arrivals:
            last.append(arrivals[-1] - sent)
            every += [ns - sent for ns in arrivals]
    await http.aclose()
    return {
        "rounds": rounds,
        "missed": missed,
        "last_socket_heard": latency_summary_ms(last),
        "last_socket_heard_rounds_ms": [round(ns / 1e6, 1) for ns in last],
        "every_socket_heard": latency_summary_ms(every),
        "publish_request": latency_summary_ms(answered),
        "server_cpu_ms_per_publish_p50": round(statistics.median(cpu_ms), 1),
    }


def _fan_out(port: int, pid: int, tokens: list[str], owner: str, args: argparse.Namespace) -> Any:
    url = f"ws://127.0.0.1:{port}/api/v1/stream?token="
    ctx = mp.get_context("spawn")
    workers = []
    procs = max(1, min(args.client_procs, len(tokens)))
    try:
        for k in range(procs):
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=_listener, args=([url + t for t in tokens[k::procs]], theirs))
            proc.start()
            workers.append((proc, mine))
        t0 = time.perf_counter()
        opened = [pipe.recv() for _, pipe in workers]
        connect_s = time.perf_counter() - t0
        sockets = sum(n for n, _, _ in opened)
        failed = sum(f for _, _, f in opened)
        if failed:
            errors = [e for _, errs, _ in opened for e in errs]
            raise RuntimeError(f"{failed} of {len(tokens)} sockets did not open: {errors}")
        server = psutil.Process(pid)
        held = {
            "sockets": sockets,
            "client_procs": procs,
            "connect_seconds": round(connect_s, 1),
            "server_open_fds": server.num_fds(),
            "server_nofile_soft_limit": server.rlimit(psutil.RLIMIT_NOFILE)[0],
            "server_rss_mib": round(tree_rss_bytes(pid) / 2**20),
        }
        console.print(f"live: {sockets:,} sockets open in {connect_s:.1f} s; publishing")
        pipes = [p for _, p in workers]
        timed = asyncio.run(_rounds(port, pid, owner, pipes, sockets, args.rounds))
        return {**held, **timed, "load_average": load_average()}
    finally:
        for _, pipe in workers:
            with contextlib.suppress(OSError):
                pipe.send(("close",))
        for proc, _ in workers:
            proc.join(timeout=15)
            if proc.is_alive():
                proc.kill()


def _live(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="plaza-bench-publish-live-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        upgrade(settings)
        tokens, owner = asyncio.run(_seed_live(settings, args.sockets))
        port = free_port()
        env = {
            "PLAZA_RATE_LIMIT_ENABLED": "false",
            "PLAZA_ARTICLES_PER_ACCOUNT_PER_DAY": str(10**6),
            "PLAZA_DATA_DIR": tmp,
        }
        argv = [sys.executable, "-m", "plaza", "serve", "--host", "127.0.0.1"]
        proc = start_server(
            [*argv, "--port", str(port), "--data-dir", tmp], Path(tmp) / "server.log", env=env
        )
        try:
            wait_tcp("127.0.0.1", port, 60, proc)
            reading = asyncio.run(_reading(port, proc.pid, owner, args))
            console.print(
                f"reading: {reading['requests_per_second']} req/s; opening {len(tokens):,} sockets"
            )
            return {"reading": reading, "fan_out": _fan_out(port, proc.pid, tokens, owner, args)}
        finally:
            stop_process(proc)


# -- report -------------------------------------------------------------------------------------


def _print_databases(results: dict[str, Any]) -> None:
    table = Table(title="Publishing and the feed, through the service (ms)")
    for column in ("database", "subscribers", "p50", "p99", "ratio p50", "feed p50", "feed p99"):
        table.add_column(column, justify="right")
    for backend, m in results.items():
        for key in ("1000000", "10"):
            p = m["publish"][key]
            table.add_row(
                backend,
                f"{int(key):,}",
                f"{p['p50_ms']:.2f}",
                f"{p['p99_ms']:.2f}",
                f"{m['publish_ratio_p50']:.2f}" if key == "10" else "",
                f"{m['feed']['p50_ms']:.2f}" if key == "10" else "",
                f"{m['feed']['p99_ms']:.2f}" if key == "10" else "",
            )
    console.print(table)
    slow = Table(title="Where the time goes: the slowest statements (p50 ms)")
    for column in ("database", "operation", "total", "all SQL", "statement", "ms"):
        slow.add_column(column, justify="left" if column == "statement" else "right")
    for backend, m in results.items():
        for operation, b in m["where_the_time_goes"].items():
            top = sorted(b["statements_p50_ms"].items(), key=lambda kv: -kv[1])[:2]
            for i, (label, ms) in enumerate(top):
                first = i == 0
                slow.add_row(
                    backend if first else "",
                    operation if first else "",
                    f"{b['total_p50_ms']:.2f}" if first else "",
                    f"{b['sql_p50_ms']:.2f}" if first else "",
                    label,
                    f"{ms:.2f}",
                )
    console.print(slow)


def _print_live(live: dict[str, Any]) -> None:
    reading = live["reading"]
    read = Table(title=f"Reading, signed out ({reading['concurrency']} connections, SQLite)")
    for column in ("path", "req/s", "vs static file", "server CPU ms/req"):
        read.add_column(column, justify="right")
    for name, path in reading["paths"].items():
        rps = reading["requests_per_second"][name]
        read.add_row(
            path,
            f"{rps:,}",
            f"{rps / reading['requests_per_second']['static_file']:.0%}",
            f"{reading['server_cpu_ms_per_request'][name]:.2f}",
        )
    console.print(read)
    f = live["fan_out"]
    title = f"Live: {f['sockets']:,} sockets following the account ({f['rounds']} publishes, ms)"
    fan = Table(title=title)
    for column in ("from the publish request to", "p50", "p99", "max"):
        fan.add_column(column, justify="right")
    for label, key in (
        ("its answer", "publish_request"),
        ("any socket hearing it", "every_socket_heard"),
        ("the last socket hearing it", "last_socket_heard"),
    ):
        m = f[key]
        fan.add_row(label, f"{m['p50_ms']:.0f}", f"{m['p99_ms']:.0f}", f"{m['max_ms']:.0f}")
    console.print(fan)
    console.print(
        f"missed {f['missed']}; server CPU per publish {f['server_cpu_ms_per_publish_p50']} ms; "
        f"server {f['server_open_fds']:,} open files (soft limit "
        f"{f['server_nofile_soft_limit']:,}), {f['server_rss_mib']} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--sockets", type=int, default=10_000)
    parser.add_argument("--client-procs", type=int, default=2, help="processes holding sockets")
    parser.add_argument("--rounds", type=int, default=30, help="timed publishes to the sockets")
    parser.add_argument("--concurrency", type=int, default=16, help="reading connections")
    parser.add_argument("--read-rounds", type=int, default=3)
    parser.add_argument("--read-seconds", type=float, default=4.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--skip-live", action="store_true", help="no server: publish and feed only")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results" / "publish.json")
    args = parser.parse_args()
    # Every socket is a file descriptor in a client process and in the server (which inherits
    # this limit through start_server); the default soft limit (often 1024) is far too low.
    nofile = raise_nofile()
    if nofile < args.sockets // args.client_procs + 1000:
        parser.error(f"open-file limit {nofile} is too low for {args.sockets} sockets")
    header = report_header("publish", ("sqlalchemy", "asyncpg", "uvicorn"))
    results: dict[str, Any] = {}
    for backend in filter(None, args.backends.split(",")):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="plaza-bench-publish-") as tmp:
                settings = Settings(data_dir=Path(tmp))
                results[backend] = asyncio.run(_backend(backend, settings, args))
        else:
            database = PgDatabase("plaza_bench_publish").create()
            try:
                settings = Settings(database_url=database.asyncpg_url())
                results[backend] = asyncio.run(_backend(backend, settings, args))
            finally:
                database.drop()
    live = {} if args.skip_live else _live(args)
    if results:
        _print_databases(results)
    if live:
        _print_live(live)
    report = {
        **header,
        "open_file_limit": {"soft": nofile, "hard": resource.getrlimit(resource.RLIMIT_NOFILE)[1]},
        "load_average_at_end": load_average(),
        "dataset": {
            "subscribers_big": args.subscribers,
            "subscribers_small": 10,
            "feed_articles": args.articles,
            "feed_subscriptions": 500,
            "samples": args.samples,
            "live_sockets": args.sockets,
        },
        "targets": {
            "publish_p99_ms": TARGET_PUBLISH_MS,
            "publish_ratio": TARGET_RATIO,
            "feed_p99_ms": TARGET_FEED_P99_MS,
        },
        "results": results,
        "live_sqlite": live,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
