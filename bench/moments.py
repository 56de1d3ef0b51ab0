"""Moments benchmark: the timeline of a person with many friends over many moments.

Builds one dataset per database (SQLite in a temporary directory, and a fresh PostgreSQL
database), bulk-inserted with SQL: 2,000 authors posting 200,000 moments (80% for all friends,
8% "only", 7% "except" lists naming random people and labels, 5% private), likes and comments on
the newest ones, and four viewers with 50, 100, 200 and 500 of those authors as friends. Then,
through the service (plaza.moments.service.reading.timeline: the viewer's facts, the SQL, the
rule on every row, likes, comments and pictures), it measures the first page and pages further
down (20 moments each), and beside it the same timeline query's bare SQL time on the same
connection (the ceiling: what the database alone needs). Posting a moment (the 500-friend
viewer, through plaza.moments.service.posting.create) is measured too.

Run from the repository root:  .venv/bin/python bench/moments.py [--samples N] [--moments N]
Writes bench/results/moments.json and prints a table. Target: timeline p99 < 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common import BENCH_DIR, PgDatabase, latency_summary_ms, report_header
from plaza.accounts.models import FriendLabel, FriendLabelMember, Friendship, User
from plaza.clock import Clock
from plaza.config import Settings
from plaza.db import create_engine, create_sessionmaker
from plaza.migrate import upgrade
from plaza.moments.models import (
    Moment,
    MomentAudienceLabel,
    MomentAudienceUser,
    MomentComment,
    MomentLike,
)
from plaza.moments.service import posting, queries, reading
from plaza.moments.service.facts import viewer_facts

console = Console(width=None if sys.stdout.isatty() else 150)
TARGET_P99_MS = 20.0
AUTHORS = 2000
FRIEND_COUNTS = (50, 100, 200, 500)
PAGE = 20
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _rows(moments: int, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """The dataset: viewers are users 1..4, authors 5..AUTHORS+4."""
    rng = random.Random(seed)
    viewers = list(range(1, len(FRIEND_COUNTS) + 1))
    authors = list(range(len(viewers) + 1, len(viewers) + AUTHORS + 1))
    users = [
        {
            "id": uid,
            "username": f"u{uid}",
            "display_name": f"Person {uid}",
            "password_hash": "-",
            "role": "member",
            "status": "active",
            "created_at": START,
        }
        for uid in viewers + authors
    ]
    friendships = []
    for viewer, count in zip(viewers, FRIEND_COUNTS, strict=True):
        for friend in authors[:count]:
            friendships += [
                {"user_id": viewer, "friend_id": friend, "created_at": START},
                {"user_id": friend, "friend_id": viewer, "created_at": START},
            ]
    labels, members = [], []
    for label_id, owner in enumerate(authors[:400], start=1):
        labels.append({"id": label_id, "owner_id": owner, "name": "family", "created_at": START})
        for member in {*rng.sample(viewers, 2), *rng.sample(authors, 5)}:
            members.append({"label_id": label_id, "user_id": member})
    rows: dict[str, list[dict[str, Any]]] = {
        "users": users,
        "friendships": friendships,
        "labels": labels,
        "members": members,
        "moments": [],
        "audience_users": [],
        "audience_labels": [],
    }
    for moment_id in range(1, moments + 1):
        author = rng.choice(authors)
        roll = rng.random()
        mode = (
            "friends"
            if roll < 0.8
            else "only"
            if roll < 0.88
            else "except"
            if roll < 0.95
            else "private"
        )
        rows["moments"].append(
            {
                "id": moment_id,
                "author_id": author,
                "text": f"moment {moment_id}",
                "visibility": mode,
                "created_at": START + dt.timedelta(seconds=moment_id * 30),
            }
        )
        if mode in ("only", "except"):
            # Lists name the author's friends: three others, and each viewer who is one of
            # their friends now and then (as a person with ~200 friends names 3 of them).
            named = [v for v, n in enumerate(FRIEND_COUNTS, 1) if author - len(viewers) <= n]
            named = [v for v in named if rng.random() < 0.02]
            for user_id in {*named, *rng.sample(authors, 3)}:
                rows["audience_users"].append({"moment_id": moment_id, "user_id": user_id})
            if author <= len(viewers) + 400 and rng.random() < 0.5:
                label_id = author - len(viewers)
                rows["audience_labels"].append({"moment_id": moment_id, "label_id": label_id})
    newest = range(max(1, moments - 20_000), moments + 1)
    rows["likes"] = [
        {"moment_id": m, "user_id": u, "created_at": START}
        for m in newest
        for u in {*rng.sample(authors, 2), rng.choice(viewers)}
    ]
    rows["comments"] = [
        {"moment_id": m, "author_id": rng.choice(authors), "text": "nice", "created_at": START}
        for m in newest
        if rng.random() < 0.5
    ]
    return rows


TABLES = (
    ("users", User),
    ("friendships", Friendship),
    ("labels", FriendLabel),
    ("members", FriendLabelMember),
    ("moments", Moment),
    ("audience_users", MomentAudienceUser),
    ("audience_labels", MomentAudienceLabel),
    ("likes", MomentLike),
    ("comments", MomentComment),
)


async def _load(sessions: async_sessionmaker[AsyncSession], rows: dict[str, list[dict]]) -> None:
    async with sessions() as session:
        for key, model in TABLES:
            batch = rows[key]
            for start in range(0, len(batch), 20_000):
                await session.execute(insert(model), batch[start : start + 20_000])
        await session.commit()
        if session.get_bind().dialect.name == "postgresql":
            for table in ("users", "friend_labels", "moments"):
                await session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            await session.commit()
            await session.execute(text("ANALYZE"))
        else:
            await session.execute(text("ANALYZE"))
        await session.commit()


async def _time(samples: int, fn: Callable[[], Coroutine[Any, Any, Any]]) -> dict[str, float]:
    for _ in range(min(20, samples)):  # warm caches and the statement cache
        await fn()
    spent = []
    for _ in range(samples):
        start = time.perf_counter_ns()
        await fn()
        spent.append(time.perf_counter_ns() - start)
    return latency_summary_ms(spent)


async def _measure(
    sessions: async_sessionmaker[AsyncSession], samples: int, moments: int
) -> dict[str, Any]:
    rng = random.Random(11)
    result: dict[str, Any] = {"timeline": {}, "deep_pages": {}, "bare_sql": {}}
    for viewer_id, friends in enumerate(FRIEND_COUNTS, start=1):
        async with sessions() as session:

            async def first_page(session=session, viewer_id=viewer_id) -> None:
                views, _ = await reading.timeline(
                    session, viewer_id=viewer_id, cursor=None, limit=PAGE
                )
                assert len(views) == PAGE
                await session.rollback()  # end the read transaction, as a request would

            result["timeline"][friends] = await _time(samples, first_page)

            async def deep_page(session=session, viewer_id=viewer_id) -> None:
                cursor = _cursor(rng.randint(moments // 2, moments))
                await reading.timeline(session, viewer_id=viewer_id, cursor=cursor, limit=PAGE)
                await session.rollback()

            result["deep_pages"][friends] = await _time(samples, deep_page)
            viewer = await viewer_facts(session, viewer_id)
            bind = session.get_bind()
            statement, params = queries.timeline_query(
                viewer, before=None, limit=PAGE + 1, dialect=bind.dialect.name
            )
            query = statement.params(**params)
            sql = str(query.compile(bind, compile_kwargs={"literal_binds": True}))
            connection = await session.connection()

            async def bare(connection=connection, sql=sql) -> None:
                rows = (await connection.exec_driver_sql(sql)).fetchall()
                assert len(rows) == PAGE + 1

            result["bare_sql"][friends] = await _time(samples, bare)
            await session.rollback()
    async with sessions() as session:
        author = await session.get(User, len(FRIEND_COUNTS))  # the 500-friend viewer
        assert author is not None
        clock = Clock()
        draft = posting.Draft(text="hello", media_ids=[], mode="friends", usernames=[], labels=[])
        limits = posting.PostLimits(max_chars=2000, max_media=9)

        async def post() -> None:
            await posting.create(session, clock=clock, author=author, draft=draft, limits=limits)

        result["post"] = await _time(samples, post)
    return result


def _cursor(before: int) -> str:
    from plaza.pagination import BeforeId, encode_cursor

    return encode_cursor(BeforeId(before=before))


async def _run_backend(name: str, settings: Settings, rows, samples: int, moments: int):
    await asyncio.to_thread(upgrade, settings)
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    try:
        started = time.perf_counter()
        await _load(sessions, rows)
        load_s = time.perf_counter() - started
        console.print(f"{name}: dataset loaded in {load_s:.1f} s; measuring")
        measured = await _measure(sessions, samples, moments)
        measured["load_seconds"] = round(load_s, 1)
        return measured
    finally:
        await engine.dispose()


def _table(results: dict[str, Any]) -> Table:
    table = Table(title=f"Moments timeline, first page of {PAGE} (ms)")
    for column in (
        "database",
        "friends",
        "p50",
        "p99",
        "bare SQL p50",
        "bare SQL p99",
        "p99 / bare",
        "deep page p99",
        "target p99",
    ):
        table.add_column(column, justify="right")
    for backend, measured in results.items():
        for friends in FRIEND_COUNTS:
            t = measured["timeline"][friends]
            b = measured["bare_sql"][friends]
            d = measured["deep_pages"][friends]
            table.add_row(
                backend,
                str(friends),
                f"{t['p50_ms']:.2f}",
                f"{t['p99_ms']:.2f}",
                f"{b['p50_ms']:.2f}",
                f"{b['p99_ms']:.2f}",
                f"{t['p99_ms'] / b['p99_ms']:.1f}x" if b["p99_ms"] else "-",
                f"{d['p99_ms']:.2f}",
                "ok" if t["p99_ms"] < TARGET_P99_MS else "MISSED",
            )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--moments", type=int, default=200_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results" / "moments.json")
    args = parser.parse_args()
    rows = _rows(args.moments)
    results: dict[str, Any] = {}
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="plaza-bench-moments-") as tmp:
                settings = Settings(data_dir=Path(tmp))
                results[backend] = asyncio.run(
                    _run_backend(backend, settings, rows, args.samples, args.moments)
                )
        else:
            database = PgDatabase("plaza_bench_moments").create()
            try:
                settings = Settings(database_url=database.asyncpg_url())
                results[backend] = asyncio.run(
                    _run_backend(backend, settings, rows, args.samples, args.moments)
                )
            finally:
                database.drop()
    console.print(_table(results))
    for backend, measured in results.items():
        worst = max(measured["timeline"][f]["p99_ms"] for f in FRIEND_COUNTS)
        verdict = "MET" if worst < TARGET_P99_MS else "MISSED"
        console.print(
            f"{backend}: target timeline p99 < {TARGET_P99_MS:.0f} ms {verdict} "
            f"(worst p99 {worst:.2f} ms over {', '.join(map(str, FRIEND_COUNTS))} friends)"
        )
    post = Table(title="Posting a moment (500 friends), through the service (ms)")
    for column in ("database", "p50", "p99", "max"):
        post.add_column(column, justify="right")
    for backend, measured in results.items():
        p = measured["post"]
        post.add_row(backend, f"{p['p50_ms']:.2f}", f"{p['p99_ms']:.2f}", f"{p['max_ms']:.2f}")
    console.print(post)
    report = {
        **report_header("moments", ("sqlalchemy", "asyncpg")),
        "dataset": {
            "moments": args.moments,
            "authors": AUTHORS,
            "viewers_friends": list(FRIEND_COUNTS),
            "page": PAGE,
            "samples": args.samples,
        },
        "target_p99_ms": TARGET_P99_MS,
        "target_met": {
            backend: all(m["timeline"][f]["p99_ms"] < TARGET_P99_MS for f in FRIEND_COUNTS)
            for backend, m in results.items()
        },
        "results": results,
        "ratios": {
            backend: {
                str(f): round(m["timeline"][f]["p99_ms"] / m["bare_sql"][f]["p99_ms"], 2)
                for f in FRIEND_COUNTS
                if m["bare_sql"][f]["p99_ms"]
            }
            for backend, m in results.items()
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
