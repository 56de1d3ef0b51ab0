"""Group commit: concurrent sends share transactions without losing order, numbers or
idempotency."""

from __future__ import annotations

import asyncio

from plaza.accounts.service.users import get_user
from plaza.chat.service.sending import Draft
from plaza.errors import NotFound
from tests.helpers import befriend, group, log_in, register


async def test_concurrent_sends_share_batches_and_stay_exact(client, app):
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    await befriend(client, bob, alice, "alice")
    conv = await group(client, alice, ["bob"])
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        ids = {n: (await get_user(session, username=n)).id for n in ("alice", "bob")}

    def draft(name: str, client_id: str, conversation_id: int = conv["id"]) -> Draft:
        return Draft(ids[name], conversation_id, client_id, f"text of {client_id}")

    drafts = [draft("alice" if i % 2 else "bob", f"k{i}") for i in range(12)]
    drafts.append(draft("alice", "k1"))  # a retry inside the same batch
    drafts.append(draft("bob", "k2", conversation_id=999_999))  # not a member: refused alone
    results = await asyncio.gather(
        *(runtime.chat_sends.send(d) for d in drafts), return_exceptions=True
    )
    assert isinstance(results[-1], NotFound)
    stored = results[:12]
    assert sorted(m["seq"] for m, created in stored) == list(range(1, 13))
    assert all(created for _, created in stored)
    retry, created = results[12]
    assert created is False and retry["id"] == stored[1][0]["id"]
    history = await client.get(
        f"/api/v1/conversations/{conv['id']}/messages?after_seq=0&limit=50", headers=bob
    )
    assert [m["client_id"] for m in history.json()["items"]] == [
        m["client_id"] for m, _ in sorted(stored, key=lambda r: r[0]["seq"])
    ]


async def test_a_send_checks_its_token_in_the_sending_transaction(client, clock):
    """An HTTP send's bearer token is looked up by the batch that stores it: a signed-out,
    expired or unknown token is a 401 and stores nothing, and sends sharing its batch go on."""
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    await befriend(client, bob, alice, "alice")
    conv = await group(client, alice, ["bob"])
    path = f"/api/v1/conversations/{conv['id']}/messages"
    phone = await log_in(client, "alice")
    assert (await client.delete("/api/v1/sessions/current", headers=phone)).status_code == 204

    def body(client_id: str) -> dict[str, str]:
        return {"client_id": client_id, "text": f"text of {client_id}"}

    answers = await asyncio.gather(
        client.post(path, json=body("from-phone"), headers=phone),
        client.post(path, json=body("unknown"), headers={"Authorization": "Bearer nobody"}),
        *(client.post(path, json=body(f"ok{i}"), headers=alice) for i in range(3)),
        client.post(path, json=body("bob"), headers=bob),
    )
    assert [a.status_code for a in answers] == [401, 401, 201, 201, 201, 201]
    assert answers[0].json()["error"]["code"] == "unauthorized"
    clock.advance(31 * 24 * 3600)  # past PLAZA_SESSION_TTL_DAYS: every session has expired
    assert (await client.post(path, json=body("late"), headers=alice)).status_code == 401
    fresh = await log_in(client, "bob")
    history = await client.get(f"{path}?after_seq=0&limit=50", headers=fresh)
    assert sorted(m["client_id"] for m in history.json()["items"]) == ["bob", "ok0", "ok1", "ok2"]
