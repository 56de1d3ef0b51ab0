"""Articles over the stream: a subscriber's connections follow each account's topic and hear
`article.published` once per article (one publish on the bus, not one write per subscriber),
including accounts subscribed to while connected; a reconnect replays what was missed, a
removed article skipped."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.live_server import serve_with_client
from tests.public_accounts.helpers import API, create_account, draft, people, publish, subscribe

WAIT = 10.0


@pytest.fixture
async def server(settings, clock):
    async with serve_with_client(settings, clock) as running:
        yield running


class ArticleStream:
    def __init__(self, port: int, headers: dict[str, str]) -> None:
        token = headers["Authorization"].split()[1]
        self.url = f"ws://127.0.0.1:{port}/api/v1/stream?token={token}"
        self.ws: ClientConnection | None = None
        self.ready: dict[str, Any] = {}
        self.revs: dict[str, int] = {}

    async def open(self) -> ArticleStream:
        self.ws = await connect(self.url)
        self.ready = orjson.loads(await asyncio.wait_for(self.ws.recv(), WAIT))
        assert self.ready["type"] == "ready"
        positions = {**self.ready.get("public_accounts", {}), **self.revs}
        await self.ws.send(orjson.dumps({"type": "resume", "public_accounts": positions}).decode())
        return self

    async def next(self, *types: str) -> dict[str, Any]:
        assert self.ws is not None
        while True:
            event = orjson.loads(await asyncio.wait_for(self.ws.recv(), WAIT))
            if event["type"] in types:
                return event

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


async def test_subscribers_hear_new_articles_live(server):
    _, port, client = server
    h = await people(client, "ann", "bob", "cat")
    account = await create_account(client, h["ann"], "live_news", "Live News")
    await subscribe(client, h["bob"], "live_news")
    bob = await ArticleStream(port, h["bob"]).open()
    assert bob.ready["public_accounts"] == {str(account["id"]): 0}
    cat = await ArticleStream(port, h["cat"]).open()
    await subscribe(client, h["cat"], "live_news")  # while connected: followed from now on
    article = await publish(client, h["ann"], "live_news", "Breaking")
    heard = await bob.next("article.published")
    assert heard == {
        "type": "article.published",
        "rev": 1,
        "account": {"handle": "live_news", "name": "Live News"},
        "article": {
            "id": article["id"],
            "title": "Breaking",
            "url": f"/a/live_news/{article['id']}",
            "published_at": article["published_at"].replace("Z", "+00:00"),
        },
    }
    assert (await cat.next("article.published"))["article"]["id"] == article["id"]
    await bob.close()
    await cat.close()


async def test_a_reconnect_replays_missed_articles_but_not_removed_ones(server):
    _, port, client = server
    h = await people(client, "ann", "bob")
    account = await create_account(client, h["ann"], "replayed")
    key = str(account["id"])
    await subscribe(client, h["bob"], "replayed")
    bob = await ArticleStream(port, h["bob"]).open()
    await publish(client, h["ann"], "replayed", "one")
    assert (await bob.next("article.published"))["rev"] == 1
    await bob.close()
    bob.revs = {key: 1}
    gone = await publish(client, h["ann"], "replayed", "two")
    await client.delete(f"{API}/articles/{gone['id']}", headers=h["ann"])
    await draft(client, h["ann"], "replayed", "a draft is never announced")
    await publish(client, h["ann"], "replayed", "three")
    await bob.open()
    replayed = await bob.next("article.published")
    assert (replayed["rev"], replayed["article"]["title"]) == (3, "three")
    await publish(client, h["ann"], "replayed", "four")
    assert (await bob.next("article.published"))["rev"] == 4
    await bob.close()
