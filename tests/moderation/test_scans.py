"""Pictures scanned off the request path, in this node's process pool (real child
processes, real pictures drawn with Pillow): a listed picture brought back resized and
recompressed takes its moment or message down, an unlisted one is let be, a picture that
cannot be read is given up on the record, and a hold opens a case for moderators."""

from __future__ import annotations

import httpx
import pytest

from plaza.media import service as media_service
from plaza.moderation.catalogue import SHIPPED
from tests.conftest import running_app
from tests.helpers import befriend, register
from tests.moderation.helpers import case_of, staff
from tests.moderation.scan_pictures import picture, png, reuploaded
from tests.moderation.scans import list_picture_as, settled, upload
from tests.moments.helpers import API, post, timeline_texts

# Each app starts its scanning processes, which load PDQ and NudeNet: seconds per test.
pytestmark = pytest.mark.slow


@pytest.fixture
async def world(app, client):
    ann, bob = await register(client, "ann"), await register(client, "bob")
    await befriend(client, ann, bob, "bob")
    return {"ann": ann, "bob": bob, "mod": await staff(app, client, "mod")}


def _sessions(app):
    return app.state.runtime.sessions


async def test_a_listed_picture_brought_back_resized_takes_the_moment_down(app, client, world):
    await list_picture_as(client, world["mod"], seed=1)
    listed = await upload(client, world["ann"], reuploaded(picture(1)))
    moment = await post(client, world["ann"], "look at this", media_ids=[listed])
    decisions = await settled(_sessions(app), "moment", moment["id"])
    assert [d["outcome"] for d in decisions] == ["remove"]
    (signal,) = decisions[0]["signals"]
    assert signal["detector"] == "image.hash" and signal["policy_id"] == "violence"
    assert signal["evidence"]["distance"] <= 31 and signal["evidence"]["media_id"] == listed
    assert "look at this" not in await timeline_texts(client, world["bob"])


async def test_an_unlisted_picture_is_let_be(app, client, world):
    await list_picture_as(client, world["mod"], seed=1)
    other = await upload(client, world["ann"], png(picture(2)))
    moment = await post(client, world["ann"], "holiday", media_ids=[other])
    assert await settled(_sessions(app), "moment", moment["id"]) == []  # nothing to record
    assert "holiday" in await timeline_texts(client, world["bob"])


async def test_a_private_message_with_a_listed_picture_is_caught(app, client, world):
    await list_picture_as(client, world["mod"], seed=3, policy_id="csam")
    conversation = await client.post(
        f"{API}/conversations", json={"kind": "direct", "members": ["bob"]}, headers=world["ann"]
    )
    assert conversation.status_code == 201, conversation.text
    conversation_id = conversation.json()["id"]
    listed = await upload(client, world["ann"], reuploaded(picture(3)))
    sent = await client.post(
        f"{API}/conversations/{conversation_id}/messages",
        json={"client_id": "c1", "text": "", "media_ids": [listed]},
        headers=world["ann"],
    )
    assert sent.status_code == 201, sent.text
    decisions = await settled(_sessions(app), "message", sent.json()["id"])
    assert [d["outcome"] for d in decisions] == ["remove"]
    assert decisions[0]["signals"][0]["policy_id"] == "csam"
    path = f"{API}/conversations/{conversation_id}/messages"
    (seen,) = (await client.get(path, headers=world["bob"])).json()["items"]
    assert seen["removed"] is True and seen["media"] == []  # a marker in its place
    (own,) = (await client.get(path, headers=world["ann"])).json()["items"]
    assert own["moderation"] == "removed"  # its sender is told


async def test_a_picture_that_cannot_be_read_is_given_up_on_the_record(app, client, world):
    picture_id = await upload(client, world["ann"], png(picture(4)))
    # Its file vanishes from storage (a lost disk, a bucket emptied by mistake).
    async with _sessions(app)() as session:
        key = await media_service.blob_key(session, media_id=picture_id)
    assert key is not None
    await app.state.media.storage.delete(key)
    moment = await post(client, world["ann"], "gone", media_ids=[picture_id])
    decisions = await settled(_sessions(app), "moment", moment["id"])
    assert [d["outcome"] for d in decisions] == ["allow"]
    (failed,) = decisions[0]["signals"]
    assert failed["detector"] == "image.scan"
    assert failed["evidence"] == {"media_id": picture_id, "error": "the picture's file is missing"}


async def test_a_hold_puts_the_moment_before_moderators(settings, clock, tmp_path):
    """An operator whose catalogue holds listed pictures for review instead of removing."""
    catalogue = tmp_path / "policies.toml"
    catalogue.write_text(
        SHIPPED.read_text().replace(
            'detector = "image.hash"\nclause = 1\nmin_score = 0.5\noutcome = "remove"',
            'detector = "image.hash"\nclause = 1\nmin_score = 0.5\noutcome = "hold"',
        )
    )
    async with running_app(settings.model_copy(update={"policies": catalogue}), clock) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
            ann, bob = await register(client, "ann"), await register(client, "bob")
            await befriend(client, ann, bob, "bob")
            moderator = await staff(app, client, "mod")
            await list_picture_as(client, moderator, seed=5)
            listed = await upload(client, ann, reuploaded(picture(5)))
            moment = await post(client, ann, "held back", media_ids=[listed])
            decisions = await settled(_sessions(app), "moment", moment["id"])
            assert [d["outcome"] for d in decisions] == ["hold"]
            case = await case_of(client, moderator, "moment", moment["id"])
            assert case["source"] == "automated" and case["policies"] == ["violence"]
            assert "held back" not in await timeline_texts(client, bob)
            assert "held back" in await timeline_texts(client, ann)  # its author still sees it
