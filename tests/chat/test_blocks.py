"""Blocks are invisible to the blocked person on every path, and leave no trace for the
blocker (design.md §9): a withheld message looks sent to its sender, and the blocker's
stream, list, unread counts and history show nothing of it; a group addition by someone the
target blocked looks done to everyone, while the target never sees the group."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from tests.helpers import befriend, group, register, send
from tests.live_server import Stream, serve_with_client


def token(headers) -> str:
    return headers["Authorization"].split()[1]


async def _direct(client, who, other: str) -> dict:
    response = await client.post(
        "/api/v1/conversations", json={"kind": "direct", "members": [other]}, headers=who
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _people(client, *names):
    heads = {n: await register(client, n) for n in names}
    for name in names[1:]:
        await befriend(client, heads[name], heads[names[0]], names[0])
    return heads


async def _quiet(stream: Stream, seconds: float = 0.4) -> list[dict]:
    """Whatever else arrives within `seconds` (expected: nothing)."""
    extra = []
    try:
        while True:
            extra.append(await stream.next_event(timeout=seconds))
    except TimeoutError:
        return extra


@pytest.fixture
async def server(settings, clock):
    async with serve_with_client(settings, clock) as running:
        yield running


async def test_withheld_message_on_the_stream_both_sides_and_resume(server):
    _, port, client = server
    heads = await _people(client, "alice", "bob")
    conv = await _direct(client, heads["alice"], "bob")
    cid = conv["id"]
    await send(client, heads["bob"], cid, "before", "b0")
    assert (
        await client.post("/api/v1/blocks", json={"username": "bob"}, headers=heads["alice"])
    ).status_code in (200, 201, 204)
    alice = await Stream(port, token(heads["alice"])).open()
    bob = await Stream(port, token(heads["bob"])).open()
    bob2 = await Stream(port, token(heads["bob"])).open()  # bob's other device
    start = alice.ready["conversations"][str(cid)]

    # Over HTTP and over the stream, bob's messages look sent, numbered, ordinary.
    await send(client, heads["bob"], cid, "withheld 1", "b1")
    assert bob.ws is not None
    await bob.ws.send(
        orjson.dumps(
            {"type": "send", "conversation_id": cid, "client_id": "b2", "text": "withheld 2"}
        ).decode()
    )
    for device in (bob, bob2):
        got = await device.messages(2)
        assert [e["message"]["text"] for e in got] == ["withheld 1", "withheld 2"]
        assert [e["seq"] for e in got] == [2, 3]
        assert [e["rev"] for e in got] == [start + 1, start + 2]
    sent = await bob.events_until(lambda e: e["type"] in ("sent", "error"))
    assert sent[-1]["type"] == "sent"

    # Alice's stream shows nothing of them, and her next message is not stalled by the gap.
    await send(client, heads["alice"], cid, "hello", "a1")
    events = await alice.events_until(lambda e: e["type"] == "message.new")
    assert [e["type"] for e in events] == ["message.new"]
    assert events[0]["message"]["text"] == "hello" and events[0]["rev"] == start + 3
    got = await bob.messages(1)
    assert got[0]["message"]["text"] == "hello"
    assert await _quiet(alice) == []
    everything = [*events]

    # Resume, both sides, across more withheld messages.
    for stream in (alice, bob, bob2):
        await stream.close()
    await send(client, heads["bob"], cid, "withheld 3", "b3")
    await send(client, heads["alice"], cid, "again", "a2")
    alice_revs, bob_revs = dict(alice.revs), dict(bob.revs)
    alice = Stream(port, token(heads["alice"]))
    alice.revs = alice_revs
    await alice.open()
    bob = Stream(port, token(heads["bob"]))
    bob.revs = bob_revs
    await bob.open()
    replayed = await alice.messages(1)
    assert [e["message"]["text"] for e in replayed] == ["again"]
    assert replayed[0]["rev"] == start + 5
    assert await _quiet(alice) == []
    assert [e["message"]["text"] for e in await bob.messages(2)] == ["withheld 3", "again"]
    # And alice resuming from before everything: still nothing of bob's withheld messages.
    await alice.close()
    alice = Stream(port, token(heads["alice"]))
    alice.revs = {cid: start}
    await alice.open()
    texts = [e["message"]["text"] for e in await alice.messages(2)]
    assert texts == ["hello", "again"]
    extra = await _quiet(alice)
    assert all(e.get("type") != "noop" for e in [*everything, *extra])
    assert extra == []
    for stream in (alice, bob):
        await stream.close()


async def test_the_blockers_list_shows_no_trace(client, clock):
    heads = await _people(client, "alice", "bob", "carol")
    await befriend(client, heads["carol"], heads["bob"], "bob")
    with_bob = await _direct(client, heads["alice"], "bob")
    clock.advance(10)
    bob_carol = await _direct(client, heads["bob"], "carol")
    await send(client, heads["carol"], bob_carol["id"], "hi bob", "c1")
    clock.advance(10)
    with_carol = await _direct(client, heads["alice"], "carol")
    await send(client, heads["carol"], with_carol["id"], "hi alice", "c2")
    await send(client, heads["bob"], with_bob["id"], "seen", "b0")
    await client.post(f"/api/v1/conversations/{with_bob['id']}/read", headers=heads["alice"])
    await send(client, heads["carol"], with_carol["id"], "newer", "c3")

    async def listing(who) -> list[dict]:
        response = await client.get("/api/v1/conversations", headers=who)
        assert response.status_code == 200, response.text
        return response.json()["items"]

    before = await listing(heads["alice"])
    await client.post("/api/v1/blocks", json={"username": "bob"}, headers=heads["alice"])
    clock.advance(10)
    await send(client, heads["bob"], with_bob["id"], "withheld", "b1")
    after = await listing(heads["alice"])
    assert (
        [c["id"] for c in after]
        == [c["id"] for c in before]
        == [
            with_carol["id"],
            with_bob["id"],
        ]
    )
    mine = next(c for c in after if c["id"] == with_bob["id"])
    was = next(c for c in before if c["id"] == with_bob["id"])
    assert mine["unread"] == 0
    assert mine["last_message"]["text"] == "seen"
    assert mine["last_activity_at"] == was["last_activity_at"]
    single = await client.get(f"/api/v1/conversations/{with_bob['id']}", headers=heads["alice"])
    assert single.json()["unread"] == 0
    history = await client.get(
        f"/api/v1/conversations/{with_bob['id']}/messages", headers=heads["alice"]
    )
    assert [m["text"] for m in history.json()["items"]] == ["seen"]

    # Bob's side looks exactly as if he were not blocked: his chat moved up, his message is
    # the last one, nothing unread; paging by cursor keeps the same order.
    bobs = await listing(heads["bob"])
    assert [c["id"] for c in bobs] == [with_bob["id"], bob_carol["id"]]
    assert bobs[0]["last_message"]["text"] == "withheld" and bobs[0]["unread"] == 0
    paged, cursor = [], None
    while True:
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = (
            await client.get("/api/v1/conversations", params=params, headers=heads["bob"])
        ).json()
        paged += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert paged == [with_bob["id"], bob_carol["id"]]
    history = await client.get(
        f"/api/v1/conversations/{with_bob['id']}/messages", headers=heads["bob"]
    )
    assert [m["text"] for m in history.json()["items"]] == ["seen", "withheld"]
    # Messages she may see still count as usual.
    await send(client, heads["carol"], with_carol["id"], "more", "c4")
    assert (await listing(heads["alice"]))[0]["unread"] == 3


async def test_group_addition_by_a_blocked_person_looks_done_but_stays_hidden(server):
    _, port, client = server
    heads = await _people(client, "alice", "bob", "carol")
    await client.post("/api/v1/blocks", json={"username": "alice"}, headers=heads["carol"])
    carol = await Stream(port, token(heads["carol"])).open()
    made = await group(client, heads["alice"], ["bob"])
    added = await client.post(
        f"/api/v1/conversations/{made['id']}/members",
        json={"username": "carol"},
        headers=heads["alice"],
    )
    assert added.status_code == 201, added.text
    assert "carol" in [m["username"] for m in added.json()["members"]]
    created = await group(client, heads["alice"], ["bob", "carol"], title="with carol")
    assert "carol" in [m["username"] for m in created["members"]]
    for conv in (made, created):
        await send(client, heads["alice"], conv["id"], "hello all", f"h{conv['id']}")
        seen_by_bob = await client.get(f"/api/v1/conversations/{conv['id']}", headers=heads["bob"])
        assert "carol" in [m["username"] for m in seen_by_bob.json()["members"]]
        for path in ("", "/messages"):
            hidden = await client.get(
                f"/api/v1/conversations/{conv['id']}{path}", headers=heads["carol"]
            )
            assert hidden.status_code == 404
        refused = await client.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            json={"client_id": "x", "text": "let me in"},
            headers=heads["carol"],
        )
        assert refused.status_code == 404
    listing = await client.get("/api/v1/conversations", headers=heads["carol"])
    assert listing.json()["items"] == []
    assert await _quiet(carol, 0.6) == []
    fresh = await Stream(port, token(heads["carol"])).open()
    assert fresh.ready["conversations"] == {}
    await asyncio.gather(carol.close(), fresh.close())
    # The blocked person is not told: the blocker is still listed as a friend.
    friends = await client.get("/api/v1/friends", headers=heads["alice"])
    assert "carol" in [f["username"] for f in friends.json()["items"]]


async def test_a_blocked_person_can_start_a_direct_chat_the_blocker_never_sees(client):
    heads = await _people(client, "alice", "bob")
    await client.post("/api/v1/blocks", json={"username": "alice"}, headers=heads["bob"])
    conv = await _direct(client, heads["alice"], "bob")
    await send(client, heads["alice"], conv["id"], "hi", "a1")
    assert (await client.get("/api/v1/conversations", headers=heads["bob"])).json()["items"] == []
    hidden = await client.get(f"/api/v1/conversations/{conv['id']}", headers=heads["bob"])
    assert hidden.status_code == 404
    # Bob starting the chat himself brings it into view, without alice's withheld message.
    mine = await _direct(client, heads["bob"], "alice")
    assert mine["id"] == conv["id"] and mine["unread"] == 0 and mine["last_message"] is None
