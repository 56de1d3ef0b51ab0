"""Moderation's states on messages, set through chat's registered callbacks on the real app:
a removed message keeps its place as a marker for everyone but its sender, who sees it whole
and marked; a held one is its sender's alone; both leave unread counts, last messages and
picture access; open screens hear of each change, a resume replays it, and a restore brings
the message back exactly as it was."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import moderated
from tests.chat.test_pictures import upload
from tests.helpers import befriend, group, register, send
from tests.live_server import Stream, serve_with_client

API = "/api/v1"


async def _group(client: httpx.AsyncClient) -> tuple[dict[str, dict[str, str]], int]:
    """ann's group with her friends bob and cat; dan is a stranger to all."""
    heads = {
        name: await register(client, name, f"{name.title()} Name")
        for name in ["ann", "bob", "cat", "dan"]
    }
    await befriend(client, heads["ann"], heads["bob"], "bob")
    await befriend(client, heads["ann"], heads["cat"], "cat")
    conversation = await group(client, heads["ann"], ["bob", "cat"])
    return heads, conversation["id"]


async def _history(
    client: httpx.AsyncClient, who: dict[str, str], cid: int
) -> list[dict[str, Any]]:
    answer = await client.get(f"{API}/conversations/{cid}/messages", headers=who)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def _conversation(client: httpx.AsyncClient, who: dict[str, str], cid: int) -> dict[str, Any]:
    answer = await client.get(f"{API}/conversations/{cid}", headers=who)
    assert answer.status_code == 200, answer.text
    listed = await client.get(f"{API}/conversations", headers=who)
    [same] = [c for c in listed.json()["items"] if c["id"] == cid]
    assert same == answer.json()  # the list shows it as the conversation itself does
    return answer.json()


async def _views(client: httpx.AsyncClient, heads: dict[str, dict[str, str]], cid: int):
    """What each member is shown: history, and the conversation with its last message and
    unread count (all but its revision, which each change moves on)."""
    views = {}
    for name in ("ann", "bob", "cat"):
        conversation = await _conversation(client, heads[name], cid)
        del conversation["rev"]
        views[name] = (await _history(client, heads[name], cid), conversation)
    return views


async def _picture_status(client: httpx.AsyncClient, who: dict[str, str], media_id: int) -> int:
    return (await client.get(f"{API}/media/{media_id}", headers=who)).status_code


async def _post_with_picture(client, heads, cid) -> tuple[dict[str, Any], dict[str, Any]]:
    picture = await upload(client, heads["bob"])
    sent = await client.post(
        f"{API}/conversations/{cid}/messages",
        json={"client_id": "bad", "text": "bad words", "media_ids": [picture["id"]]},
        headers=heads["bob"],
    )
    assert sent.status_code == 201, sent.text
    return sent.json(), picture


async def test_removed_is_a_marker_for_others_and_whole_for_its_sender(app, client):
    heads, cid = await _group(client)
    await send(client, heads["ann"], cid, "before", "a1")
    bad, picture = await _post_with_picture(client, heads, cid)
    before = await _views(client, heads, cid)
    assert before["cat"][1]["unread"] == 2 and before["ann"][1]["unread"] == 1
    bob_id = await moderated.user_id(client, heads["bob"])
    cat_id = await moderated.user_id(client, heads["cat"])
    dan_id = await moderated.user_id(client, heads["dan"])

    await moderated.set_state(app, "message", bad["id"], "removed")

    for name in ("ann", "cat"):
        items, conversation = (
            await _history(client, heads[name], cid),
            await _conversation(client, heads[name], cid),
        )
        assert [m["seq"] for m in items] == [1, 2]  # it keeps its place
        marker = items[-1]
        assert marker["removed"] is True and marker["moderation"] is None
        assert (marker["text"], marker["media"], marker["card"]) == ("", [], None)
        assert "bad words" not in str(items) and "bad words" not in str(conversation)
        assert conversation["last_message"] == marker
        assert conversation["unread"] == before[name][1]["unread"] - 1
        assert await _picture_status(client, heads[name], picture["id"]) == 404
    own = (await _history(client, heads["bob"], cid))[-1]
    assert own["text"] == "bad words" and own["media"] == [picture]
    assert (own["removed"], own["moderation"]) == (False, "removed")
    assert await _picture_status(client, heads["bob"], picture["id"]) == 200
    assert not await moderated.can_view(app, "message", cat_id, bad["id"])
    assert not await moderated.can_view(app, "message", dan_id, bad["id"])
    assert await moderated.can_view(app, "message", bob_id, bad["id"])
    # Signed out or a stranger: the conversation does not exist, as before.
    assert (await client.get(f"{API}/conversations/{cid}/messages")).status_code == 401
    stranger = await client.get(f"{API}/conversations/{cid}/messages", headers=heads["dan"])
    assert stranger.status_code == 404 and "bad words" not in stranger.text

    await moderated.set_state(app, "message", bad["id"], None)
    assert await _views(client, heads, cid) == before
    assert await _picture_status(client, heads["cat"], picture["id"]) == 200
    assert await moderated.can_view(app, "message", cat_id, bad["id"])


