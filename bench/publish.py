"""Public accounts benchmark: publishing at any number of subscribers, the feed, live fan-out,
and reading an article against a static file.

Per database (SQLite in a temporary directory, and a fresh PostgreSQL database):

1. Bulk-load with SQL (recursive CTE / generate_series) 1,000,000 people subscribed to one
   account, and an account with 10 subscribers. Publish drafts into each, alternately, through
   the service (plaza.public_accounts.service.publishing.publish: checks, the daily limit, one
   article row, one revision, the topic revision, one bus event) and compare latencies
   (targets: p99 under 50 ms, ratio big/small at most 1.5).
2. 1,000 accounts with 100 articles each (100,000 articles) and a reader subscribed to 500 of
   them: `GET /feed`'s first page through the service (targets: p99 under 20 ms).

Then, on SQLite with a real server (`plaza serve`) on loopback:

3. Live fan-out: SUBSCRIBERS connected sockets (default 2,000; the brief's 10,000 is more than
   this shared 2-core machine holds next to the clients, so fewer are used and the figure says
   how many) follow one account; the time from the publish request until the last socket has
   the `article.published` event.
4. Reading a published article (`GET /api/v1/articles/{id}`, signed out, counting the read)
   in requests per second against a static file served by the same server (the ceiling). The
   HTML page `/a/{handle}/{id}` belongs to the web pages and is not measured here.

Run from the repository root:  .venv/bin/python bench/publish.py [--subscribers N] ...
Writes bench/results/publish.json and prints tables.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from websockets.asyncio.client import connect

from common import (
    BENCH_DIR,
    PgDatabase,
    free_port,
    latency_summary_ms,
    report_header,
    start_server,
    stop_process,
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

console = Console(width=None if sys.stdout.isatty() else 150)
START = "2026-01-01 00:00:00"
LIMITS = ArticleLimits(title_max=120, body_max=50_000, max_pictures=30)
BODY = "# A headline\n\nSome **bold** words and a [link](https://example.org).\n" * 20
TARGET_PUBLISH_MS = 50.0
TARGET_RATIO = 1.5
TARGET_FEED_P99_MS = 20.0


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


async def _publish_and_feed(settings: Settings, samples: int) -> dict[str, Any]:
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    bus = MemoryBus()
    await bus.start()
    clock = Clock()

    latencies: dict[str, list[int]] = {"1000000": [], "10": []}
    async with sessions() as session:
        owner = await session.get(User, 1)
        assert owner is not None
    for i in range(samples * 2):
        handle, key = ("acct1", "1000000") if i % 2 == 0 else ("acct2", "10")
        async with sessions() as session:
            owner = await session.get(User, 1)
            assert owner is not None
            draft, _ = await articles.create_draft(
                session,
                clock=clock,
                user=owner,
                handle=handle,
                title=f"Bench {i}",
                body=BODY,
                cover_media_id=None,
                limits=LIMITS,
            )
            draft_id = draft.id
        async with sessions() as session:
            owner = await session.get(User, 1)
            assert owner is not None
            t0 = time.perf_counter_ns()
            await publishing.publish(
                session,
                clock=clock,
                bus=bus,
                user=owner,
                article_id=draft_id,
                limits=LIMITS,
                per_day=10**9,
            )
            latencies[key].append(time.perf_counter_ns() - t0)
    feed: list[int] = []
    for _ in range(samples):
        async with sessions() as session:
            t0 = time.perf_counter_ns()
            items, _cursor = await subscriptions.feed(session, user_id=2, cursor=None, limit=20)
            feed.append(time.perf_counter_ns() - t0)
            assert len(items) == 20
    await bus.close()
    await engine.dispose()
    publish = {k: latency_summary_ms(v) for k, v in latencies.items()}
    return {
        "publish": publish,
        "publish_ratio_p50": round(publish["1000000"]["p50_ms"] / publish["10"]["p50_ms"], 2),
        "feed": latency_summary_ms(feed),
    }


async def _backend(name: str, settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    await asyncio.to_thread(upgrade, settings)
    console.print(f"[{name}] loading {args.subscribers:,} subscribers, {args.articles:,} articles")
    loaded = await _load(settings, args.subscribers, args.articles)
    console.print(f"[{name}] loaded in {loaded['load_seconds']} s; measuring")
    return {**loaded, **await _publish_and_feed(settings, args.samples)}


# -- a real server: live fan-out and reading ----------------------------------------------------


async def _seed_live(settings: Settings, sockets: int) -> tuple[list[str], str, int]:
    """People 2..sockets+1 subscribed to account 1 of person 1, each with a session token;
    a published article to read. Returns (tokens, owner token, article id)."""
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
                f"created_at) VALUES (1, 'live', 'live', 'Live', 'live', '', 1, false, "
                f"'active', {sockets}, 0, '{START}')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO public_account_subscriptions (user_id, account_id, created_at) "
                f"SELECT n, 1, '{START}' FROM ({_series('sqlite', sockets, 2)}) AS s"
            )
        )
    await engine.dispose()
    return tokens[1:], tokens[0], 0


async def _fan_out(port: int, tokens: list[str], owner: str, rounds: int) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{port}/api/v1/stream?token="
    sockets = []
    for start in range(0, len(tokens), 200):
        batch = await asyncio.gather(
            *(connect(url + t, max_queue=None) for t in tokens[start : start + 200])
        )
        for ws in batch:
            ready = orjson.loads(await ws.recv())
            assert ready["type"] == "ready" and ready["public_accounts"], ready
            await ws.send(
                orjson.dumps({"type": "resume", "public_accounts": ready["public_accounts"]})
            )
        sockets += batch
    results: list[float] = []
    heads = {"Authorization": f"Bearer {owner}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        article_id = 0
        for i in range(rounds):
            draft = await client.post(
                "/api/v1/public-accounts/live/articles",
                json={"title": f"Live {i}", "body": BODY},
                headers=heads,
            )
            article_id = draft.json()["id"]

            async def heard(ws: Any, wanted: int = article_id) -> None:
                while True:
                    event = orjson.loads(await ws.recv())
                    if event.get("type") == "article.published":
                        assert event["article"]["id"] == wanted
                        return

            waiting = [asyncio.ensure_future(heard(ws)) for ws in sockets]
            t0 = time.perf_counter()
            answer = await client.post(f"/api/v1/articles/{article_id}/publish", headers=heads)
            assert answer.status_code == 200, answer.text
            await asyncio.gather(*waiting)
            results.append((time.perf_counter() - t0) * 1000)
        rates = await _reading(client, article_id)
    for ws in sockets:
        await ws.close()
    return {
        "sockets": len(sockets),
        "all_heard_ms": [round(r, 1) for r in results],
        "all_heard_median_ms": round(sorted(results)[len(results) // 2], 1),
        **rates,
    }


async def _rate(client: httpx.AsyncClient, path: str, seconds: float = 5.0) -> float:
    done = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            answer = await client.get(path)
            assert answer.status_code == 200, (path, answer.status_code)
            done += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(16)))
    return done / (time.perf_counter() - t0)


async def _reading(client: httpx.AsyncClient, article_id: int) -> dict[str, Any]:
    static = "/static/" + next(p.name for p in _static_dir().glob("*.css"))
    article = await _rate(client, f"/api/v1/articles/{article_id}")
    ceiling = await _rate(client, static)
    return {
        "article_rps": round(article),
        "static_rps": round(ceiling),
        "static_file": static,
        "article_vs_static": round(article / ceiling, 3),
    }


def _static_dir() -> Path:
    import plaza

    return Path(plaza.__file__).resolve().parent / "web" / "static"


def _live(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="plaza-bench-publish-live-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        upgrade(settings)
        tokens, owner, _ = asyncio.run(_seed_live(settings, args.sockets))
        port = free_port()
        env = {"PLAZA_RATE_LIMIT_ENABLED": "false", "PLAZA_DATA_DIR": tmp}
        proc = start_server(
            [
                sys.executable,
                "-m",
                "plaza",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                tmp,
            ],
            Path(tmp) / "server.log",
            env=env,
        )
        try:
            wait_tcp("127.0.0.1", port, 60, proc)
            return asyncio.run(_fan_out(port, tokens, owner, args.rounds))
        finally:
            stop_process(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results" / "publish.json")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for backend in args.backends.split(","):
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
    live = _live(args)
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
    console.print(
        f"live: {live['sockets']:,} sockets all heard the article in a median "
        f"{live['all_heard_median_ms']} ms (rounds: {live['all_heard_ms']}); reading an article "
        f"{live['article_rps']:,} req/s vs static file {live['static_rps']:,} req/s "
        f"({live['article_vs_static']:.0%})"
    )
    report = {
        **report_header("publish", ("sqlalchemy", "asyncpg")),
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
