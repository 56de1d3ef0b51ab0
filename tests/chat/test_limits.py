"""Rate limits on chat (design.md §9): messages per person and per conversation, over HTTP
and the stream alike, group creation and member additions."""

from __future__ import annotations

import asyncio
import time
import uuid

import orjson
import pytest

from plaza.errors import RateLimited
from plaza.ratelimit import MemoryRateLimiter, Rate
from tests.helpers import befriend, group, register
from tests.live_server import Stream, serve_with_client

LIMITS = {
    "chat_messages_per_person": "5/30",
    "chat_messages_per_conversation": "8/30",
    "chat_groups_per_person": "2/3600",
    "chat_member_adds_per_person": "2/3600",
}


class FakeTime:
    def __init__(self) -> None:
        self.now = 3600.0 * 1000  # the start of a window of every length used here

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limited(settings):
    return settings.model_copy(update=LIMITS)


def _freeze(app) -> FakeTime:
    fake = FakeTime()
    limiter = app.state.runtime.limiter
    assert isinstance(limiter, MemoryRateLimiter)
    limiter.now = fake
    return fake


async def _trio(client):
    heads = {n: await register(client, n) for n in ("alice", "bob", "carol")}
    for name in ("bob", "carol"):
        await befriend(client, heads[name], heads["alice"], "alice")
    return heads


def _post(client, who, conv_id, cid):
    return client.post(
        f"/api/v1/conversations/{conv_id}/messages",
        json={"client_id": cid, "text": f"text {cid}"},
        headers=who,
    )


async def _count(client, who, conv_id) -> list[str]:
    response = await client.get(
        f"/api/v1/conversations/{conv_id}/messages?after_seq=0&limit=200", headers=who
    )
    return [m["client_id"] for m in response.json()["items"]]


async def test_http_flood_is_refused_with_429_and_others_are_unaffected(limited, clock):
    async with serve_with_client(limited, clock) as (app, _port, client):
        fake = _freeze(app)
        heads = await _trio(client)
        conv = await group(client, heads["alice"], ["bob", "carol"])
        answers = await asyncio.gather(
            *(_post(client, heads["bob"], conv["id"], f"b{i}") for i in range(20))
        )
        codes = sorted(r.status_code for r in answers)
        assert codes == [201] * 5 + [429] * 15
        refused = next(r for r in answers if r.status_code == 429)
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 30
        # Bob's refused sends did not use up the conversation's budget (8): others still send.
        for i in range(3):
            assert (await _post(client, heads["carol"], conv["id"], f"c{i}")).status_code == 201
        assert (await _post(client, heads["alice"], conv["id"], "a-full")).status_code == 429
        other = await group(client, heads["alice"], ["carol"], title="other")
        assert (await _post(client, heads["alice"], other["id"], "a0")).status_code == 201
        stored = await _count(client, heads["alice"], conv["id"])
        assert len(stored) == 8 and sum(c.startswith("b") for c in stored) == 5
        fake.now += 30
        assert (await _post(client, heads["bob"], conv["id"], "b-later")).status_code == 201


