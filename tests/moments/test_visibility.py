"""Who sees a moment, through the API: every visibility mode, labels read live, unfriending,
strangers, blocks, a person's page and a single moment."""

from __future__ import annotations

import pytest

from plaza.config import Settings
from tests.conftest import running_app
from tests.moments.helpers import (
    API,
    friends,
    label,
    people,
    post,
    sees,
    timeline_texts,
)

NAMES = ("ann", "bob", "cat", "dan", "eve")


@pytest.fixture
async def world(client):
    """ann's friends: bob, cat, dan. eve is a stranger to ann (but bob's friend)."""
    heads = await people(client, *NAMES)
    await friends(client, heads, "bob-ann", "cat-ann", "dan-ann", "eve-bob")
    return heads


async def _who_sees(client, heads, moment_id: int) -> set[str]:
    return {name for name in NAMES if await sees(client, heads[name], moment_id)}


@pytest.mark.parametrize(
    ("mode", "usernames", "expected"),
    [
        ("friends", [], {"ann", "bob", "cat", "dan"}),
        ("only", ["bob", "cat"], {"ann", "bob", "cat"}),
        ("except", ["bob"], {"ann", "cat", "dan"}),
        ("private", [], {"ann"}),
    ],
)
async def test_every_mode_on_every_path(client, world, mode, usernames, expected):
    moment = await post(client, world["ann"], f"a {mode} moment", mode, usernames)
    assert await _who_sees(client, world, moment["id"]) == expected
    for name in NAMES:
        on_timeline = f"a {mode} moment" in await timeline_texts(client, world[name])
        page = await client.get(f"{API}/users/ann/moments", headers=world[name])
        on_page = [m["id"] for m in page.json()["items"]] == [moment["id"]]
        assert on_timeline is on_page is (name in expected), name


async def test_only_the_author_is_shown_the_audience(client, world):
    moment = await post(client, world["ann"], "for two", "only", ["bob", "cat"])
    assert moment["visibility"] == {"mode": "only", "usernames": ["bob", "cat"], "labels": []}
    seen = await client.get(f"{API}/moments/{moment['id']}", headers=world["cat"])
    assert seen.status_code == 200
    assert seen.json()["visibility"] is None
    assert "bob" not in seen.text  # who else it was shared with is the author's business
    assert seen.json()["can_delete"] is False


async def test_labels_are_read_live(client, world):
    family = await label(client, world["ann"], "family", ["bob"])
    only = await post(client, world["ann"], "family only", "only", labels=[family["id"]])
    but = await post(client, world["ann"], "not family", "except", labels=[family["id"]])
    assert await _who_sees(client, world, only["id"]) == {"ann", "bob"}
    assert await _who_sees(client, world, but["id"]) == {"ann", "cat", "dan"}
    # Moving bob out of the label and cat in changes both at once.
    moved = await client.put(
        f"{API}/labels/{family['id']}", json={"members": ["cat"]}, headers=world["ann"]
    )
    assert moved.status_code == 200, moved.text
    assert await _who_sees(client, world, only["id"]) == {"ann", "cat"}
    assert await _who_sees(client, world, but["id"]) == {"ann", "bob", "dan"}
    assert await timeline_texts(client, world["bob"]) == ["not family"]
    # Deleting the label empties it from both lists.
    gone = await client.delete(f"{API}/labels/{family['id']}", headers=world["ann"])
    assert gone.status_code == 204
    assert await _who_sees(client, world, only["id"]) == {"ann"}
    assert await _who_sees(client, world, but["id"]) == {"ann", "bob", "cat", "dan"}


async def test_people_and_labels_together(client, world):
    pals = await label(client, world["ann"], "pals", ["cat"])
    moment = await post(client, world["ann"], "mixed", "only", ["bob"], [pals["id"]])
    assert await _who_sees(client, world, moment["id"]) == {"ann", "bob", "cat"}
    assert sorted(moment["visibility"]["usernames"]) == ["bob"]
    assert moment["visibility"]["labels"] == [pals["id"]]


