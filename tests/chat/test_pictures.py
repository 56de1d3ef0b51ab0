"""Pictures in chat: media_ids on a send (HTTP and the stream), media in every message shape,
and a message's pictures visible to exactly those who see the message."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from plaza.accounts.service.users import get_user
from plaza.chat.service.sending import Draft
from plaza.errors import PlazaError
from tests.helpers import befriend, group, register
from tests.live_server import Stream, serve_with_client
from tests.media import pictures


async def upload(client, who, data: bytes | None = None) -> dict:
    response = await client.post(
        "/api/v1/media",
        files={"file": ("p.png", data or pictures.png(), "image/png")},
        headers=who,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def send(client, who, conversation_id: int, *, text="", media_ids=(), cid="c1"):
    return await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"client_id": cid, "text": text, "media_ids": list(media_ids)},
        headers=who,
    )


async def _ann_bob_direct(client):
    ann, bob = await register(client, "ann"), await register(client, "bob")
    await befriend(client, bob, ann, "ann")
    conv = await client.post(
        "/api/v1/conversations", json={"kind": "direct", "members": ["bob"]}, headers=ann
    )
    assert conv.status_code == 201, conv.text
    return ann, bob, conv.json()["id"]


async def test_a_message_carries_pictures_in_order_everywhere_it_is_shown(client):
    ann, bob, conv_id = await _ann_bob_direct(client)
    carol = await register(client, "carol")
    first, second = await upload(client, ann), await upload(client, ann, pictures.webp())
    sent = await send(client, ann, conv_id, media_ids=[second["id"], first["id"]])
    assert sent.status_code == 201, sent.text
    message = sent.json()
    assert message["text"] == ""  # pictures alone make a message
    assert message["media"] == [second, first]
    retried = await send(client, ann, conv_id, media_ids=[second["id"], first["id"]])
    assert retried.status_code == 200 and retried.json()["media"] == [second, first]
    history = await client.get(f"/api/v1/conversations/{conv_id}/messages", headers=bob)
    assert history.json()["items"][-1]["media"] == [second, first]
    listed = await client.get("/api/v1/conversations", headers=bob)
    assert listed.json()["items"][0]["last_message"]["media"] == [second, first]
    for picture in (first, second):
        for url in (picture["url"], picture["thumbnail_url"]):
            assert (await client.get(url, headers=bob)).status_code == 200
            assert (await client.get(url, headers=carol)).status_code == 404


@pytest.mark.parametrize(
    "case", ["someone else's", "unknown", "ten pictures", "twice", "zero", "empty and no text"]
)
async def test_bad_media_ids_are_refused_and_nothing_is_sent(client, case):
    ann, bob, conv_id = await _ann_bob_direct(client)
    mine = [(await upload(client, ann))["id"] for _ in range(10 if case == "ten pictures" else 1)]
    bobs = (await upload(client, bob))["id"]
    media_ids, code = {
        "someone else's": ([mine[0], bobs], "unknown_media"),
        "unknown": ([bobs + 1000], "unknown_media"),
        "ten pictures": (mine, "too_many_media"),
        "twice": ([mine[0], mine[0]], "duplicate_media"),
        "zero": ([0], "invalid"),
        "empty and no text": ([], "invalid"),
    }[case]
    response = await send(client, ann, conv_id, media_ids=media_ids)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    if code == "unknown_media":
        assert str(media_ids[-1]) in response.json()["error"]["message"]
    history = await client.get(f"/api/v1/conversations/{conv_id}/messages", headers=ann)
    assert history.json()["items"] == []
    # Bob's picture was not shown to Ann by the attempt.
    assert (await client.get(f"/api/v1/media/{bobs}", headers=ann)).status_code == 404


async def test_a_bad_media_id_fails_only_its_own_draft_in_a_batch(client, app):
    heads = {n: await register(client, n) for n in ("ann", "bob", "carol")}
    for name in ("bob", "carol"):
        await befriend(client, heads[name], heads["ann"], "ann")
    conv_id = (await group(client, heads["ann"], ["bob", "carol"]))["id"]
    async with app.state.runtime.sessions() as session:
        ids = {n: (await get_user(session, username=n)).id for n in heads}
    anns = (await upload(client, heads["ann"]))["id"]
    bobs = (await upload(client, heads["bob"]))["id"]
    drafts = [
        Draft(ids["ann"], conv_id, "a", "mine", media_ids=(anns,)),
        Draft(ids["carol"], conv_id, "c", "not mine", media_ids=(bobs,)),
        Draft(ids["bob"], conv_id, "b", "mine too", media_ids=(bobs,)),
        Draft(ids["carol"], conv_id, "d", "too many", media_ids=tuple(range(1, 11))),
    ]
    batcher = app.state.runtime.chat_sends
    # Sent in one loop turn, so they share a batch (group commit).
    results = await asyncio.gather(*(batcher.send(d) for d in drafts), return_exceptions=True)
    assert [m["media"][0]["id"] for m, _ in (results[0], results[2])] == [anns, bobs]
    for refused, code in ((results[1], "unknown_media"), (results[3], "too_many_media")):
        assert isinstance(refused, PlazaError) and refused.code == code
    history = await client.get(f"/api/v1/conversations/{conv_id}/messages", headers=heads["ann"])
    assert [m["client_id"] for m in history.json()["items"]] == ["a", "b"]


async def test_recalled_and_withheld_pictures_are_not_shown(client):
    ann, bob, conv_id = await _ann_bob_direct(client)
    picture = await upload(client, ann)
    sent = (await send(client, ann, conv_id, media_ids=[picture["id"]])).json()
    assert (await client.get(picture["url"], headers=bob)).status_code == 200
    recalled = await client.delete(
        f"/api/v1/conversations/{conv_id}/messages/{sent['id']}", headers=ann
    )
    assert recalled.status_code == 204
    assert (await client.get(picture["url"], headers=bob)).status_code == 404
    assert (await client.get(picture["url"], headers=ann)).status_code == 200  # the uploader
    history = await client.get(f"/api/v1/conversations/{conv_id}/messages", headers=bob)
    assert history.json()["items"][-1]["media"] == []
    # Ann blocks Bob: what Bob sends now looks sent to him, and its picture stays his alone.
    assert (await client.post("/api/v1/blocks", json={"username": "bob"}, headers=ann)).is_success
    bobs = await upload(client, bob)
    withheld = await send(client, bob, conv_id, media_ids=[bobs["id"]], cid="w")
    assert withheld.status_code == 201 and withheld.json()["media"][0]["id"] == bobs["id"]
    assert (await client.get(bobs["url"], headers=ann)).status_code == 404
    assert (await client.get(bobs["url"], headers=bob)).status_code == 200


@pytest.fixture
async def server(settings, clock):
    async with serve_with_client(settings, clock) as running:
        yield running


async def test_pictures_over_the_stream_both_ways(server):
    _app, port, client = server
    ann, bob, conv_id = await _ann_bob_direct(client)
    picture = await upload(client, ann)
    bobs_stream = await Stream(port, bob["Authorization"].split()[1]).open()
    anns_stream = await Stream(port, ann["Authorization"].split()[1]).open()
    assert anns_stream.ws is not None
    try:
        frame = {
            "type": "send",
            "conversation_id": conv_id,
            "client_id": "s1",
            "text": "look",
            "media_ids": [picture["id"]],
        }
        await anns_stream.ws.send(orjson.dumps(frame).decode())
        sent = (await anns_stream.events_until(lambda e: e["type"] in ("sent", "error")))[-1]
        assert sent["type"] == "sent", sent
        assert sent["message"]["media"] == [picture]
        [live] = await bobs_stream.messages(1)
        assert live["message"]["media"] == [picture]
        bad = {**frame, "client_id": "s2", "media_ids": [picture["id"] + 999]}
        await anns_stream.ws.send(orjson.dumps(bad).decode())
        error = (await anns_stream.events_until(lambda e: e["type"] in ("sent", "error")))[-1]
        assert error["type"] == "error" and error["code"] == "unknown_media", error
        odd = {**frame, "client_id": "s3", "media_ids": "1,2"}
        await anns_stream.ws.send(orjson.dumps(odd).decode())
        error = (await anns_stream.events_until(lambda e: e["type"] in ("sent", "error")))[-1]
        assert error["type"] == "error" and error["code"] == "invalid", error
    finally:
        await anns_stream.close()
        await bobs_stream.close()
    # A resume replays the message with its pictures.
    again = Stream(port, bob["Authorization"].split()[1])
    again.revs = {conv_id: 0}
    await again.open()
    try:
        [replayed] = await again.messages(1)
        assert replayed["message"]["media"] == [picture]
    finally:
        await again.close()