async def test_held_is_its_senders_alone(app, client):
    heads, cid = await _group(client)
    first = await send(client, heads["ann"], cid, "before", "a1")
    bad, picture = await _post_with_picture(client, heads, cid)
    before = await _views(client, heads, cid)
    cat_id = await moderated.user_id(client, heads["cat"])

    await moderated.set_state(app, "message", bad["id"], "held")

    for name in ("ann", "cat"):
        items, conversation = (
            await _history(client, heads[name], cid),
            await _conversation(client, heads[name], cid),
        )
        assert [m["id"] for m in items] == [first["id"]]
        assert conversation["last_message"]["id"] == first["id"]
        assert conversation["unread"] == before[name][1]["unread"] - 1
        assert await _picture_status(client, heads[name], picture["id"]) == 404
    mine, conversation = (
        await _history(client, heads["bob"], cid),
        await _conversation(client, heads["bob"], cid),
    )
    assert mine[-1]["text"] == "bad words" and mine[-1]["moderation"] == "held"
    assert conversation["last_message"]["moderation"] == "held"
    assert not await moderated.can_view(app, "message", cat_id, bad["id"])

    snapshot = await moderated.snapshot(app, "message", bad["id"])
    assert snapshot is not None
    assert (snapshot.text, list(snapshot.media_ids)) == ("bad words", [picture["id"]])
    assert snapshot.author_id == await moderated.user_id(client, heads["bob"])
    assert snapshot.context["conversation_id"] == cid and not snapshot.public
    assert [m["text"] for m in snapshot.context["previous"]] == ["before"]

    # held -> removed -> restored: back exactly as it was.
    await moderated.set_state(app, "message", bad["id"], "removed")
    await moderated.set_state(app, "message", bad["id"], None)
    assert await _views(client, heads, cid) == before


@pytest.fixture
async def server(settings, clock):
    async with serve_with_client(settings, clock) as running:
        yield running


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].split()[1]


async def _next_of(stream: Stream, kind: str) -> dict[str, Any]:
    [*_, event] = await stream.events_until(lambda e: e["type"] == kind)
    return event


async def test_open_screens_hear_each_change_and_a_resume_replays_it(server):
    app, port, client = server
    heads, cid = await _group(client)
    bad = await send(client, heads["bob"], cid, "bad words", "b1")
    cat = await Stream(port, _token(heads["cat"])).open()
    bob = await Stream(port, _token(heads["bob"])).open()
    start = cat.ready["conversations"][str(cid)]

    await moderated.set_state(app, "message", bad["id"], "removed")
    for stream in (cat, bob):
        event = await _next_of(stream, "message.removed")
        assert event["rev"] == start + 1 and event["seq"] == bad["seq"]
        assert event["message_id"] == bad["id"] and "bad words" not in str(event)
    await moderated.set_state(app, "message", bad["id"], "held")
    assert (await _next_of(cat, "message.held"))["rev"] == start + 2
    await moderated.set_state(app, "message", bad["id"], None)
    restored = await _next_of(cat, "message.restored")
    assert restored["rev"] == start + 3
    assert restored["message"]["text"] == "bad words" and restored["message"]["removed"] is False
    # The next message follows at once: nothing in between was held back.
    await send(client, heads["ann"], cid, "next", "a1")
    assert (await _next_of(cat, "message.new"))["rev"] == start + 4
    await cat.close()

    # Away, cat misses a removal: a resume replays the marker, not the text.
    await moderated.set_state(app, "message", bad["id"], "removed")
    away = Stream(port, _token(heads["cat"]))
    away.revs = {cid: start}
    await away.open()
    replayed = [await away.next_event() for _ in range(5)]
    assert [e["type"] for e in replayed] == [
        "message.removed",
        "message.held",
        "message.restored",
        "message.new",
        "message.removed",
    ]
    assert [e["rev"] for e in replayed] == list(range(start + 1, start + 6))
    # The restore replays the message as it is now: removed again, so a marker.
    assert replayed[2]["message"]["removed"] is True and "bad words" not in str(replayed)
    mine = await _next_of(bob, "message.removed")
    assert mine["rev"] == start + 5
    await away.close()
    await bob.close()


