"""The accounts API over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from plaza.config import Settings
from tests.conftest import running_app
from tests.helpers import PASSWORD, befriend, log_in, register


async def test_register_log_in_and_me(client):
    response = await client.post(
        "/api/v1/accounts",
        json={"username": "Li_Lei", "password": PASSWORD, "display_name": "李雷"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body | {"session": None} == {
        "id": body["id"],
        "username": "li_lei",
        "display_name": "李雷",
        "session": None,
    }
    assert set(body["session"]) == {"token", "expires_at"}
    headers = await log_in(client, "LI_LEI")
    me = await client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["username"] == "li_lei"
    assert me.json()["display_name"] == "李雷"
    assert me.json()["role"] == "member"


async def test_session_answer_shape(client):
    await register(client, "hanmeimei")
    response = await client.post(
        "/api/v1/sessions", json={"username": "hanmeimei", "password": PASSWORD}
    )
    body = response.json()
    assert response.status_code == 201
    assert set(body) >= {"token", "expires_at", "user"}
    assert body["user"]["username"] == "hanmeimei"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ab", "password": PASSWORD, "display_name": "x"}, "username"),
        ({"username": "has space", "password": PASSWORD, "display_name": "x"}, "username"),
        ({"username": "a" * 33, "password": PASSWORD, "display_name": "x"}, "username"),
        ({"username": "ok_name", "password": "short", "display_name": "x"}, "password"),
        ({"username": "ok_name", "password": PASSWORD, "display_name": " "}, "display_name"),
        ({"username": "ok_name", "password": PASSWORD, "display_name": "x" * 65}, "display_name"),
        ({"username": "ok_name", "password": PASSWORD}, "display_name"),
        ({"username": 5, "password": PASSWORD, "display_name": "x"}, "username"),
    ],
)
async def test_bad_registration_names_the_field(client, body, field):
    response = await client.post("/api/v1/accounts", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["field"] == field
    assert error["message"]


async def test_username_taken_regardless_of_case(client):
    await register(client, "juliet")
    response = await client.post(
        "/api/v1/accounts",
        json={"username": "JULIET", "password": PASSWORD, "display_name": "Another"},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "username_taken"


async def test_failed_login_says_the_same_for_unknown_user_and_wrong_password(client):
    await register(client, "romeo")
    wrong = await client.post("/api/v1/sessions", json={"username": "romeo", "password": "x" * 12})
    unknown = await client.post(
        "/api/v1/sessions", json={"username": "nobody_here", "password": "x" * 12}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_log_out_revokes_the_token(client):
    headers = await register(client, "mercutio")
    assert (await client.delete("/api/v1/sessions/current", headers=headers)).status_code == 204
    after = await client.get("/api/v1/me", headers=headers)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "unauthorized"


async def test_expired_session_is_refused(client, clock):
    headers = await register(client, "tybalt")
    clock.advance(31 * 86400)
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_token_is_stored_only_as_a_hash(client, app):
    from sqlalchemy import select

    from plaza.accounts.models import Session

    headers = await register(client, "benvolio")
    token = headers["Authorization"].split()[1]
    async with app.state.runtime.sessions() as session:
        stored = list(await session.scalars(select(Session.token_hash)))
    assert stored and token not in stored


async def test_public_profile_and_404(client):
    headers = await register(client, "nurse")
    await register(client, "friar", "Friar Laurence")
    found = await client.get("/api/v1/users/FRIAR", headers=headers)
    assert found.status_code == 200
    assert found.json()["display_name"] == "Friar Laurence"
    assert "password_hash" not in found.json()
    missing = await client.get("/api/v1/users/ghost", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


async def test_malformed_json_is_a_422_not_a_500(client):
    response = await client.post(
        "/api/v1/accounts", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "error" in response.json()


async def test_body_over_the_limit_is_413(client):
    response = await client.post(
        "/api/v1/accounts",
        json={"username": "big", "password": "x" * 2_000_000, "display_name": "x"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


async def test_unknown_path_uses_the_error_shape(client):
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_registration_is_rate_limited_per_address(sqlite_settings: Settings):
    limited = sqlite_settings.model_copy(update={"register_per_address": "2/3600"})
    import httpx

    async with running_app(limited) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            codes = []
            for name in ("one_1", "two_2", "three_3"):
                response = await client.post(
                    "/api/v1/accounts",
                    json={"username": name, "password": PASSWORD, "display_name": name},
                )
                codes.append(response.status_code)
    assert codes == [201, 201, 429]


async def test_friend_request_accept_list_and_remove(client):
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    sent = await client.post(
        "/api/v1/friend-requests", json={"to": "bob", "message": "你好, it's Alice"}, headers=alice
    )
    assert sent.status_code == 201
    assert sent.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "from": "alice",
        "to": "bob",
        "message": "你好, it's Alice",
        "status": "pending",
        "created_at": "",
    }
    incoming = (await client.get("/api/v1/friend-requests", headers=bob)).json()["items"]
    assert [r["from"] for r in incoming] == ["alice"]
    outgoing = await client.get("/api/v1/friend-requests?direction=outgoing", headers=alice)
    assert [r["to"] for r in outgoing.json()["items"]] == ["bob"]
    # Only the recipient can accept.
    forbidden = await client.post(
        f"/api/v1/friend-requests/{sent.json()['id']}/accept", headers=alice
    )
    assert forbidden.status_code == 404
    accepted = await client.post(f"/api/v1/friend-requests/{sent.json()['id']}/accept", headers=bob)
    assert accepted.json()["status"] == "accepted"
    again = await client.post(f"/api/v1/friend-requests/{sent.json()['id']}/accept", headers=bob)
    assert again.status_code == 409
    for me, other in ((alice, "bob"), (bob, "alice")):
        friends = (await client.get("/api/v1/friends", headers=me)).json()
        assert [f["username"] for f in friends["items"]] == [other]
    assert (await client.delete("/api/v1/friends/bob", headers=alice)).status_code == 204
    assert (await client.get("/api/v1/friends", headers=bob)).json()["items"] == []
    assert (await client.delete("/api/v1/friends/bob", headers=alice)).status_code == 404


async def test_decline(client):
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    sent = await client.post("/api/v1/friend-requests", json={"to": "bob"}, headers=alice)
    declined = await client.post(
        f"/api/v1/friend-requests/{sent.json()['id']}/decline", headers=bob
    )
    assert declined.json()["status"] == "declined"
    assert (await client.get("/api/v1/friends", headers=alice)).json()["items"] == []
    assert (await client.get("/api/v1/friend-requests", headers=bob)).json()["items"] == []


async def test_request_to_yourself_or_nobody(client):
    alice = await register(client, "alice")
    me = await client.post("/api/v1/friend-requests", json={"to": "alice"}, headers=alice)
    assert me.status_code == 422
    nobody = await client.post("/api/v1/friend-requests", json={"to": "ghost"}, headers=alice)
    assert nobody.status_code == 404


async def test_blocked_person_is_not_told_and_blocker_never_sees_it(client):
    alice = await register(client, "alice")
    mallory = await register(client, "mallory")
    assert (
        await client.post("/api/v1/blocks", json={"username": "mallory"}, headers=alice)
    ).status_code == 201
    sent = await client.post("/api/v1/friend-requests", json={"to": "alice"}, headers=mallory)
    assert sent.status_code == 201
    assert sent.json()["status"] == "pending"
    assert (await client.get("/api/v1/friend-requests", headers=alice)).json()["items"] == []
    accept = await client.post(f"/api/v1/friend-requests/{sent.json()['id']}/accept", headers=alice)
    assert accept.status_code == 404
    # After unblocking, the request shows up.
    assert (await client.delete("/api/v1/blocks/mallory", headers=alice)).status_code == 204
    items = (await client.get("/api/v1/friend-requests", headers=alice)).json()["items"]
    assert [r["from"] for r in items] == ["mallory"]


async def test_friends_pagination_with_cursor(client):
    hub = await register(client, "hub_user")
    names = [f"pal_{i:02d}" for i in range(5)]
    for name in names:
        headers = await register(client, name)
        await befriend(client, headers, hub, "hub_user")
    seen, cursor = [], None
    while True:
        url = "/api/v1/friends?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(url, headers=hub)).json()
        seen += [f["username"] for f in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == names
    bad = await client.get("/api/v1/friends?cursor=garbage!!", headers=hub)
    assert bad.status_code == 422


async def test_asking_back_accepts(client):
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    await client.post("/api/v1/friend-requests", json={"to": "bob"}, headers=alice)
    back = await client.post("/api/v1/friend-requests", json={"to": "alice"}, headers=bob)
    assert back.json()["status"] == "accepted"
    assert [
        f["username"] for f in (await client.get("/api/v1/friends", headers=alice)).json()["items"]
    ] == ["bob"]


async def test_display_names_that_impersonate_are_refused(client):
    for display_name in ("Аlice", "Alice\u202e", "Al\u200bice"):
        answer = await client.post(
            "/api/v1/accounts",
            json={"username": "imposter", "password": PASSWORD, "display_name": display_name},
        )
        assert answer.status_code == 422, display_name
        assert answer.json()["error"]["field"] == "display_name"
    wide = await client.post(
        "/api/v1/accounts",
        json={"username": "wide", "password": PASSWORD, "display_name": "Ａｌｉｃｅ"},
    )
    assert wide.json()["display_name"] == "Alice"


async def test_registering_signs_in_with_one_password_hash(app, client):
    passwords = app.state.runtime.passwords
    calls: list[str] = []
    hash_, verify = passwords.hash, passwords.verify

    async def counted_hash(password):
        calls.append("hash")
        return await hash_(password)

    async def counted_verify(stored, password):
        calls.append("verify")
        return await verify(stored, password)

    passwords.hash, passwords.verify = counted_hash, counted_verify
    answer = await client.post(
        "/api/v1/accounts",
        json={"username": "newcomer", "password": PASSWORD, "display_name": "新人"},
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["username"] == "newcomer" and body["session"]["token"]
    assert calls == ["hash"]
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {body['session']['token']}"}
    )
    assert me.json()["display_name"] == "新人"
