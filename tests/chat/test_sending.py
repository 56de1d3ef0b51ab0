"""Group commit: concurrent sends share transactions without losing order, numbers or
idempotency."""

from __future__ import annotations

import asyncio

from plaza.accounts.service.users import get_user
from plaza.chat.service.sending import Draft
from plaza.errors import NotFound
from tests.helpers import befriend, group, register


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
