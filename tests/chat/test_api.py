"""The chat API over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers import befriend, group, register, send


@pytest.fixture
async def trio(client):
    """alice, friends with bob and carol; dave is nobody's friend."""
    people = {name: await register(client, name) for name in ("alice", "bob", "carol", "dave")}
    await befriend(client, people["bob"], people["alice"], "alice")
    await befriend(client, people["carol"], people["alice"], "alice")
    return people


async def test_direct_conversation_needs_friendship_and_is_one_per_pair(client, trio):
    alice, bob, dave = trio["alice"], trio["bob"], trio["dave"]
    first = await client.post(
        "/api/v1/conversations", json={"kind": "direct", "members": ["bob"]}, headers=alice
    )
    assert first.status_code == 201
    body = first.json()
    assert body["kind"] == "direct"
    assert sorted(m["username"] for m in body["members"]) == ["alice", "bob"]
    again = await client.post(
        "/api/v1/conversations", json={"kind": "direct", "members": ["alice"]}, headers=bob
    )
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    stranger = await client.post(
        "/api/v1/conversations", json={"kind": "direct", "members": ["alice"]}, headers=dave
    )
    assert stranger.status_code == 403
    assert stranger.json()["error"]["code"] == "not_friends"


async def test_only_members_read_or_post(client, trio):
    conv = await group(client, trio["alice"], ["bob"])
    for method, path, kwargs in (
        ("GET", f"/api/v1/conversations/{conv['id']}", {}),
        ("GET", f"/api/v1/conversations/{conv['id']}/messages", {}),
        (
            "POST",
            f"/api/v1/conversations/{conv['id']}/messages",
            {"json": {"client_id": "x", "text": "hi"}},
        ),
    ):
        response = await client.request(method, path, headers=trio["carol"], **kwargs)
        assert response.status_code == 404, (method, path)


