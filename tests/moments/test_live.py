"""Moments over the stream: the author and the person answered hear of likes and comments on
their own topic, with revisions a reconnect resumes from; friends hear the new count."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.live_server import serve_with_client
from tests.moments.helpers import API, friends, people, post

WAIT = 10.0


@pytest.fixture
async def server(settings, clock):
    async with serve_with_client(settings, clock) as running:
        yield running


class MomentStream:
    """A stream client that follows its moments topic and remembers the revision."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        token = headers["Authorization"].split()[1]
        self.url = f"ws://127.0.0.1:{port}/api/v1/stream?token={token}"
        self.ws: ClientConnection | None = None
        self.ready: dict[str, Any] = {}
        self.rev: int | None = None

    async def open(self) -> MomentStream:
        self.ws = await connect(self.url)
        self.ready = orjson.loads(await asyncio.wait_for(self.ws.recv(), WAIT))
        assert self.ready["type"] == "ready"
        [(key, head)] = self.ready["moments"].items()
        resume = head if self.rev is None else self.rev
        await self.ws.send(orjson.dumps({"type": "resume", "moments": {key: resume}}).decode())
        return self

    async def next(self, *types: str) -> dict[str, Any]:
        """The next event of one of these types (others are passed over)."""
        assert self.ws is not None
        while True:
            event = orjson.loads(await asyncio.wait_for(self.ws.recv(), WAIT))
            if event.get("type", "").startswith("moment.") and "rev" in event:
                self.rev = event["rev"]
            if event["type"] in types:
                return event

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


async def test_the_author_and_the_person_answered_hear_it(server):
    _, port, client = server
    heads = await people(client, "ann", "bob", "cat")
    await friends(client, heads, "bob-ann", "cat-ann")
    ann = await MomentStream(port, heads["ann"]).open()
    bob = await MomentStream(port, heads["bob"]).open()
    assert list(ann.ready["moments"].values()) == [0]
    moment = await post(client, heads["ann"], "sunset")
    await client.post(f"{API}/moments/{moment['id']}/like", headers=heads["bob"])
    liked = await ann.next("moment.liked")
    assert liked == {
        "type": "moment.liked",
        "rev": 1,
        "moment_id": moment["id"],
        "user": {"username": "bob", "display_name": "Bob Name"},
    }
    url = f"{API}/moments/{moment['id']}/comments"
    by_bob = (await client.post(url, json={"text": "lovely"}, headers=heads["bob"])).json()
    commented = await ann.next("moment.commented")
    assert commented["rev"] == 2 and commented["comment"]["text"] == "lovely"
    assert commented["comment"]["can_delete"] is True  # ann may delete comments on hers
    reply = {"text": "thanks", "reply_to": by_bob["id"]}
    await client.post(url, json=reply, headers=heads["ann"])
    answered = await bob.next("moment.commented")
    assert answered["rev"] == 1 and answered["comment"]["text"] == "thanks"
    assert answered["comment"]["reply_to"]["username"] == "bob"
    assert answered["comment"]["can_delete"] is False
    await ann.close()
    await bob.close()


async def test_a_reconnect_replays_what_still_holds(server):
    _, port, client = server
    heads = await people(client, "ann", "bob", "cat")
    await friends(client, heads, "bob-ann", "cat-ann")
    ann = await MomentStream(port, heads["ann"]).open()
    first = await post(client, heads["ann"], "first")
    await client.post(f"{API}/moments/{first['id']}/like", headers=heads["bob"])
    assert (await ann.next("moment.liked"))["rev"] == 1
    await ann.close()
    # While ann is away: cat likes (stays), bob comments then deletes it, cat likes a moment
    # that ann then deletes, bob comments (stays).
    second = await post(client, heads["ann"], "second")
    await client.post(f"{API}/moments/{first['id']}/like", headers=heads["cat"])
    url = f"{API}/moments/{first['id']}/comments"
    gone = (await client.post(url, json={"text": "oops"}, headers=heads["bob"])).json()
    await client.delete(f"{url}/{gone['id']}", headers=heads["bob"])
    await client.post(f"{API}/moments/{second['id']}/like", headers=heads["cat"])
    await client.delete(f"{API}/moments/{second['id']}", headers=heads["ann"])
    await client.post(url, json={"text": "still here"}, headers=heads["bob"])
    await ann.open()
    replayed = await ann.next("moment.liked")
    assert (replayed["rev"], replayed["user"]["username"]) == (2, "cat")
    kept = await ann.next("moment.commented")
    assert (kept["rev"], kept["comment"]["text"]) == (5, "still here")
    # Live again after the replay, from the next revision.
    await client.post(f"{API}/moments/{first['id']}/like", headers=heads["cat"])  # no change
    await client.delete(f"{API}/moments/{first['id']}/like", headers=heads["bob"])
    await client.post(f"{API}/moments/{first['id']}/like", headers=heads["bob"])
    assert (await ann.next("moment.liked"))["rev"] == 6
    await ann.close()


async def test_friends_who_may_see_it_hear_the_new_count(server):
    _, port, client = server
    heads = await people(client, "ann", "bob", "cat", "dan")
    await friends(client, heads, "bob-ann", "cat-ann", "dan-ann")
    streams = {n: await MomentStream(port, heads[n]).open() for n in ("bob", "cat", "dan")}
    await post(client, heads["ann"], "not for cat", "except", ["cat"])
    assert (await streams["bob"].next("moments.unseen"))["count"] == 1
    # Friends are told in id order: once dan has heard, cat would have been told too.
    assert (await streams["dan"].next("moments.unseen"))["count"] == 1
    await post(client, heads["ann"], "for all")
    assert (await streams["cat"].next("moments.unseen"))["count"] == 1
    assert (await streams["bob"].next("moments.unseen"))["count"] == 2
    seen = await client.post(f"{API}/moments/seen", headers=heads["bob"])
    assert seen.status_code == 204
    unseen = await client.get(f"{API}/moments/unseen", headers=heads["bob"])
    assert unseen.json() == {"count": 0}
    await post(client, heads["ann"], "later")
    assert (await client.get(f"{API}/moments/unseen", headers=heads["bob"])).json()["count"] == 1
    assert (await client.post(f"{API}/moments/seen", headers=heads["bob"])).status_code == 204
    assert (await client.get(f"{API}/moments/unseen", headers=heads["bob"])).json()["count"] == 0
    unseen = await client.get(f"{API}/moments/unseen", headers=heads["cat"])
    assert unseen.json() == {"count": 2}  # "for all" and "later", not the one left out of
    for stream in streams.values():
        await stream.close()


async def test_one_cannot_follow_someone_elses_moments_topic(server):
    _, port, client = server
    heads = await people(client, "ann", "bob")
    await friends(client, heads, "bob-ann")
    me = await client.get(f"{API}/me", headers=heads["ann"])
    ann_id = me.json()["id"]
    bob = await MomentStream(port, heads["bob"]).open()
    assert bob.ws is not None
    await bob.ws.send(orjson.dumps({"type": "resume", "moments": {str(ann_id): 0}}).decode())
    moment = await post(client, heads["ann"], "mine")
    await client.post(
        f"{API}/moments/{moment['id']}/comments", json={"text": "x"}, headers=heads["bob"]
    )
    await client.post(f"{API}/moments/{moment['id']}/like", headers=heads["bob"])
    # bob's stream carries only his own nudge, never ann's notices.
    event = await bob.next("moments.unseen", "moment.liked", "moment.commented")
    assert event["type"] == "moments.unseen"
    await bob.close()
