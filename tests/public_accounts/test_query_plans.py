"""Publishing and the feed reach articles through an index, in any plan the database may pick.

Timings cannot be asserted in tests, but the two faults bench/publish.py found can be: the
daily publishing limit's count had no index to use and read the whole articles table on every
publish, and on PostgreSQL the feed's statement lost its partial index in a generic plan (the
index's `status = 'published'` was a bound parameter) and read the whole table once per
followed account. Here every SELECT the API runs on `articles` while publishing and showing
the feed is explained: on PostgreSQL as a prepared statement forced to its generic plan with
sequential scans disabled (so an index is taken whenever one can serve the statement), on
SQLite with EXPLAIN QUERY PLAN. None may scan the table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.public_accounts.helpers import API, create_account, draft, people, publish, subscribe

ON_ARTICLES = re.compile(r"\bFROM articles\b")


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


async def _table_scans(engine: AsyncEngine, statement: str, parameters: Any) -> list[str]:
    """How the statement's plan reads `articles` without an index condition, if it does."""
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            return [row[-1] for row in rows if row[-1].startswith("SCAN articles")]
        # SET LOCAL ends with the transaction; a prepared statement outlives it.
        await conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        await conn.exec_driver_sql(f"PREPARE probe AS {statement}")
        try:
            nulls = ", ".join(["NULL"] * len(parameters))  # a generic plan ignores the values
            answer = await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) EXECUTE probe({nulls})")
            plan = answer.scalar_one()
        finally:
            await conn.exec_driver_sql("DEALLOCATE probe")
        await conn.rollback()
    [root] = json.loads(plan) if isinstance(plan, str) else plan
    return [
        f"{node['Node Type']} {node.get('Index Name', '')}".strip()
        for node in _nodes(root["Plan"])
        if node.get("Relation Name") == "articles"
        and (
            node["Node Type"] == "Seq Scan"
            or (node["Node Type"].startswith("Index") and "Index Cond" not in node)
        )
    ]


async def test_publishing_and_the_feed_read_articles_through_an_index(app, client):
    h = await people(client, "ann", "bob")
    await create_account(client, h["ann"], "alpha")
    await subscribe(client, h["bob"], "alpha")
    await publish(client, h["ann"], "alpha", "first")
    second = await draft(client, h["ann"], "alpha", "second")
    engine: AsyncEngine = app.state.runtime.engine
    seen: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and ON_ARTICLES.search(statement):
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        published = await client.post(f"{API}/articles/{second['id']}/publish", headers=h["ann"])
        feed = await client.get(f"{API}/feed", headers=h["bob"])
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert published.status_code == 200, published.text
    assert [a["title"] for a in feed.json()["items"]] == ["second", "first"]
    counted = [s for s, _ in seen if "count(" in s]
    assert counted, "the daily limit's count was not among the statements"
    feed_ids = [s for s, _ in seen if "account_subscriptions" in s]
    assert feed_ids, "the feed's statement was not among the statements"
    scans = {statement: await _table_scans(engine, statement, p) for statement, p in seen}
    assert not {s: how for s, how in scans.items() if how}
