"""Friend labels (WeChat's tags): only friends, only their owner's, within the limits."""

from __future__ import annotations

import pytest

from tests.moments.helpers import API, friends, people


@pytest.fixture
async def world(client):
    heads = await people(client, "ann", "bob", "cat", "eve")
    await friends(client, heads, "bob-ann", "cat-ann")
    return heads


async def test_create_list_rename_replace_delete(client, world):
    ann = world["ann"]
    made = await client.post(
        f"{API}/labels", json={"name": " family ", "members": ["Cat", "bob"]}, headers=ann
    )
    assert made.status_code == 201, made.text
    label = made.json()
    assert label["name"] == "family"
    assert [m["username"] for m in label["members"]] == ["bob", "cat"]
    assert label["members"][0] == {"username": "bob", "display_name": "Bob Name"}
    listed = await client.get(f"{API}/labels", headers=ann)
    assert listed.json() == {"items": [label], "next_cursor": None}
    url = f"{API}/labels/{label['id']}"
    renamed = await client.put(url, json={"name": "kin"}, headers=ann)
    assert renamed.json()["name"] == "kin"
    assert [m["username"] for m in renamed.json()["members"]] == ["bob", "cat"]
    replaced = await client.put(url, json={"members": ["cat"]}, headers=ann)
    assert [m["username"] for m in replaced.json()["members"]] == ["cat"]
    assert (await client.delete(url, headers=ann)).status_code == 204
    assert (await client.get(f"{API}/labels", headers=ann)).json()["items"] == []
    assert (await client.delete(url, headers=ann)).status_code == 404


async def test_members_must_be_friends(client, world):
    for members in (["bob", "eve"], ["nobody_at_all"]):
        answer = await client.post(
            f"{API}/labels", json={"name": "x", "members": members}, headers=world["ann"]
        )
        assert answer.status_code == 422
        error = answer.json()["error"]
        assert error["code"] == "not_a_friend" and error["field"] == "members"
        assert members[-1] in error["message"]
    assert (await client.get(f"{API}/labels", headers=world["ann"])).json()["items"] == []


async def test_labels_are_their_owners_alone(client, world):
    made = await client.post(
        f"{API}/labels", json={"name": "secret", "members": ["bob"]}, headers=world["ann"]
    )
    url = f"{API}/labels/{made.json()['id']}"
    for name in ("bob", "eve"):
        assert (
            await client.put(url, json={"name": "mine"}, headers=world[name])
        ).status_code == 404
        assert (await client.delete(url, headers=world[name])).status_code == 404
        listed = await client.get(f"{API}/labels", headers=world[name])
        assert "secret" not in listed.text
    assert (await client.get(f"{API}/labels")).status_code == 401


async def test_names_are_unique_per_person(client, world):
    first = await client.post(f"{API}/labels", json={"name": "work"}, headers=world["ann"])
    assert first.status_code == 201
    again = await client.post(f"{API}/labels", json={"name": "work"}, headers=world["ann"])
    assert again.status_code == 409
    other = await client.post(f"{API}/labels", json={"name": "work"}, headers=world["bob"])
    assert other.status_code == 201
    second = await client.post(f"{API}/labels", json={"name": "play"}, headers=world["ann"])
    clash = await client.put(
        f"{API}/labels/{second.json()['id']}", json={"name": "work"}, headers=world["ann"]
    )
    assert clash.status_code == 409


async def test_limits(client, world, settings):
    settings.labels_per_person = 1
    settings.label_members_max = 1
    too_many = await client.post(
        f"{API}/labels", json={"name": "a", "members": ["bob", "cat"]}, headers=world["ann"]
    )
    assert too_many.status_code == 422 and too_many.json()["error"]["field"] == "members"
    assert (
        await client.post(f"{API}/labels", json={"name": "a"}, headers=world["ann"])
    ).status_code == 201
    second = await client.post(f"{API}/labels", json={"name": "b"}, headers=world["ann"])
    assert second.status_code == 422
    assert second.json()["error"]["code"] == "too_many_labels"


@pytest.mark.parametrize("name", ["", "   ", "x" * 33, "a\x00b"])
async def test_bad_names_are_422(client, world, name):
    answer = await client.post(f"{API}/labels", json={"name": name}, headers=world["ann"])
    assert answer.status_code == 422
