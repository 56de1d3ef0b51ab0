"""Pictures in moments: attaching, refusals, and who may fetch a picture's URL (the media
"moment" check uses the same rule as the moment)."""

from __future__ import annotations

import pytest

from tests.media import pictures
from tests.moments.helpers import API, friends, people, post


@pytest.fixture
async def world(client):
    """ann's friends: bob and cat; eve is a stranger."""
    heads = await people(client, "ann", "bob", "cat", "eve")
    await friends(client, heads, "bob-ann", "cat-ann")
    return heads


async def _upload(client, who, width: int = 60) -> dict:
    answer = await client.post(
        f"{API}/media", files={"file": ("p.png", pictures.png(width), "image/png")}, headers=who
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _status(client, who, url: str) -> int:
    return (await client.get(url, headers=who)).status_code


async def test_picture_urls_follow_the_moment(client, world):
    first, second = await _upload(client, world["ann"], 60), await _upload(client, world["ann"], 61)
    moment = await post(
        client, world["ann"], "", "except", ["cat"], media_ids=[second["id"], first["id"]]
    )
    assert [m["id"] for m in moment["media"]] == [second["id"], first["id"]]
    assert moment["media"][0] == second
    bob_view = await client.get(f"{API}/moments/{moment['id']}", headers=world["bob"])
    assert bob_view.json()["media"] == moment["media"]
    for picture in (first, second):
        for url in (picture["url"], picture["thumbnail_url"]):
            assert await _status(client, world["ann"], url) == 200
            assert await _status(client, world["bob"], url) == 200
            assert await _status(client, world["cat"], url) == 404  # left out
            assert await _status(client, world["eve"], url) == 404  # a stranger
            assert await _status(client, {}, url) == 401
    # Moved into the list's rule: unfriending bob takes his access at once.
    await client.delete(f"{API}/friends/bob", headers=world["ann"])
    assert await _status(client, world["bob"], first["url"]) == 404


async def test_deleting_the_moment_takes_its_pictures_from_friends(client, world):
    picture = await _upload(client, world["ann"])
    moment = await post(client, world["ann"], "look", media_ids=[picture["id"]])
    assert await _status(client, world["bob"], picture["url"]) == 200
    gone = await client.delete(f"{API}/moments/{moment['id']}", headers=world["ann"])
    assert gone.status_code == 204
    assert await _status(client, world["bob"], picture["url"]) == 404
    assert await _status(client, world["ann"], picture["url"]) == 200  # still the uploader's


async def test_a_stranger_preview_does_not_open_pictures(client, world, settings):
    settings.moments_stranger_preview = 5
    picture = await _upload(client, world["ann"])
    moment = await post(client, world["ann"], "look", media_ids=[picture["id"]])
    seen = await client.get(f"{API}/moments/{moment['id']}", headers=world["eve"])
    assert seen.status_code == 200
    assert await _status(client, world["eve"], picture["url"]) == 404


async def test_ten_pictures_are_refused_and_nothing_is_posted(client, world):
    ids = [(await _upload(client, world["ann"], 40 + i))["id"] for i in range(10)]
    body = {"text": "too many", "media_ids": ids}
    answer = await client.post(f"{API}/moments", json=body, headers=world["ann"])
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "media_ids"
    assert "9" in answer.json()["error"]["message"]
    timeline = await client.get(f"{API}/moments/timeline", headers=world["ann"])
    assert timeline.json()["items"] == []
    nine = await client.post(
        f"{API}/moments", json={"text": "nine", "media_ids": ids[:9]}, headers=world["ann"]
    )
    assert nine.status_code == 201 and len(nine.json()["media"]) == 9


async def test_unknown_and_someone_elses_pictures_read_the_same(client, world):
    bobs = await _upload(client, world["bob"])
    mine = await _upload(client, world["ann"])
    answers = []
    for media_id in (bobs["id"], 999_999):
        body = {"text": "hi", "media_ids": [mine["id"], media_id]}
        answer = await client.post(f"{API}/moments", json=body, headers=world["ann"])
        assert answer.status_code == 422
        error = answer.json()["error"]
        assert error["code"] == "unknown_media" and str(media_id) in error["message"]
        answers.append(error["message"].replace(f" {media_id}", " N"))
    assert answers[0] == answers[1]
    # Nothing was kept: ann's picture is still unattached (so bob may not see it).
    assert (await client.get(f"{API}/moments/timeline", headers=world["ann"])).json()["items"] == []
    assert await _status(client, world["bob"], mine["url"]) == 404


async def test_a_picture_alone_is_a_moment(client, world):
    picture = await _upload(client, world["ann"])
    moment = await post(client, world["ann"], "", media_ids=[picture["id"]])
    assert moment["text"] == "" and len(moment["media"]) == 1