async def test_messages_get_gap_free_seq_and_client_id_is_idempotent(client, trio):
    conv = await group(client, trio["alice"], ["bob", "carol"])
    first = await send(client, trio["alice"], conv["id"], "hello", "c-1")
    assert first["seq"] == 1
    assert set(first) >= {"id", "conversation_id", "seq", "sender", "text", "created_at"}
    retry = await client.post(
        f"/api/v1/conversations/{conv['id']}/messages",
        json={"client_id": "c-1", "text": "hello"},
        headers=trio["alice"],
    )
    assert retry.status_code == 200
    assert retry.json()["id"] == first["id"]
    # Concurrent senders still get consecutive numbers.
    results = await asyncio.gather(
        *(
            send(client, trio[n], conv["id"], f"m{i}", f"{n}-{i}")
            for i in range(5)
            for n in ("alice", "bob", "carol")
        )
    )
    assert sorted(r["seq"] for r in results) == list(range(2, 17))
    history = (
        await client.get(
            f"/api/v1/conversations/{conv['id']}/messages?after_seq=0&limit=100",
            headers=trio["bob"],
        )
    ).json()
    assert [m["seq"] for m in history["items"]] == list(range(1, 17))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"client_id": "", "text": "x"}, "client_id"),
        ({"client_id": "k" * 65, "text": "x"}, "client_id"),
        ({"client_id": "a", "text": "   "}, "text"),
        ({"client_id": "a", "text": "x" * 4001}, "text"),
        ({"client_id": "a"}, "text"),
        ({"client_id": "a", "text": "x", "reply_to": 999999}, "reply_to"),
        ({"client_id": "a", "text": "x", "media_ids": [1]}, "media_ids"),
    ],
)
async def test_bad_messages_name_the_field(client, trio, body, field):
    conv = await group(client, trio["alice"], ["bob"])
    response = await client.post(
        f"/api/v1/conversations/{conv['id']}/messages", json=body, headers=trio["alice"]
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


async def test_history_pages_both_ways(client, trio):
    conv = await group(client, trio["alice"], ["bob"])
    for i in range(7):
        await send(client, trio["alice"], conv["id"], f"m{i + 1}", f"k{i}")
    url = f"/api/v1/conversations/{conv['id']}/messages"
    newest = (await client.get(url + "?limit=3", headers=trio["bob"])).json()
    assert [m["seq"] for m in newest["items"]] == [5, 6, 7]
    older = (
        await client.get(f"{url}?limit=3&cursor={newest['next_cursor']}", headers=trio["bob"])
    ).json()
    assert [m["seq"] for m in older["items"]] == [2, 3, 4]
    forward = (await client.get(url + "?after_seq=4&limit=2", headers=trio["bob"])).json()
    assert [m["seq"] for m in forward["items"]] == [5, 6]
    rest = (
        await client.get(f"{url}?limit=2&cursor={forward['next_cursor']}", headers=trio["bob"])
    ).json()
    assert [m["seq"] for m in rest["items"]] == [7]
    assert rest["next_cursor"] is None


async def test_recall_within_window_only_by_sender(client, trio, clock):
    conv = await group(client, trio["alice"], ["bob"])
    message = await send(client, trio["alice"], conv["id"], "oops", "r1")
    url = f"/api/v1/conversations/{conv['id']}/messages/{message['id']}"
    assert (await client.delete(url, headers=trio["bob"])).status_code == 403
    assert (await client.delete(url, headers=trio["alice"])).status_code == 204
    items = (
        await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=trio["bob"])
    ).json()["items"]
    assert items[0]["recalled"] is True
    assert items[0]["text"] == ""
    late = await send(client, trio["alice"], conv["id"], "too late", "r2")
    clock.advance(121)
    response = await client.delete(
        f"/api/v1/conversations/{conv['id']}/messages/{late['id']}", headers=trio["alice"]
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "recall_window_passed"


async def test_unread_counts_and_read_markers(client, trio):
    conv = await group(client, trio["alice"], ["bob"])
    for i in range(3):
        await send(client, trio["alice"], conv["id"], f"m{i}", f"u{i}")
    listing = (await client.get("/api/v1/conversations", headers=trio["bob"])).json()["items"]
    assert listing[0]["unread"] == 3
    assert listing[0]["last_message"]["text"] == "m2"
    mine = (await client.get("/api/v1/conversations", headers=trio["alice"])).json()["items"]
    assert mine[0]["unread"] == 0
    read = await client.post(
        f"/api/v1/conversations/{conv['id']}/read", json={"seq": 2}, headers=trio["bob"]
    )
    assert read.json()["last_read_seq"] == 2
    listing = (await client.get("/api/v1/conversations", headers=trio["bob"])).json()["items"]
    assert listing[0]["unread"] == 1
    # Never backwards.
    await client.post(
        f"/api/v1/conversations/{conv['id']}/read", json={"seq": 1}, headers=trio["bob"]
    )
    await client.post(f"/api/v1/conversations/{conv['id']}/read", headers=trio["bob"])
    listing = (await client.get("/api/v1/conversations", headers=trio["bob"])).json()["items"]
    assert listing[0]["unread"] == 0


async def test_conversation_list_is_most_recent_first_and_pages(client, trio, clock):
    a = await group(client, trio["alice"], ["bob"], "first")
    clock.advance(1)
    b = await group(client, trio["alice"], ["bob"], "second")
    clock.advance(1)
    await send(client, trio["alice"], a["id"], "bump", "b1")
    page = (await client.get("/api/v1/conversations?limit=1", headers=trio["bob"])).json()
    assert [c["title"] for c in page["items"]] == ["first"]
    page2 = (
        await client.get(
            f"/api/v1/conversations?limit=1&cursor={page['next_cursor']}", headers=trio["bob"]
        )
    ).json()
    assert [c["id"] for c in page2["items"]] == [b["id"]]


async def test_group_membership_management(client, trio):
    alice, bob, carol = trio["alice"], trio["bob"], trio["carol"]
    conv = await group(client, alice, ["bob"], "Verona")
    url = f"/api/v1/conversations/{conv['id']}"
    # A plain member cannot add people.
    assert (
        await client.post(url + "/members", json={"username": "carol"}, headers=bob)
    ).status_code == 403
    # The owner appoints bob admin; an admin may add his own friends only.
    await befriend(client, carol, bob, "bob")
    promoted = await client.patch(url, json={"roles": {"bob": "admin"}}, headers=alice)
    assert {m["username"]: m["role"] for m in promoted.json()["members"]}["bob"] == "admin"
    added = await client.post(url + "/members", json={"username": "carol"}, headers=bob)
    assert added.status_code == 201
    dup = await client.post(url + "/members", json={"username": "carol"}, headers=alice)
    assert dup.status_code == 409
    stranger = await client.post(url + "/members", json={"username": "dave"}, headers=alice)
    assert stranger.status_code == 403
    renamed = await client.patch(url, json={"title": "Mantua"}, headers=bob)
    assert renamed.json()["title"] == "Mantua"
    assert (await client.patch(url, json={"title": "x"}, headers=carol)).status_code == 403
    # Admins cannot remove the owner; the owner can remove anyone; anyone can leave.
    assert (await client.delete(url + "/members/alice", headers=bob)).status_code == 403
    assert (await client.delete(url + "/members/carol", headers=carol)).status_code == 204
    assert (await client.get(url, headers=carol)).status_code == 404
    assert (await client.delete(url + "/members/bob", headers=alice)).status_code == 204
    members = (await client.get(url, headers=alice)).json()["members"]
    assert [m["username"] for m in members] == ["alice"]


async def test_new_member_sees_history_from_joining(client, trio):
    conv = await group(client, trio["alice"], ["bob"])
    await send(client, trio["alice"], conv["id"], "before carol", "h1")
    await client.post(
        f"/api/v1/conversations/{conv['id']}/members",
        json={"username": "carol"},
        headers=trio["alice"],
    )
    await send(client, trio["alice"], conv["id"], "after carol", "h2")
    items = (
        await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=trio["carol"])
    ).json()["items"]
    assert [m["text"] for m in items] == ["after carol"]