async def test_stream_flood_gets_rate_limited_frames_a_slow_down_and_stays_open(limited, clock):
    async with serve_with_client(limited, clock) as (app, port, client):
        fake = _freeze(app)
        fake.now += 28  # two seconds before the window ends
        heads = await _trio(client)
        conv = await group(client, heads["alice"], ["bob", "carol"])
        stream = await Stream(port, heads["bob"]["Authorization"].split()[1]).open()
        assert stream.ws is not None

        def frame(cid: str) -> str:
            body = {"type": "send", "conversation_id": conv["id"], "client_id": cid, "text": cid}
            return orjson.dumps(body).decode()

        async def replies(count: int) -> list[dict]:
            found: list[dict] = []
            while len(found) < count:
                event = await stream.next_event()
                if event["type"] in ("sent", "error"):
                    found.append(event)
            return found

        started = time.monotonic()
        for i in range(8):
            await stream.ws.send(frame(f"s{i}"))
        first = await replies(8)
        took = time.monotonic() - started
        assert [r["type"] for r in first] == ["sent"] * 5 + ["error"] * 3
        assert first[5]["retry_after"] == 2
        for reply in first[5:]:
            assert reply["code"] == "rate_limited" and 1 <= reply["retry_after"] <= 2
        assert [r["client_id"] for r in first] == [f"s{i}" for i in range(8)]
        assert took >= 0.9  # the reader paused after the refusal (a slow-down)
        # A flood meanwhile is refused without reaching the service; the socket stays open.
        for i in range(500):
            await stream.ws.send(frame(f"f{i}"))
        flood = await replies(500)
        assert {r.get("code") for r in flood} == {"rate_limited"}
        # Another person's sends are unaffected.
        assert (await _post(client, heads["carol"], conv["id"], "c0")).status_code == 201
        # After the window the same socket works again: a client that waits as told gets
        # through (bounded: a few refusals at most while the reader's window runs out).
        fake.now += 30
        for _ in range(10):
            await stream.ws.send(frame("late"))
            [reply] = await replies(1)
            if reply["type"] == "sent":
                break
            assert reply["code"] == "rate_limited"
            await asyncio.sleep(reply["retry_after"])
        assert reply["type"] == "sent"
        stored = await _count(client, heads["alice"], conv["id"])
        assert sorted(stored) == sorted([f"s{i}" for i in range(5)] + ["c0", "late"])
        await stream.close()


async def test_group_creation_and_member_additions_are_limited(limited, clock):
    async with serve_with_client(limited, clock) as (app, _port, client):
        _freeze(app)
        heads = await _trio(client)
        for name in ("dave", "erin", "finn"):
            await befriend(client, await register(client, name), heads["alice"], "alice")
        first = await group(client, heads["alice"], ["bob"])
        await group(client, heads["alice"], ["carol"])
        third = await client.post(
            "/api/v1/conversations",
            json={"kind": "group", "members": ["bob"], "title": "t"},
            headers=heads["alice"],
        )
        assert third.status_code == 429 and third.headers["Retry-After"]
        # Direct chats are not groups: not limited by this.
        direct = await client.post(
            "/api/v1/conversations",
            json={"kind": "direct", "members": ["bob"]},
            headers=heads["alice"],
        )
        assert direct.status_code == 201
        url = f"/api/v1/conversations/{first['id']}/members"
        for name in ("carol", "dave"):
            added = await client.post(url, json={"username": name}, headers=heads["alice"])
            assert added.status_code == 201, added.text
        refused = await client.post(url, json={"username": "erin"}, headers=heads["alice"])
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"


async def test_hit_many_counts_chains_in_order_in_one_call(limiter):
    person, conversation = f"p:{uuid.uuid4().hex}", f"c:{uuid.uuid4().hex}"
    other = f"p:{uuid.uuid4().hex}"
    per_person, per_conversation = Rate(2, 60), Rate(3, 60)
    chains = [((person, per_person), (conversation, per_conversation))] * 4
    chains.append(((other, per_person), (conversation, per_conversation)))
    waits = await limiter.hit_many(chains)
    assert waits[:2] == [None, None]
    assert all(w is not None and 1 <= w <= 60 for w in waits[2:4])
    # The refused ones did not count against the conversation: the other person gets in.
    assert waits[4] is None
    [full] = await limiter.hit_many(
        [((f"p:{uuid.uuid4().hex}", per_person), (conversation, per_conversation))]
    )
    assert full is not None
    assert await limiter.hit_many([]) == []
    # `hit` and `hit_many` share counters.
    with pytest.raises(RateLimited):
        await limiter.hit(person, per_person)


async def test_disabled_limits_count_nothing():
    off = MemoryRateLimiter(enabled=False)
    assert await off.hit_many([(("k", Rate(1, 60)),)] * 3) == [None, None, None]
