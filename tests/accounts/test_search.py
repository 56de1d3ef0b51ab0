"""Finding people by the start of a username or display name, and hearing of a new friend
request live (issue #7 item 7)."""

from __future__ import annotations

import orjson

from tests.helpers import register
from tests.live_server import Stream, serve_with_client


async def test_people_are_found_by_the_start_of_either_name(client):
    me = await register(client, "searcher")
    await register(client, "juliet_c", "朱丽叶")
    await register(client, "julius", "Caesar")
    await register(client, "romeo", "Juliet's Romeo")
    await register(client, "under_score", "Plain")

    async def names(q: str) -> list[str]:
        answer = await client.get("/api/v1/users", params={"q": q}, headers=me)
        assert answer.status_code == 200, answer.text
        return [u["username"] for u in answer.json()["items"]]

    assert await names("jul") == ["juliet_c", "julius", "romeo"]
    assert await names("JULIET") == ["juliet_c", "romeo"]
    assert await names("朱丽") == ["juliet_c"]
    assert await names("丽叶") == []  # the start, not the middle
    assert await names("under_") == ["under_score"]
    assert await names("under%") == []  # LIKE wildcards are taken literally
    assert await names("caes") == ["julius"]
    # Pages.
    first = await client.get("/api/v1/users", params={"q": "jul", "limit": 2}, headers=me)
    body = first.json()
    assert [u["username"] for u in body["items"]] == ["juliet_c", "julius"]
    rest = await client.get(
        "/api/v1/users", params={"q": "jul", "cursor": body["next_cursor"]}, headers=me
    )
    assert [u["username"] for u in rest.json()["items"]] == ["romeo"]
    assert (await client.get("/api/v1/users", params={"q": "  "}, headers=me)).status_code == 422
    assert (await client.get("/api/v1/users", params={"q": "jul"})).status_code == 401


async def test_a_new_friend_request_is_announced_live_with_the_count(sqlite_settings, clock):
    async with serve_with_client(sqlite_settings, clock) as (_, port, client):
        juliet = await register(client, "juliet")
        romeo, paris = await register(client, "romeo"), await register(client, "paris")
        stream = await Stream(port, juliet["Authorization"].split()[1]).open()
        for n, suitor in enumerate((romeo, paris), start=1):
            await client.post("/api/v1/friend-requests", json={"to": "juliet"}, headers=suitor)
            got = await stream.events_until(lambda e: e["type"] == "friend_request.received")
            assert got[-1] == {"type": "friend_request.received", "count": n}
        # Answering one brings the count down on every open page of hers.
        incoming = await client.get("/api/v1/friend-requests", headers=juliet)
        first = incoming.json()["items"][-1]["id"]
        await client.post(f"/api/v1/friend-requests/{first}/decline", headers=juliet)
        got = await stream.events_until(lambda e: e["type"] == "friend_request.count")
        assert got[-1] == {"type": "friend_request.count", "count": 1}
        # Someone she blocked asks: she hears nothing.
        tybalt = await register(client, "tybalt")
        await client.post("/api/v1/blocks", json={"username": "tybalt"}, headers=juliet)
        await stream.events_until(lambda e: e["type"] == "friend_request.count")
        await client.post("/api/v1/friend-requests", json={"to": "juliet"}, headers=tybalt)
        await stream.ws.send(orjson.dumps({"type": "ping"}).decode())
        after = await stream.events_until(lambda e: e["type"] == "pong")
        assert [e for e in after if e["type"] != "pong"] == []
        await stream.close()