async def test_owner_leaving_hands_the_group_over(client, trio):
    conv = await group(client, trio["alice"], ["bob", "carol"])
    url = f"/api/v1/conversations/{conv['id']}"
    await client.patch(url, json={"roles": {"carol": "admin"}}, headers=trio["alice"])
    assert (await client.delete(url + "/members/alice", headers=trio["alice"])).status_code == 204
    roles = {
        m["username"]: m["role"]
        for m in (await client.get(url, headers=trio["bob"])).json()["members"]
    }
    assert roles == {"bob": "member", "carol": "owner"}


async def test_group_size_limit(settings, clock):
    import httpx

    from tests.conftest import running_app

    small = settings.model_copy(update={"group_max_members": 3})
    async with running_app(small, clock) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            owner = await register(client, "owner")
            for name in ("pal1", "pal2", "pal3"):
                await befriend(client, await register(client, name), owner, "owner")
            too_big = await client.post(
                "/api/v1/conversations",
                json={"kind": "group", "members": ["pal1", "pal2", "pal3"]},
                headers=owner,
            )
            assert too_big.status_code == 422
            conv = await group(client, owner, ["pal1", "pal2"])
            full = await client.post(
                f"/api/v1/conversations/{conv['id']}/members",
                json={"username": "pal3"},
                headers=owner,
            )
            assert full.status_code == 409
            assert full.json()["error"]["code"] == "group_full"


async def test_blocked_sender_in_direct_chat_is_not_told(client, trio):
    alice, bob = trio["alice"], trio["bob"]
    conv = (
        await client.post(
            "/api/v1/conversations", json={"kind": "direct", "members": ["bob"]}, headers=alice
        )
    ).json()
    await send(client, bob, conv["id"], "before", "d1")
    await client.post("/api/v1/blocks", json={"username": "bob"}, headers=alice)
    sent = await send(client, bob, conv["id"], "after the block", "d2")
    assert sent["text"] == "after the block"
    bob_view = (
        await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=bob)
    ).json()["items"]
    assert [m["text"] for m in bob_view] == ["before", "after the block"]
    alice_view = (
        await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=alice)
    ).json()["items"]
    assert [m["text"] for m in alice_view] == ["before"]
    # A blocked person's group with the blocker looks made to them; the blocker never sees it.
    await client.post("/api/v1/blocks", json={"username": "alice"}, headers=trio["carol"])
    made = await client.post(
        "/api/v1/conversations", json={"kind": "group", "members": ["carol"]}, headers=alice
    )
    assert made.status_code == 201
    assert "carol" in [m["username"] for m in made.json()["members"]]
    hidden = await client.get(f"/api/v1/conversations/{made.json()['id']}", headers=trio["carol"])
    assert hidden.status_code == 404


