"""Moderation's states on articles and public accounts, set through the callbacks public
accounts registered on the real app: an article held or removed is its account's people's
alone (marked), gone from every reader's path (the API, the pages, the feed, the Atom feed,
cards, pictures), a removed one's page a 410 tombstone; a closed account is a tombstone on
every page, publishes nothing, leaves the directory and the feeds, and its subscribers' live
topic ends. A restore brings everything back as it was."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests import moderated
from tests.live_server import serve_with_client
from tests.media.pictures import png
from tests.public_accounts import helpers
from tests.public_accounts.helpers import API, create_account, draft, publish, subscribe
from tests.public_accounts.test_live import ArticleStream
from tests.web.test_moments_pages import people  # noqa: F401  (the `people` fixture)

HANDLE = "herald"


async def _world(client: httpx.AsyncClient, people) -> dict[str, Any]:  # noqa: F811
    """ann owns the herald, bob edits it, cat subscribes and shares its article in a moment;
    dan is a stranger to it. Each has a browser signed in with its cookie, for the pages."""
    browsers, heads = {"signed out": client}, {}
    for name in ("ann", "bob", "cat", "dan"):
        browsers[name], heads[name] = await people(name)
    account = await create_account(client, heads["ann"], HANDLE, "The Herald")
    added = await client.post(
        f"{API}/public-accounts/{HANDLE}/editors", json={"username": "bob"}, headers=heads["ann"]
    )
    assert added.status_code == 201, added.text
    cover = await client.post(
        f"{API}/media", files={"file": ("p.png", png(), "image/png")}, headers=heads["ann"]
    )
    article = await draft(client, heads["ann"], HANDLE, "Bad news")
    patched = await client.patch(
        f"{API}/articles/{article['id']}",
        json={"cover_media_id": cover.json()["id"]},
        headers=heads["ann"],
    )
    assert patched.status_code == 200, patched.text
    published = await client.post(f"{API}/articles/{article['id']}/publish", headers=heads["ann"])
    assert published.status_code == 200, published.text
    await publish(client, heads["ann"], HANDLE, "Good news")
    await subscribe(client, heads["cat"], HANDLE)
    moment = await client.post(
        f"{API}/moments",
        json={"text": "read this", "article_id": article["id"]},
        headers=heads["cat"],
    )
    assert moment.status_code == 201, moment.text
    return {
        "heads": {**heads, "signed out": {}},
        "browsers": browsers,
        "account": account,
        "article": published.json(),
        "cover": cover.json()["id"],
        "moment": moment.json()["id"],
    }


def _titles(html: str) -> list[str]:
    return re.findall(r'class="pa-item-title">([^<]*)<', html)


def _without_reads(value: Any) -> Any:
    """Reading counts reads (each signed-out read again): the views compared leave them out."""
    if isinstance(value, dict):
        return {k: _without_reads(v) for k, v in value.items() if k != "read_count"}
    if isinstance(value, list):
        return [_without_reads(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_without_reads(v) for v in value)
    return value


async def _seen(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    """What each person gets of the herald and its article, through the API and the pages."""
    article_id, seen = world["article"]["id"], {}
    for name, who in world["heads"].items():
        browser = world["browsers"][name]
        one = await client.get(f"{API}/articles/{article_id}", headers=who)
        listed = await client.get(f"{API}/public-accounts/{HANDLE}/articles", headers=who)
        page = await browser.get(f"/a/{HANDLE}/{article_id}")
        account_page = await browser.get(f"/a/{HANDLE}")
        atom = await client.get(f"/a/{HANDLE}/feed.xml")
        seen[name] = {
            "article": (one.status_code, one.json()),
            "listed": listed.json(),
            "page": (page.status_code, "Bad news" in page.text),
            "account page": (account_page.status_code, _titles(account_page.text)),
            "atom": (atom.status_code, atom.text.count("<entry>")),
            "cover": (await client.get(f"{API}/media/{world['cover']}", headers=who)).status_code,
        }
        if name == "cat":
            feed = await client.get(f"{API}/feed", headers=who)
            moment = await client.get(f"{API}/moments/{world['moment']}", headers=who)
            seen[name]["feed"] = [a["title"] for a in feed.json()["items"]]
            seen[name]["card"] = moment.json()["card"]
        if name in ("ann", "bob"):
            stats = await client.get(f"{API}/public-accounts/{HANDLE}/stats", headers=who)
            seen[name]["stats"] = stats.json()["articles"]
    return _without_reads(seen)


@pytest.mark.parametrize("state", ["held", "removed"])
async def test_a_moderated_article_is_its_accounts_alone(app, client, people, state):  # noqa: F811
    world = await _world(client, people)
    heads, article_id = world["heads"], world["article"]["id"]
    before = await _seen(client, world)
    assert before["cat"]["feed"] == ["Good news", "Bad news"]

    await moderated.set_state(app, "article", article_id, state)

    after = await _seen(client, world)
    for name in ("cat", "dan", "signed out"):
        # Before, each read it and its cover; after, the cover is a picture like any other
        # not shown to them (signed out: 401, as for every picture one may not see).
        assert before[name]["article"][0] == 200 and before[name]["page"] == (200, True), name
        assert before[name]["cover"] == 200, name
        no_cover = 401 if name == "signed out" else 404
        got = after[name]
        assert got["article"][0] == 404, name
        assert "Bad news" not in str(got["listed"]) and got["account page"] == (200, ["Good news"])
        assert got["page"] == ((404, False) if state == "held" else (410, False)), name
        assert got["atom"] == (200, 1)
        assert got["cover"] == no_cover, name
    assert after["cat"]["feed"] == ["Good news"]
    assert after["cat"]["card"]["state"] == "removed" and after["cat"]["card"]["title"] is None
    if state == "removed":
        page = await client.get(f"/a/{HANDLE}/{article_id}")
        assert "This article was removed" in page.text and "Bad news" not in page.text
    like = await client.post(f"{API}/articles/{article_id}/like", headers=heads["cat"])
    assert like.status_code == 404
    for name in ("ann", "bob"):
        got = after[name]
        assert got["article"][0] == 200 and got["article"][1]["moderation"] == state
        assert [a["moderation"] for a in got["listed"]["items"]] == [None, state]
        assert got["page"] == (200, True) and got["cover"] == 200
        assert [a["moderation"] for a in got["stats"]] == [None, state]
    page = await world["browsers"]["bob"].get(f"/a/{HANDLE}/{article_id}")
    assert 'id="article-moderation"' in page.text
    cat_id = await moderated.user_id(client, heads["cat"])
    bob_id = await moderated.user_id(client, heads["bob"])
    assert not await moderated.can_view(app, "article", cat_id, article_id)
    assert await moderated.can_view(app, "article", bob_id, article_id)
    snapshot = await moderated.snapshot(app, "article", article_id)
    assert snapshot is not None and snapshot.title == "Bad news" and snapshot.text == "text"
    assert snapshot.context["revision"] == 1 and snapshot.url == f"/a/{HANDLE}/{article_id}"
    assert list(snapshot.media_ids) == [world["cover"]]

    await moderated.set_state(app, "article", article_id, None)
    assert await _seen(client, world) == before


async def test_a_closed_account_is_a_tombstone_and_publishes_nothing(app, client, people):  # noqa: F811
    world = await _world(client, people)
    heads, account_id, article_id = world["heads"], world["account"]["id"], world["article"]["id"]
    waiting = await draft(client, heads["ann"], HANDLE, "Unpublished")
    before = await _seen(client, world)

    await moderated.set_state(app, "public_account", account_id, "removed")

    for name, who in world["heads"].items():
        for url in (f"/a/{HANDLE}", f"/a/{HANDLE}/{article_id}"):
            page = await world["browsers"][name].get(url)
            assert page.status_code == 410 and "This public account was closed" in page.text
            assert "Bad news" not in page.text
        shown = await client.get(f"{API}/public-accounts/{HANDLE}", headers=who)
        if name in ("ann", "bob"):
            assert shown.status_code == 200 and shown.json()["moderation"] == "closed"
        else:
            assert shown.status_code == 404, name
    atom = await client.get(f"/a/{HANDLE}/feed.xml")
    assert atom.status_code == 410 and atom.json()["error"]["code"] == "account_closed"
    directory = await client.get(f"{API}/public-accounts")
    assert HANDLE not in directory.text
    for path in ("/feed", "/subscriptions"):
        listed = await client.get(f"{API}{path}", headers=heads["cat"])
        assert listed.json()["items"] == []
    moment = await client.get(f"{API}/moments/{world['moment']}", headers=heads["cat"])
    assert moment.json()["card"]["state"] == "removed"
    refusals = [
        await client.post(f"{API}/articles/{waiting['id']}/publish", headers=heads["ann"]),
        await client.post(
            f"{API}/public-accounts/{HANDLE}/articles", json={"title": "x"}, headers=heads["bob"]
        ),
        await client.patch(
            f"{API}/articles/{article_id}", json={"title": "Fixed"}, headers=heads["ann"]
        ),
        await client.patch(
            f"{API}/public-accounts/{HANDLE}", json={"name": "New"}, headers=heads["ann"]
        ),
    ]
    assert [(r.status_code, r.json()["error"]["code"]) for r in refusals] == [
        (403, "account_closed")
    ] * 4
    subscribe_again = await client.post(
        f"{API}/public-accounts/{HANDLE}/subscription", headers=heads["dan"]
    )
    assert subscribe_again.status_code == 404
    cat_id = await moderated.user_id(client, heads["cat"])
    assert not await moderated.can_view(app, "public_account", cat_id, account_id)
    snapshot = await moderated.snapshot(app, "public_account", account_id)
    assert snapshot is not None and snapshot.title == "The Herald"
    assert snapshot.author_id == await moderated.user_id(client, heads["ann"])

    await moderated.set_state(app, "public_account", account_id, None)
    assert await _seen(client, world) == before


async def test_a_held_account_is_its_peoples_alone(app, client, people):  # noqa: F811
    world = await _world(client, people)
    heads, account_id = world["heads"], world["account"]["id"]
    before = await _seen(client, world)

    await moderated.set_state(app, "public_account", account_id, "held")

    for name in ("cat", "dan", "signed out"):
        page = await world["browsers"][name].get(f"/a/{HANDLE}")
        assert page.status_code == 404 and "The Herald" not in page.text
    assert (await client.get(f"/a/{HANDLE}/feed.xml")).status_code == 404
    mine = await world["browsers"]["bob"].get(f"/a/{HANDLE}")
    assert mine.status_code == 200 and 'id="account-moderation"' in mine.text
    # Held is not closed: its people may still fix it and write.
    fixed = await client.patch(
        f"{API}/public-accounts/{HANDLE}", json={"description": "fixed"}, headers=heads["ann"]
    )
    assert fixed.status_code == 200 and fixed.json()["moderation"] == "held"

    await moderated.set_state(app, "public_account", account_id, None)
    await client.patch(
        f"{API}/public-accounts/{HANDLE}", json={"description": ""}, headers=heads["ann"]
    )
    assert await _seen(client, world) == before


@pytest.fixture
async def server(settings, clock):
    async with serve_with_client(settings, clock) as running:
        yield running


async def test_subscribers_hear_of_it_and_a_closed_accounts_topic_ends(server):
    app, port, client = server
    heads = await helpers.people(client, "ann", "cat")
    account = await create_account(client, heads["ann"], HANDLE, "The Herald")
    other = await create_account(client, heads["ann"], "other", "Other")
    article = await publish(client, heads["ann"], HANDLE, "Bad news")
    await subscribe(client, heads["cat"], HANDLE)
    cat = await ArticleStream(port, heads["cat"]).open()

    await moderated.set_state(app, "article", article["id"], "removed")
    removed = await cat.next("article.removed")
    assert removed["article_id"] == article["id"] and "Bad news" not in str(removed)
    await moderated.set_state(app, "article", article["id"], None)
    assert (await cat.next("article.restored"))["article_id"] == article["id"]

    await moderated.set_state(app, "public_account", account["id"], "closed")
    closed = await cat.next("public_account.closed")
    assert closed["account"] == {"handle": HANDLE, "name": "The Herald"}
    fresh = await ArticleStream(port, heads["cat"]).open()
    assert fresh.ready["public_accounts"] == {}  # no longer followed
    await fresh.close()

    # Reopened, it is followed again from the next connection; the ended one hears nothing
    # of it: what it hears next is another account's article, published after.
    await moderated.set_state(app, "public_account", account["id"], None)
    await subscribe(client, heads["cat"], "other")  # followed by the open connection at once
    await publish(client, heads["ann"], HANDLE, "Reopened")
    await publish(client, heads["ann"], "other", "Elsewhere")
    heard = await cat.next("article.published")
    assert heard["account"]["handle"] == "other"
    again = await ArticleStream(port, heads["cat"]).open()
    assert set(again.ready["public_accounts"]) == {str(account["id"]), str(other["id"])}
    await again.close()
    await cat.close()


@pytest.fixture
def settings(settings):
    return moderated.screening_settings(settings)


async def test_screening_holds_or_removes_what_a_listed_term_catches(app, client, people):  # noqa: F811
    world = await _world(client, people)
    heads, browsers = world["heads"], world["browsers"]
    await moderated.list_terms(app)

    bad = await client.post(
        f"{API}/public-accounts",
        json={"handle": "bad_one", "name": f"Bad {moderated.HELD_TERM}"},
        headers=heads["ann"],
    )
    assert bad.status_code == 201 and bad.json()["moderation"] == "held"
    assert "bad_one" not in (await client.get(f"{API}/public-accounts")).text
    assert (await browsers["cat"].get("/a/bad_one")).status_code == 404
    changed = await client.patch(
        f"{API}/public-accounts/{HANDLE}",
        json={"description": f"we {moderated.HELD_TERM}"},
        headers=heads["bob"],
    )
    assert changed.json()["moderation"] == "held"
    await moderated.set_state(app, "public_account", world["account"]["id"], None)

    removed = await draft(client, heads["ann"], HANDLE, "Offer", body=moderated.REMOVED_TERM)
    published = await client.post(f"{API}/articles/{removed['id']}/publish", headers=heads["bob"])
    assert published.status_code == 200 and published.json()["moderation"] == "removed"
    page = await browsers["cat"].get(f"/a/{HANDLE}/{removed['id']}")
    assert page.status_code == 410 and "Offer" not in page.text
    feed = await client.get(f"{API}/feed", headers=heads["cat"])
    assert [a["title"] for a in feed.json()["items"]] == ["Good news", "Bad news"]
    assert (await browsers["bob"].get(f"/a/{HANDLE}/{removed['id']}")).status_code == 200

    # An edit that brings a term in is held; taking it out again does not lift the hold:
    # only a moderator does.
    good = next(a for a in feed.json()["items"] if a["title"] == "Good news")
    url = f"{API}/articles/{good['id']}"
    edited = await client.patch(url, json={"body": moderated.HELD_TERM}, headers=heads["ann"])
    assert edited.json()["moderation"] == "held"
    again = await client.patch(url, json={"body": "fine"}, headers=heads["ann"])
    assert again.json()["moderation"] == "held"
    assert (await client.get(url, headers=heads["cat"])).status_code == 404
    await moderated.set_state(app, "article", good["id"], None)
    assert (await client.get(url, headers=heads["cat"])).json()["revision"] == 3


async def test_subscribers_hear_nothing_of_an_article_screening_held(server):
    app, port, client = server
    heads = await helpers.people(client, "ann", "cat")
    await create_account(client, heads["ann"], HANDLE, "The Herald")
    await subscribe(client, heads["cat"], HANDLE)
    cat = await ArticleStream(port, heads["cat"]).open()
    await moderated.list_terms(app)
    await publish(client, heads["ann"], HANDLE, "Quiet", body=moderated.HELD_TERM)
    await publish(client, heads["ann"], HANDLE, "Heard")
    heard = await cat.next("article.published")
    assert (heard["article"]["title"], heard["rev"]) == ("Heard", 2)
    await cat.close()
