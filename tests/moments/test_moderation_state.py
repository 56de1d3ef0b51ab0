"""Moderation's states on moments and comments, set through moments' registered callbacks on
the real app: a held or removed moment (or comment) is its author's alone, marked, on every
path (timeline, a person's page, one moment, likes, comments, pictures, the pages); its author
and the friends whose screens show it hear of each change; a restore brings it back exactly."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests import moderated
from tests.live_server import serve_with_client
from tests.media.pictures import png
from tests.moments.helpers import API, friends, post
from tests.moments.test_live import MomentStream
from tests.web.test_moments_pages import people, texts  # noqa: F401  (the `people` fixture)

NOTES = {"held": "Under review: only you can see this", "removed": "Removed by a moderator"}


async def _world(client: httpx.AsyncClient, people) -> dict[str, Any]:  # noqa: F811
    """ann posts with a picture to her friends bob and cat; dan is a stranger."""
    world: dict[str, Any] = {"browsers": {}, "heads": {}}
    for name in ("ann", "bob", "cat", "dan"):
        world["browsers"][name], world["heads"][name] = await people(name)
    heads = world["heads"]
    await friends(client, heads, "ann-bob", "ann-cat")
    picture = await client.post(
        f"{API}/media", files={"file": ("p.png", png(), "image/png")}, headers=heads["ann"]
    )
    assert picture.status_code == 201, picture.text
    world["picture"] = picture.json()["id"]
    world["moment"] = await post(client, heads["ann"], "bad moment", media_ids=[world["picture"]])
    return world


async def _seen(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    """Everything each person gets of ann's moment through the API and the pages."""
    moment_id, seen = world["moment"]["id"], {}
    for name, who in world["heads"].items():
        browser = world["browsers"][name]
        timeline = await client.get(f"{API}/moments/timeline", headers=who)
        page = await client.get(f"{API}/users/ann/moments", headers=who)
        one = await client.get(f"{API}/moments/{moment_id}", headers=who)
        seen[name] = {
            "timeline": timeline.json()["items"],
            "ann's moments": page.json()["items"],
            "moment": (one.status_code, one.json()),
            "picture": (
                await client.get(f"{API}/media/{world['picture']}", headers=who)
            ).status_code,
            "timeline page": texts(await browser.get("/moments")),
            "ann's page": texts(await browser.get("/u/ann/moments")),
            "card": (await browser.get(f"/moments/{moment_id}/card")).status_code,
        }
    return seen


@pytest.mark.parametrize("state", ["held", "removed"])
async def test_a_moderated_moment_is_its_authors_alone(app, client, people, state):  # noqa: F811
    world = await _world(client, people)
    heads, moment_id = world["heads"], world["moment"]["id"]
    comment = await client.post(
        f"{API}/moments/{moment_id}/comments", json={"text": "hm"}, headers=heads["bob"]
    )
    assert comment.status_code == 201, comment.text
    before = await _seen(client, world)
    assert before["bob"]["timeline page"] == ["bad moment"]
    # The friends saw it whole (dan, a stranger, never did: his 404s below are no news).
    for name in ("bob", "cat"):
        assert before[name]["moment"][0] == 200 and before[name]["card"] == 200, name
        assert before[name]["picture"] == 200, name

    await moderated.set_state(app, "moment", moment_id, state)

    after = await _seen(client, world)
    for name in ("bob", "cat", "dan"):
        got = after[name]
        assert "bad moment" not in str(got), name
        assert got["moment"][0] == 404 and got["card"] == 404 and got["picture"] == 404
    for verb in ("post", "delete"):
        like = await client.request(verb, f"{API}/moments/{moment_id}/like", headers=heads["bob"])
        assert like.status_code == 404
    answer = await client.post(
        f"{API}/moments/{moment_id}/comments", json={"text": "x"}, headers=heads["cat"]
    )
    assert answer.status_code == 404
    unseen = await client.get(f"{API}/moments/unseen", headers=heads["cat"])
    assert unseen.json()["count"] == 0
    mine = after["ann"]
    assert mine["moment"][0] == 200 and mine["moment"][1]["moderation"] == state
    assert [m["moderation"] for m in mine["timeline"]] == [state]
    assert mine["timeline page"] == ["bad moment"] and mine["picture"] == 200
    ann_page = await world["browsers"]["ann"].get("/moments")
    assert NOTES[state] in ann_page.text
    ann_id = await moderated.user_id(client, heads["ann"])
    bob_id = await moderated.user_id(client, heads["bob"])
    assert await moderated.can_view(app, "moment", ann_id, moment_id)
    assert not await moderated.can_view(app, "moment", bob_id, moment_id)
    signed_out = await client.get(f"{API}/moments/{moment_id}")
    assert signed_out.status_code == 401

    await moderated.set_state(app, "moment", moment_id, None)
    assert await _seen(client, world) == before