@pytest.fixture
def settings(settings):
    """Screening holds a sender's third message in a minute as a flood (spam), so a test
    can make one held without sending sixty."""
    return moderated.screening_settings(settings, spam_sends_per_window=3)


async def test_screening_holds_a_flood_for_its_sender_alone(server, clock):
    app, port, client = server
    heads, cid = await _group(client)
    clock.advance(61)  # signing up (screened names) is out of the spam window
    cat = await Stream(port, _token(heads["cat"])).open()
    bob = await Stream(port, _token(heads["bob"])).open()
    start = cat.ready["conversations"][str(cid)]
    first = await send(client, heads["bob"], cid, "one", "b1")
    second = await send(client, heads["bob"], cid, "two", "b2")
    assert first["moderation"] is None and second["moderation"] is None
    # The third, over the stream, and ann's message sent at the same moment.
    assert bob.ws is not None
    frame = {"type": "send", "conversation_id": cid, "client_id": "b3", "text": "three"}
    await bob.ws.send(orjson.dumps(frame).decode())
    by_ann = await send(client, heads["ann"], cid, "hello", "a1")
    assert by_ann["moderation"] is None
    sent = await _next_of(bob, "sent")
    held = sent["message"]
    assert (held["text"], held["moderation"], held["removed"]) == ("three", "held", False)

    # Everyone else: only the others' messages; the held one's revision is passed over,
    # and nothing more is said of it.
    seen = [await _next_of(cat, "message.new") for _ in range(3)]
    assert [e["message"]["text"] for e in seen] == ["one", "two", "hello"]
    assert [e["rev"] - start for e in seen] == [n for n in range(1, 5) if n != held["seq"]]
    for name in ("ann", "cat"):
        texts = [m["text"] for m in await _history(client, heads[name], cid)]
        assert texts == ["one", "two", "hello"]
        conversation = await _conversation(client, heads[name], cid)
        if name == "cat":
            assert conversation["unread"] == 3
    mine = {m["text"]: m["moderation"] for m in await _history(client, heads["bob"], cid)}
    assert mine == {"one": None, "two": None, "three": "held", "hello": None}
    # A moderator's restore shows it to everyone, in its place.
    await moderated.set_state(app, "message", held["id"], None)
    restored = await _next_of(cat, "message.restored")
    assert restored["message"]["text"] == "three" and restored["seq"] == held["seq"]
    assert restored["rev"] == start + 5  # the next revision: the hold took none
    await cat.close()
    await bob.close()


async def test_a_send_screening_finds_nothing_in_costs_moderation_no_statement(app, client, clock):
    """The send is the hot path: screening what nothing flags reads and writes nothing (the
    sender's account age is remembered from their first screened write)."""
    heads, cid = await _group(client)
    clock.advance(61)  # signing up (screened names) is out of the spam window
    await send(client, heads["bob"], cid, "first of the day", "b1")
    engine: AsyncEngine = app.state.runtime.engine
    seen: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        seen.append(" ".join(statement.split()).lower())

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        sent = await send(client, heads["bob"], cid, "an ordinary message", "b2")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert sent["moderation"] is None
    assert any(s.startswith("insert into messages") for s in seen), seen  # it was recorded
    # Moderation's tables, screening's verdict on a message, the account age: none of them.
    marks = ("moderation_", "set moderation", "users.created_at")
    assert [s for s in seen if any(mark in s for mark in marks)] == []
