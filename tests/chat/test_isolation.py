"""One person's bad send is theirs alone (design.md §9): a draft that would fail a statement
of the shared transaction never fails the other drafts of its batch, over the batcher, HTTP
and the stream."""

from __future__ import annotations

import asyncio
import random

import orjson
import pytest

from plaza.accounts.service.users import get_user
from plaza.chat.service import sending
from plaza.chat.service.sending import Draft
from plaza.errors import PlazaError
from tests.helpers import befriend, group, register
from tests.live_server import Stream, serve_with_client

BIG = 2**63
NAMES = ("alice", "bob", "carol", "dave")


async def _setup(client, app):
    heads = {n: await register(client, n) for n in NAMES}
    for name in NAMES[1:]:
        await befriend(client, heads[name], heads["alice"], "alice")
    conv = await group(client, heads["alice"], list(NAMES[1:]))
    other = await group(client, heads["alice"], ["bob"], title="second")
    async with app.state.runtime.sessions() as session:
        ids = {n: (await get_user(session, username=n)).id for n in NAMES}
    return heads, ids, conv["id"], other["id"]


def _culprits(ids, conv_id):
    mallory = ids["dave"]
    return [
        Draft(mallory, conv_id, "nul", "bad \x00 text"),
        Draft(mallory, conv_id, "big-reply", "reply", reply_to=BIG),
        Draft(mallory, BIG, "big-conv", "hello"),
        Draft(mallory, conv_id, "surrogate", "lone \ud800 surrogate"),
        Draft(mallory, conv_id, "nul-id\x00", "bad client id"),
        Draft(mallory, -1, "negative", "hello"),
    ]


async def _concurrent_sends(client, app, heads, ids, conv_id, other_id):
    valid = [
        Draft(ids[NAMES[i % 3]], conv_id, f"v{i}", f"valid {i}")
        if i % 4
        else Draft(ids[NAMES[i % 2]], other_id, f"v{i}", f"valid {i}")
        for i in range(200)
    ]
    culprits = _culprits(ids, conv_id) * 5
    culprits = [
        Draft(d.author_id, d.conversation_id, f"{d.client_id}-{n}", d.text, d.reply_to)
        for n, d in enumerate(culprits)
    ]
    drafts = valid + culprits
    order = list(range(len(drafts)))
    random.Random(6).shuffle(order)
    results = await asyncio.gather(
        *(app.state.runtime.chat_sends.send(drafts[i]) for i in order), return_exceptions=True
    )
    by_draft = dict(zip(order, results, strict=True))
    failed_valid = [
        by_draft[i] for i in range(len(valid)) if isinstance(by_draft[i], BaseException)
    ]
    return valid, culprits, by_draft, failed_valid