async def test_a_moderated_comment_is_its_writers_alone(app, client, people):  # noqa: F811
    world = await _world(client, people)
    heads, moment_id = world["heads"], world["moment"]["id"]
    url = f"{API}/moments/{moment_id}/comments"
    rude = (await client.post(url, json={"text": "rude words"}, headers=heads["bob"])).json()
    await client.post(url, json={"text": "fine"}, headers=heads["cat"])
    before = await _seen(client, world)
    cat_id = await moderated.user_id(client, heads["cat"])
    bob_id = await moderated.user_id(client, heads["bob"])

    await moderated.set_state(app, "comment", rude["id"], "removed")

    after = await _seen(client, world)
    for name in ("ann", "cat"):
        [comments] = [m["comments"] for m in after[name]["timeline"]]
        assert [c["text"] for c in comments] == ["fine"], name
        assert "rude words" not in str(after[name])
    page = await world["browsers"]["ann"].get("/moments")
    assert "rude words" not in page.text
    [mine] = [c for c in after["bob"]["timeline"][0]["comments"] if c["id"] == rude["id"]]
    assert (mine["text"], mine["moderation"]) == ("rude words", "removed")
    assert NOTES["removed"] in (await world["browsers"]["bob"].get("/moments")).text
    reply = await client.post(
        url, json={"text": "to you", "reply_to": rude["id"]}, headers=heads["cat"]
    )
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "unknown_comment"
    gone = await client.delete(f"{url}/{rude['id']}", headers=heads["ann"])
    assert gone.status_code == 404  # not there for the moment's author either
    assert not await moderated.can_view(app, "comment", cat_id, rude["id"])
    assert await moderated.can_view(app, "comment", bob_id, rude["id"])
    snapshot = await moderated.snapshot(app, "comment", rude["id"])
    assert snapshot is not None and snapshot.text == "rude words"
    assert snapshot.context["moment_text"] == "bad moment" and snapshot.author_id == bob_id

    await moderated.set_state(app, "comment", rude["id"], None)
    assert await _seen(client, world) == before


@pytest.fixture
async def server(settings, clock):
    async with serve_with_client(settings, clock) as running:
        yield running


async def test_the_author_and_the_friends_hear_of_it_and_a_reconnect_replays_it(server):
    app, port, client = server
    heads = {}
    for name in ("ann", "bob"):
        answer = await client.post(
            f"{API}/accounts",
            json={"username": name, "password": "correct horse battery", "display_name": name},
        )
        heads[name] = {"Authorization": f"Bearer {answer.json()['session']['token']}"}
    await friends(client, heads, "ann-bob")
    moment = await post(client, heads["ann"], "bad moment")
    comment = await client.post(
        f"{API}/moments/{moment['id']}/comments", json={"text": "rude"}, headers=heads["bob"]
    )
    ann = await MomentStream(port, heads["ann"]).open()
    bob = await MomentStream(port, heads["bob"]).open()
    start = ann.rev if ann.rev is not None else next(iter(ann.ready["moments"].values()))

    await moderated.set_state(app, "moment", moment["id"], "removed")
    assert await ann.next("moment.removed") == {
        "type": "moment.removed",
        "moment_id": moment["id"],
        "rev": start + 1,
    }
    assert await bob.next("moment.removed") == {"type": "moment.removed", "moment_id": moment["id"]}
    await moderated.set_state(app, "comment", comment.json()["id"], "held")
    held = await bob.next("comment.held")  # bob wrote it: on his own topic, with a revision
    assert held["comment_id"] == comment.json()["id"] and "rev" in held
    assert (await ann.next("comment.held"))["rev"] == start + 2  # ann heard of the comment
    await ann.close()

    await moderated.set_state(app, "moment", moment["id"], None)
    ann.rev = start
    await ann.open()
    replayed = [await ann.next("moment.removed"), await ann.next("comment.held")]
    replayed.append(await ann.next("moment.restored"))
    assert [e["rev"] for e in replayed] == [start + 1, start + 2, start + 3]
    assert await bob.next("moment.restored") == {
        "type": "moment.restored",
        "moment_id": moment["id"],
    }
    await ann.close()
    await bob.close()


@pytest.fixture
def settings(settings):
    return moderated.screening_settings(settings)


def _rev(page: httpx.Response) -> int:
    """Where the person's moments topic stands, as their page tells its stream."""
    found = re.search(r'data-rev="(\d+)"', page.text)
    assert found is not None
    return int(found.group(1))


async def test_screening_hides_what_a_listed_term_catches(app, client, people):  # noqa: F811
    world = await _world(client, people)
    heads, browsers, moment_id = world["heads"], world["browsers"], world["moment"]["id"]
    await moderated.list_terms(app)
    held = await post(client, heads["ann"], f"see you, {moderated.HELD_TERM}")
    assert held["moderation"] == "held"
    unseen = await client.get(f"{API}/moments/unseen", headers=heads["bob"])
    assert unseen.json()["count"] == 1  # the first moment only
    for name in ("bob", "cat"):
        timeline = await client.get(f"{API}/moments/timeline", headers=heads[name])
        assert [m["id"] for m in timeline.json()["items"]] == [moment_id]
        assert moderated.HELD_TERM not in (await browsers[name].get("/moments")).text
    mine = await client.get(f"{API}/moments/{held['id']}", headers=heads["ann"])
    assert mine.json()["moderation"] == "held"

    rev = _rev(await browsers["ann"].get("/moments"))
    url = f"{API}/moments/{moment_id}/comments"
    comment = await client.post(
        url, json={"text": f"{moderated.REMOVED_TERM} cheap"}, headers=heads["bob"]
    )
    assert comment.status_code == 201 and comment.json()["moderation"] == "removed"
    # ann is not told of it (her topic did not move) and does not see it.
    assert _rev(await browsers["ann"].get("/moments")) == rev
    for name in ("ann", "cat"):
        seen = await client.get(f"{API}/moments/{moment_id}", headers=heads[name])
        assert seen.json()["comments"] == []
    own = await client.get(f"{API}/moments/{moment_id}", headers=heads["bob"])
    assert [c["moderation"] for c in own.json()["comments"]] == ["removed"]

    # A moderator's restore brings it to everyone who may see it.
    await moderated.set_state(app, "comment", comment.json()["id"], None)
    seen = await client.get(f"{API}/moments/{moment_id}", headers=heads["ann"])
    assert [c["text"] for c in seen.json()["comments"]] == [f"{moderated.REMOVED_TERM} cheap"]
