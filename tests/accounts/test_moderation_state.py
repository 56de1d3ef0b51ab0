"""Moderation on people: a display name held or removed through the "profile" and "user"
surfaces shows as the username wherever a name is shown (the person still sees theirs,
marked), and comes back exactly with a restore; a timed suspension lifts itself when its
time has passed; a publishing restriction refuses moments, comments and articles until
then, never chat. Time is a FakeClock moved by the test."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from plaza.accounts.models import User
from plaza.accounts.service.status import set_status
from tests import moderated
from tests.helpers import befriend, group, log_in, register
from tests.public_accounts.helpers import create_account, draft
from tests.web.test_moments_pages import people  # noqa: F401  (the `people` fixture)

API = "/api/v1"


async def _names_seen_by(client: httpx.AsyncClient, who: dict[str, str], cid: int) -> list[str]:
    """Every name of ann that `who` is shown: her profile, friends list, chat, moments."""
    profile = (await client.get(f"{API}/users/ann", headers=who)).json()
    friends = (await client.get(f"{API}/friends", headers=who)).json()["items"]
    conversation = (await client.get(f"{API}/conversations/{cid}", headers=who)).json()
    history = (await client.get(f"{API}/conversations/{cid}/messages", headers=who)).json()
    moments = (await client.get(f"{API}/users/ann/moments", headers=who)).json()["items"]
    return [
        profile["display_name"],
        *[f["display_name"] for f in friends if f["username"] == "ann"],
        *[m["display_name"] for m in conversation["members"] if m["username"] == "ann"],
        *[m["sender_display_name"] for m in history["items"] if m["sender"] == "ann"],
        *[m["author"]["display_name"] for m in moments],
    ]


@pytest.mark.parametrize("surface", ["profile", "user"])
@pytest.mark.parametrize("state", ["held", "removed"])
async def test_a_hidden_display_name_shows_as_the_username(app, client, people, surface, state):  # noqa: F811
    browser, ann = await people("ann", "Bad Name")
    _, bob = await people("bob")
    await befriend(client, ann, bob, "bob")
    cid = (await group(client, ann, ["bob"]))["id"]
    sent = await client.post(
        f"{API}/conversations/{cid}/messages", json={"client_id": "1", "text": "hi"}, headers=ann
    )
    assert sent.status_code == 201
    posted = await client.post(f"{API}/moments", json={"text": "hello"}, headers=ann)
    assert posted.status_code == 201
    ann_id = await moderated.user_id(client, ann)
    before = await _names_seen_by(client, bob, cid)
    assert set(before) == {"Bad Name"} and len(before) == 5

    await moderated.set_state(app, surface, ann_id, state)

    assert set(await _names_seen_by(client, bob, cid)) == {"ann"}
    found = await client.get(f"{API}/users", params={"q": "Bad"}, headers=bob)
    assert found.json()["items"] == []
    me = (await client.get(f"{API}/me", headers=ann)).json()
    assert (me["display_name"], me["moderation"]) == ("Bad Name", state)
    page = await browser.get("/me")
    assert 'id="name-moderation"' in page.text and "Bad Name" in page.text
    snapshot = await moderated.snapshot(app, surface, ann_id)
    assert snapshot is not None and snapshot.text == "Bad Name" and snapshot.url == "/u/ann"

    await moderated.set_state(app, surface, ann_id, None)
    assert await _names_seen_by(client, bob, cid) == before
    me = (await client.get(f"{API}/me", headers=ann)).json()
    assert (me["display_name"], me["moderation"]) == ("Bad Name", None)


async def test_a_new_name_is_a_new_item(app, client):
    ann = await register(client, "ann", "Bad Name")
    ann_id = await moderated.user_id(client, ann)
    await moderated.set_state(app, "profile", ann_id, "removed")
    renamed = await client.patch(f"{API}/me", json={"display_name": "Ann"}, headers=ann)
    assert renamed.status_code == 200
    assert (renamed.json()["display_name"], renamed.json()["moderation"]) == ("Ann", None)
    other = await register(client, "bob")
    assert (await client.get(f"{API}/users/ann", headers=other)).json()["display_name"] == "Ann"


async def test_who_may_see_a_person(app, client):
    ann, bob, cat = [await register(client, name) for name in ("ann", "bob", "cat")]
    blocked = await client.post(f"{API}/blocks", json={"username": "cat"}, headers=ann)
    assert blocked.status_code in (200, 201)
    ann_id, bob_id, cat_id = [await moderated.user_id(client, h) for h in (ann, bob, cat)]
    assert await moderated.can_view(app, "user", bob_id, ann_id)
    assert await moderated.can_view(app, "user", ann_id, ann_id)
    # Across a block too, either way: the profile shows, and the one who blocked a person may
    # report them (a 404 would also tell the blocked person of the block).
    assert await moderated.can_view(app, "user", cat_id, ann_id)
    assert await moderated.can_view(app, "user", ann_id, cat_id)
    assert not await moderated.can_view(app, "profile", bob_id, 10_000)


async def _suspend(app, username: str, until) -> None:
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        person = await session.scalar(select(User).where(User.username == username))
        await set_status(
            session,
            clock=runtime.clock,
            bus=runtime.bus,
            user=person,
            status="suspended",
            suspended_until=until,
        )


async def _restrict(app, username: str, until) -> None:
    async with app.state.runtime.sessions() as session:
        await session.execute(
            update(User).where(User.username == username).values(restricted_until=until)
        )
        await session.commit()


async def test_a_timed_suspension_lifts_itself(app, client, clock):
    ann, bob = await register(client, "ann"), await register(client, "bob")
    await befriend(client, ann, bob, "bob")
    cid = (await group(client, ann, ["bob"]))["id"]
    until = clock.now() + timedelta(days=1)
    await _suspend(app, "ann", until)
    assert (await client.get(f"{API}/me", headers=ann)).status_code == 401  # sessions ended
    ann = await log_in(client, "ann")  # a suspended person may still sign in and read
    me = (await client.get(f"{API}/me", headers=ann)).json()
    assert me["status"] == "suspended" and me["suspended_until"] == "2026-01-02T00:00:00Z"

    def send(n: int):
        return client.post(
            f"{API}/conversations/{cid}/messages",
            json={"client_id": str(n), "text": "hi"},
            headers=ann,
        )

    refused = await send(1)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "account_suspended"
    assert "2026-01-02T00:00:00+00:00" in refused.json()["error"]["message"]
    moment = await client.post(f"{API}/moments", json={"text": "x"}, headers=ann)
    assert moment.status_code == 403
    seen = await client.get(f"{API}/users/ann", headers=bob)
    assert seen.json()["status"] == "suspended"

    clock.advance(timedelta(days=1).total_seconds())
    assert (await send(2)).status_code == 201
    assert (await client.post(f"{API}/moments", json={"text": "x"}, headers=ann)).status_code == 201
    me = (await client.get(f"{API}/me", headers=ann)).json()
    assert (me["status"], me["suspended_until"]) == ("active", None)
    assert (await client.get(f"{API}/users/ann", headers=bob)).json()["status"] == "active"


async def test_a_suspension_without_an_end_stays(app, client, clock):
    ann = await register(client, "ann")
    await _suspend(app, "ann", None)
    ann = await log_in(client, "ann")
    clock.advance(timedelta(days=20).total_seconds())  # within the session's life
    refused = await client.post(f"{API}/moments", json={"text": "x"}, headers=ann)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_suspended"
    assert (await client.get(f"{API}/me", headers=ann)).json()["suspended_until"] is None


async def test_a_publishing_restriction_refuses_posts_but_not_chat(app, client, clock):
    ann, bob = await register(client, "ann"), await register(client, "bob")
    await befriend(client, ann, bob, "bob")
    cid = (await group(client, ann, ["bob"]))["id"]
    by_bob = await client.post(f"{API}/moments", json={"text": "bob's"}, headers=bob)
    await create_account(client, ann, "herald")
    waiting = await draft(client, ann, "herald", "Draft")  # drafts are not published
    await _restrict(app, "ann", clock.now() + timedelta(hours=2))

    attempts = [
        await client.post(f"{API}/moments", json={"text": "x"}, headers=ann),
        await client.post(
            f"{API}/moments/{by_bob.json()['id']}/comments", json={"text": "x"}, headers=ann
        ),
        await client.post(f"{API}/articles/{waiting['id']}/publish", headers=ann),
    ]
    for refused in attempts:
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "publishing_restricted"
        assert "2026-01-01T02:00:00+00:00" in refused.json()["error"]["message"]
    assert (await draft(client, ann, "herald", "Another draft"))["status"] == "draft"
    chat = await client.post(
        f"{API}/conversations/{cid}/messages", json={"client_id": "1", "text": "hi"}, headers=ann
    )
    assert chat.status_code == 201
    liked = await client.post(f"{API}/moments/{by_bob.json()['id']}/like", headers=ann)
    assert liked.status_code == 200
    me = (await client.get(f"{API}/me", headers=ann)).json()
    assert me["restricted_until"] == "2026-01-01T02:00:00Z" and me["status"] == "active"

    clock.advance(timedelta(hours=2).total_seconds())
    assert (await client.post(f"{API}/moments", json={"text": "x"}, headers=ann)).status_code == 201
    assert (await client.get(f"{API}/me", headers=ann)).json()["restricted_until"] is None


@pytest.fixture
def settings(settings):
    return moderated.screening_settings(settings)


async def test_screening_a_name_at_sign_up_and_at_a_change(app, client, people):  # noqa: F811
    await moderated.list_terms(app)
    browser, ann = await people("ann", f"Ann {moderated.HELD_TERM}")  # through the web form
    bob = await register(client, "bob", "Bob")
    seen = await client.get(f"{API}/users/ann", headers=bob)
    assert seen.json()["display_name"] == "ann"
    me = (await client.get(f"{API}/me", headers=ann)).json()
    assert (me["display_name"], me["moderation"]) == (f"Ann {moderated.HELD_TERM}", "held")
    signed_up = await client.post(
        f"{API}/accounts",
        json={"username": "cat", "password": "correct horse battery", "display_name": "methx"},
    )
    assert signed_up.json()["display_name"] == "methx"  # the person's own view
    assert (await client.get(f"{API}/users/cat", headers=bob)).json()["display_name"] == "cat"

    renamed = await client.patch(
        f"{API}/me", json={"display_name": f"Bob {moderated.REMOVED_TERM}"}, headers=bob
    )
    assert renamed.json()["moderation"] == "removed"
    assert (await client.get(f"{API}/users/bob", headers=ann)).json()["display_name"] == "bob"
    form = await browser.get("/me")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    fixed = await browser.post(
        "/me", data={"csrf_token": token.group(1), "action": "profile", "display_name": "Ann"}
    )
    assert fixed.status_code == 200 and 'id="name-moderation"' not in fixed.text
    assert (await client.get(f"{API}/users/ann", headers=bob)).json()["display_name"] == "Ann"