async def _stored(client, who, conv_id):
    response = await client.get(
        f"/api/v1/conversations/{conv_id}/messages?after_seq=0&limit=200", headers=who
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_culprits_do_not_fail_other_peoples_sends(client, app):
    heads, ids, conv_id, other_id = await _setup(client, app)
    valid, culprits, by_draft, failed_valid = await _concurrent_sends(
        client, app, heads, ids, conv_id, other_id
    )
    print(f"failed valid sends: {len(failed_valid)}/{len(valid)}")
    assert failed_valid == []
    for n in range(len(valid), len(valid) + len(culprits)):
        error = by_draft[n]
        assert isinstance(error, PlazaError) and 400 <= error.status < 500, error
    for cid in (conv_id, other_id):
        items = await _stored(client, heads["alice"], cid)
        assert [m["seq"] for m in items] == list(range(1, len(items) + 1))
        assert all(m["client_id"].startswith("v") for m in items)
    stored = await _stored(client, heads["alice"], conv_id) + await _stored(
        client, heads["alice"], other_id
    )
    assert sorted(m["client_id"] for m in stored) == sorted(d.client_id for d in valid)


async def test_a_failing_transaction_is_retried_without_its_culprit(
    client, app, monkeypatch, backend
):
    """Even a draft that slips past the checks only fails itself: the batch is rolled back
    and retried without it."""
    monkeypatch.setattr(sending, "check_draft", lambda draft, **limits: None)
    heads, ids, conv_id, other_id = await _setup(client, app)
    valid, culprits, by_draft, failed_valid = await _concurrent_sends(
        client, app, heads, ids, conv_id, other_id
    )
    print(f"failed valid sends: {len(failed_valid)}/{len(valid)}")
    assert failed_valid == []
    for cid in (conv_id, other_id):
        items = await _stored(client, heads["alice"], cid)
        assert [m["seq"] for m in items] == list(range(1, len(items) + 1))
    stored = await _stored(client, heads["alice"], conv_id) + await _stored(
        client, heads["alice"], other_id
    )
    ids_stored = [m["client_id"] for m in stored]
    assert len(ids_stored) == len(set(ids_stored))
    assert {d.client_id for d in valid} <= set(ids_stored)
    for n in range(len(valid), len(valid) + len(culprits)):
        if isinstance(by_draft[n], BaseException):
            assert isinstance(by_draft[n], PlazaError) and 400 <= by_draft[n].status < 500


async def test_http_culprits_get_4xx(client, app):
    heads, _ids, conv_id, _ = await _setup(client, app)
    url = f"/api/v1/conversations/{conv_id}/messages"
    for body in (
        {"client_id": "a", "text": "nul \u0000"},
        {"client_id": "b", "text": "x", "reply_to": BIG},
        {"client_id": "c", "text": "x", "reply_to": 0},
    ):
        response = await client.post(url, json=body, headers=heads["bob"])
        assert 400 <= response.status_code < 500, response.text


@pytest.fixture
async def server(settings, clock):
    async with serve_with_client(settings, clock) as running:
        yield running


async def test_bad_stream_frames_get_error_frames_and_the_socket_keeps_working(server):
    app, port, client = server
    heads, _ids, conv_id, _ = await _setup(client, app)
    stream = await Stream(port, heads["bob"]["Authorization"].split()[1]).open()
    ws = stream.ws
    assert ws is not None

    async def reply_to(frame) -> dict:
        await ws.send(frame)
        events = await stream.events_until(lambda e: e["type"] in ("error", "sent"))
        return events[-1]

    culprit_frames = [
        {"type": "send", "conversation_id": conv_id, "client_id": "n1", "text": "a\u0000b"},
        {
            "type": "send",
            "conversation_id": conv_id,
            "client_id": "n2",
            "text": "x",
            "reply_to": BIG,
        },
        {"type": "send", "conversation_id": BIG, "client_id": "n3", "text": "x"},
        {"type": "send", "conversation_id": conv_id, "client_id": "n4", "text": "x", "reply_to": 0},
    ]
    for frame in culprit_frames:
        answer = await reply_to(orjson.dumps(frame).decode())
        assert answer["type"] == "error" and answer["client_id"] == frame["client_id"], answer
    head = f'{{"type":"send","conversation_id":{conv_id},'
    huge = head + f'"client_id":"n5","text":"x","reply_to":{2**70}}}'
    assert (await reply_to(huge))["type"] == "error"
    lone = head + '"client_id":"n6","text":"\\ud800"}'
    assert (await reply_to(lone))["type"] == "error"
    binary = await reply_to(b"\x00\x01binary")
    assert binary == {"type": "error", "code": "bad_frame", "message": binary["message"]}
    assert (await reply_to("not json {"))["code"] == "bad_frame"
    assert (await reply_to("[1, 2]"))["code"] == "bad_frame"
    ok = await reply_to(
        orjson.dumps(
            {"type": "send", "conversation_id": conv_id, "client_id": "good", "text": "still here"}
        ).decode()
    )
    assert ok["type"] == "sent" and ok["message"]["text"] == "still here"
    items = await _stored(client, heads["bob"], conv_id)
    assert [m["client_id"] for m in items] == ["good"]
    await stream.close()