async def test_a_group_needs_another_member(client, trio):
    empty = await client.post(
        "/api/v1/conversations",
        json={"kind": "group", "members": [], "title": "Just me"},
        headers=trio["alice"],
    )
    assert empty.status_code == 422
    assert empty.json()["error"]["field"] == "members"
    listed = await client.get("/api/v1/conversations", headers=trio["alice"])
    assert listed.json()["items"] == []


async def test_a_direct_chat_ends_with_the_friendship(client, trio):
    alice, bob = trio["alice"], trio["bob"]
    direct = await client.post(
        "/api/v1/conversations", json={"kind": "direct", "members": ["bob"]}, headers=alice
    )
    conv_id = direct.json()["id"]
    await send(client, alice, conv_id, "still friends?", "d1")
    assert (await client.delete("/api/v1/friends/alice", headers=bob)).status_code == 204
    for who, cid in ((alice, "d2"), (bob, "d3")):
        refused = await client.post(
            f"/api/v1/conversations/{conv_id}/messages",
            json={"client_id": cid, "text": "hello?"},
            headers=who,
        )
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "not_friends"
        assert "no longer friends" in refused.json()["error"]["message"]
    # The history stays readable; befriending again opens it again.
    history = await client.get(f"/api/v1/conversations/{conv_id}/messages", headers=bob)
    assert [m["text"] for m in history.json()["items"]] == ["still friends?"]
    await befriend(client, bob, alice, "alice")
    assert (await send(client, bob, conv_id, "friends again", "d4"))["seq"] == 2


async def test_group_changes_are_kept_for_history_between_the_messages(client, trio):
    alice = trio["alice"]
    conv = await group(client, alice, ["bob"], "Verona")
    cid = conv["id"]
    await send(client, alice, cid, "one", "h1")
    added = await client.post(
        f"/api/v1/conversations/{cid}/members", json={"username": "carol"}, headers=alice
    )
    assert added.status_code == 201
    await send(client, alice, cid, "two", "h2")
    await client.patch(f"/api/v1/conversations/{cid}", json={"title": "Mantua"}, headers=alice)
    await client.delete(f"/api/v1/conversations/{cid}/members/bob", headers=trio["bob"])

    async def changes(who, **params):
        answer = await client.get(
            f"/api/v1/conversations/{cid}/changes", params=params, headers=who
        )
        assert answer.status_code == 200, answer.text
        return [
            (c["type"], c["seq"], c.get("user"), c.get("title")) for c in answer.json()["items"]
        ]

    everything = [
        ("member.added", 1, "carol", None),
        ("conversation.updated", 2, None, "Mantua"),
        ("member.removed", 2, "bob", None),
    ]
    assert await changes(alice) == everything
    # Between message 1 and message 2 only (a page of older history).
    assert await changes(alice, from_seq=0, to_seq=1) == everything[:1]
    # Carol joined after message 1: she sees from her own arrival on, like the messages.
    assert await changes(trio["carol"]) == everything
    # Someone outside sees nothing at all.
    assert (
        await client.get(f"/api/v1/conversations/{cid}/changes", headers=trio["dave"])
    ).status_code == 404
    # Pages.
    first = await client.get(f"/api/v1/conversations/{cid}/changes?limit=2", headers=alice)
    rest = await client.get(
        f"/api/v1/conversations/{cid}/changes",
        params={"cursor": first.json()["next_cursor"]},
        headers=alice,
    )
    assert [c["rev"] for c in first.json()["items"] + rest.json()["items"]] == sorted(
        c["rev"] for c in first.json()["items"] + rest.json()["items"]
    )
    assert len(first.json()["items"] + rest.json()["items"]) == 3
