"""Likes and comments under WeChat's rule: a viewer sees those of their own friends (and
their own), and replies only between people they know; deleting; refusals."""

from __future__ import annotations

import pytest

from tests.moments.helpers import API, friends, people, post


@pytest.fixture
async def world(client):
    """ann posts. bob and cat are both ann's friends but not each other's; dan is ann's and
    bob's friend; eve is a stranger to everyone."""
    heads = await people(client, "ann", "bob", "cat", "dan", "eve")
    await friends(client, heads, "bob-ann", "cat-ann", "dan-ann", "dan-bob")
    return heads


async def _like(client, who, moment_id):
    answer = await client.post(f"{API}/moments/{moment_id}/like", headers=who)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _comment(client, who, moment_id, text, reply_to=None):
    body = {"text": text} | ({"reply_to": reply_to} if reply_to else {})
    answer = await client.post(f"{API}/moments/{moment_id}/comments", json=body, headers=who)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _view(client, who, moment_id):
    answer = await client.get(f"{API}/moments/{moment_id}", headers=who)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _likers(view) -> list[str]:
    return [p["username"] for p in view["likes"]]


def _texts(view) -> list[str]:
    return [c["text"] for c in view["comments"]]


async def test_likes_are_seen_only_among_friends(client, world):
    moment = await post(client, world["ann"], "sunset")
    for name in ("bob", "cat", "dan"):
        await _like(client, world[name], moment["id"])
    assert _likers(await _view(client, world["ann"], moment["id"])) == ["bob", "cat", "dan"]
    bob_view = await _view(client, world["bob"], moment["id"])
    assert _likers(bob_view) == ["bob", "dan"]
    assert bob_view["liked_by_me"] is True
    assert "cat" not in str(bob_view)
    assert _likers(await _view(client, world["cat"], moment["id"])) == ["cat"]


async def test_like_twice_and_unlike_are_idempotent(client, world):
    moment = await post(client, world["ann"], "sunset")
    first = await _like(client, world["bob"], moment["id"])
    again = await _like(client, world["bob"], moment["id"])
    assert (
        first
        == again
        == {
            "liked": True,
            "likes": [{"username": "bob", "display_name": "Bob Name"}],
        }
    )
    for _ in range(2):
        off = await client.delete(f"{API}/moments/{moment['id']}/like", headers=world["bob"])
        assert off.json() == {"liked": False, "likes": []}


async def test_comments_and_author_replies_follow_the_rule(client, world):
    moment = await post(client, world["ann"], "sunset")
    by_bob = await _comment(client, world["bob"], moment["id"], "bob: lovely")
    by_cat = await _comment(client, world["cat"], moment["id"], "cat: where?")
    await _comment(client, world["ann"], moment["id"], "ann to bob: thanks", by_bob["id"])
    await _comment(client, world["ann"], moment["id"], "ann to cat: the beach", by_cat["id"])
    await _comment(client, world["dan"], moment["id"], "dan to bob: agreed", by_bob["id"])
    await _comment(client, world["ann"], moment["id"], "ann: all of you")
    everything = [
        "bob: lovely",
        "cat: where?",
        "ann to bob: thanks",
        "ann to cat: the beach",
        "dan to bob: agreed",
        "ann: all of you",
    ]
    assert _texts(await _view(client, world["ann"], moment["id"])) == everything
    bob_sees = ["bob: lovely", "ann to bob: thanks", "dan to bob: agreed", "ann: all of you"]
    bob_view = await _view(client, world["bob"], moment["id"])
    assert _texts(bob_view) == bob_sees
    assert "cat" not in str(bob_view)
    assert _texts(await _view(client, world["cat"], moment["id"])) == [
        "cat: where?",
        "ann to cat: the beach",
        "ann: all of you",
    ]
    # A reply reads "to" whom it answers, with the comment's id.
    reply = next(c for c in bob_view["comments"] if c["text"] == "ann to bob: thanks")
    assert reply["reply_to"] == {"id": by_bob["id"], "username": "bob", "display_name": "Bob Name"}