async def test_unfriending_hides_at_once_both_ways(client, world):
    moment = await post(client, world["ann"], "for friends")
    mine = await post(client, world["bob"], "bob's")
    assert await sees(client, world["bob"], moment["id"])
    assert await sees(client, world["ann"], mine["id"])
    gone = await client.delete(f"{API}/friends/bob", headers=world["ann"])
    assert gone.status_code == 204
    assert not await sees(client, world["bob"], moment["id"])
    assert not await sees(client, world["ann"], mine["id"])
    assert await timeline_texts(client, world["bob"]) == ["bob's"]
    assert await timeline_texts(client, world["ann"]) == ["for friends"]


async def test_unfriending_takes_people_out_of_labels(client, world):
    family = await label(client, world["ann"], "family", ["bob", "cat"])
    await client.delete(f"{API}/friends/bob", headers=world["ann"])
    listed = await client.get(f"{API}/labels", headers=world["ann"])
    [entry] = listed.json()["items"]
    assert entry["id"] == family["id"]
    assert [m["username"] for m in entry["members"]] == ["cat"]


async def test_strangers_see_nothing(client, world):
    moment = await post(client, world["ann"], "hello friends")
    assert not await sees(client, world["eve"], moment["id"])
    page = await client.get(f"{API}/users/ann/moments", headers=world["eve"])
    assert page.status_code == 200
    assert page.json() == {"items": [], "next_cursor": None}
    assert (
        "hello friends"
        not in (await client.get(f"{API}/moments/timeline", headers=world["eve"])).text
    )


@pytest.mark.parametrize("who_blocks", ["ann", "bob"])
async def test_a_block_hides_moments_both_ways(client, world, who_blocks):
    other = "bob" if who_blocks == "ann" else "ann"
    from_ann = await post(client, world["ann"], "ann's")
    from_bob = await post(client, world["bob"], "bob's")
    blocked = await client.post(
        f"{API}/blocks", json={"username": other}, headers=world[who_blocks]
    )
    assert blocked.status_code == 201
    assert not await sees(client, world["bob"], from_ann["id"])
    assert not await sees(client, world["ann"], from_bob["id"])
    assert await timeline_texts(client, world["ann"]) == ["ann's"]
    assert await timeline_texts(client, world["bob"]) == ["bob's"]
    page = await client.get(f"{API}/users/ann/moments", headers=world["bob"])
    assert page.json()["items"] == []


async def test_timeline_pages_newest_first(client, world):
    for i in range(5):
        await post(client, world["ann"] if i % 2 else world["bob"], f"m{i}")
    await post(client, world["ann"], "hidden", "except", ["bob"])
    texts, cursor = [], None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = (await client.get(f"{API}/moments/timeline{query}", headers=world["bob"])).json()
        texts += [m["text"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert texts == ["m4", "m3", "m2", "m1", "m0"]


@pytest.mark.parametrize("cursor", ["nope", "eyJiZWZvcmUiOiJ4In0", "eyJiZWZvcmUiOjB9", "x" * 600])
async def test_a_bad_cursor_is_a_422(client, world, cursor):
    answer = await client.get(f"{API}/moments/timeline?cursor={cursor}", headers=world["ann"])
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid"


async def test_unknown_person_and_moment_are_404(client, world):
    assert (
        await client.get(f"{API}/users/nobody_here/moments", headers=world["ann"])
    ).status_code == 404
    assert (await client.get(f"{API}/moments/999999", headers=world["ann"])).status_code == 404


async def test_stranger_preview_setting(settings: Settings, clock):
    """With PLAZA_MOMENTS_STRANGER_PREVIEW=2 a stranger sees the latest two moments shared
    with all friends, and nothing else, and may not like or comment on them."""
    import httpx

    preview = settings.model_copy(update={"moments_stranger_preview": 2})
    async with running_app(preview, clock) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
            heads = await people(client, "ann", "eve", "bob")
            await friends(client, heads, "bob-ann")
            await post(client, heads["ann"], "old")
            newer = await post(client, heads["ann"], "newer")
            await post(client, heads["ann"], "private", "private")
            await post(client, heads["ann"], "only bob", "only", ["bob"])
            newest = await post(client, heads["ann"], "newest")
            page = await client.get(f"{API}/users/ann/moments", headers=heads["eve"])
            assert [m["text"] for m in page.json()["items"]] == ["newest", "newer"]
            assert page.json()["next_cursor"] is None
            assert await sees(client, heads["eve"], newer["id"])
            assert await timeline_texts(client, heads["eve"]) == []
            like = await client.post(f"{API}/moments/{newest['id']}/like", headers=heads["eve"])
            assert like.status_code == 403