async def test_one_cannot_answer_a_comment_one_cannot_see(client, world):
    moment = await post(client, world["ann"], "sunset")
    by_cat = await _comment(client, world["cat"], moment["id"], "cat's")
    body = {"text": "bob answers cat", "reply_to": by_cat["id"]}
    answer = await client.post(
        f"{API}/moments/{moment['id']}/comments", json=body, headers=world["bob"]
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "unknown_comment"
    other = await post(client, world["ann"], "another")
    body = {"text": "across moments", "reply_to": by_cat["id"]}
    answer = await client.post(
        f"{API}/moments/{other['id']}/comments", json=body, headers=world["cat"]
    )
    assert answer.status_code == 422


async def test_unfriending_hides_interactions_at_once(client, world):
    moment = await post(client, world["ann"], "sunset")
    await _like(client, world["dan"], moment["id"])
    await _comment(client, world["dan"], moment["id"], "dan's")
    assert _texts(await _view(client, world["bob"], moment["id"])) == ["dan's"]
    await client.delete(f"{API}/friends/dan", headers=world["bob"])
    view = await _view(client, world["bob"], moment["id"])
    assert view["comments"] == [] and view["likes"] == []


async def test_a_blocked_person_is_invisible_in_interactions(client, world):
    moment = await post(client, world["ann"], "sunset")
    await _like(client, world["dan"], moment["id"])
    await _comment(client, world["dan"], moment["id"], "dan's")
    await client.post(f"{API}/blocks", json={"username": "dan"}, headers=world["bob"])
    view = await _view(client, world["bob"], moment["id"])
    assert "dan" not in str(view)


async def test_deleting_comments(client, world):
    moment = await post(client, world["ann"], "sunset")
    by_bob = await _comment(client, world["bob"], moment["id"], "bob's")
    by_dan = await _comment(client, world["dan"], moment["id"], "dan's")
    url = f"{API}/moments/{moment['id']}/comments"
    # dan sees bob's comment but may not delete it; cat does not see it at all.
    assert (await client.delete(f"{url}/{by_bob['id']}", headers=world["dan"])).status_code == 403
    assert (await client.delete(f"{url}/{by_bob['id']}", headers=world["cat"])).status_code == 404
    assert (await client.delete(f"{url}/{by_bob['id']}", headers=world["eve"])).status_code == 404
    # The commenter may, and so may the moment's author.
    assert by_bob["can_delete"] is True
    assert (await client.delete(f"{url}/{by_bob['id']}", headers=world["bob"])).status_code == 204
    assert (await client.delete(f"{url}/{by_dan['id']}", headers=world["ann"])).status_code == 204
    assert (await _view(client, world["ann"], moment["id"]))["comments"] == []
    assert (await client.delete(f"{url}/{by_dan['id']}", headers=world["ann"])).status_code == 404


async def test_a_reply_outlives_the_comment_it_answers(client, world):
    moment = await post(client, world["ann"], "sunset")
    by_bob = await _comment(client, world["bob"], moment["id"], "bob's")
    reply = await _comment(client, world["ann"], moment["id"], "to bob", by_bob["id"])
    url = f"{API}/moments/{moment['id']}/comments/{by_bob['id']}"
    assert (await client.delete(url, headers=world["bob"])).status_code == 204
    [left] = (await _view(client, world["bob"], moment["id"]))["comments"]
    assert left["id"] == reply["id"]
    assert left["reply_to"] == {"id": None, "username": "bob", "display_name": "Bob Name"}


async def test_deleting_a_moment(client, world):
    moment = await post(client, world["ann"], "sunset")
    await _like(client, world["bob"], moment["id"])
    await _comment(client, world["bob"], moment["id"], "bob's")
    url = f"{API}/moments/{moment['id']}"
    assert (await client.delete(url, headers=world["bob"])).status_code == 403
    assert (await client.delete(url, headers=world["eve"])).status_code == 404
    assert (await client.delete(url, headers=world["ann"])).status_code == 204
    for name in ("ann", "bob"):
        assert (await client.get(url, headers=world[name])).status_code == 404
    assert (await client.delete(url, headers=world["ann"])).status_code == 404
    assert (await client.post(f"{url}/like", headers=world["bob"])).status_code == 404
    timeline = await client.get(f"{API}/moments/timeline", headers=world["bob"])
    assert timeline.json()["items"] == []
    # The id is never given to another moment (likes, notices and pictures name ids).
    assert (await post(client, world["ann"], "next"))["id"] > moment["id"]


async def test_strangers_and_left_out_friends_cannot_interact(client, world):
    moment = await post(client, world["ann"], "not for bob", "except", ["bob"])
    for name in ("bob", "eve"):
        like = await client.post(f"{API}/moments/{moment['id']}/like", headers=world[name])
        assert like.status_code == 404
        body = {"text": "hi"}
        url = f"{API}/moments/{moment['id']}/comments"
        assert (await client.post(url, json=body, headers=world[name])).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 1001}, "text"),
        ({"text": "hi", "visibility": {"mode": "only"}}, "visibility.usernames"),
        ({"text": "hi", "visibility": {"mode": "except", "usernames": []}}, "visibility.usernames"),
        ({"text": "hi", "visibility": {"mode": "friends", "usernames": ["bob"]}}, None),
        ({"text": "hi", "visibility": {"mode": "only", "usernames": ["eve"]}}, None),
        ({"text": "hi", "visibility": {"mode": "only", "usernames": ["no_such_one"]}}, None),
        ({"text": "hi", "visibility": {"mode": "only", "labels": [999]}}, "labels"),
        ({"text": "hi", "visibility": {"mode": "everyone"}}, None),
        ({"text": "hi\x00"}, None),
    ],
)
async def test_bad_moments_are_422(client, world, settings, body, field):
    settings.moments_text_max_chars = 1000
    answer = await client.post(f"{API}/moments", json=body, headers=world["ann"])
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    if field:
        assert error["field"] == field
    named = body.get("visibility", {}).get("usernames", [])
    if named and body["visibility"]["mode"] == "only":
        assert error["code"] == "not_a_friend"
        assert named[0] in error["message"]


async def test_someone_elses_label_is_refused(client, world):
    theirs = await client.post(
        f"{API}/labels", json={"name": "x", "members": ["ann"]}, headers=world["bob"]
    )
    assert theirs.status_code == 201
    body = {"text": "hi", "visibility": {"mode": "only", "labels": [theirs.json()["id"]]}}
    answer = await client.post(f"{API}/moments", json=body, headers=world["ann"])
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "unknown_label"


async def test_rate_limits(client, world, settings):
    settings.moments_per_person = "2/3600"
    settings.moments_comments_per_person = "1/3600"
    settings.moments_likes_per_person = "1/3600"
    moment = await post(client, world["ann"], "one")
    await post(client, world["ann"], "two")
    third = await client.post(f"{API}/moments", json={"text": "three"}, headers=world["ann"])
    assert third.status_code == 429 and int(third.headers["retry-after"]) > 0
    await _comment(client, world["bob"], moment["id"], "first")
    url = f"{API}/moments/{moment['id']}"
    assert (
        await client.post(f"{url}/comments", json={"text": "b"}, headers=world["bob"])
    ).status_code == 429
    await _like(client, world["bob"], moment["id"])
    assert (await client.post(f"{url}/like", headers=world["bob"])).status_code == 429
