"""Friend requests are limited per person, and a declined request cannot be repeated at once
(issue #6 item 5)."""

from __future__ import annotations

import httpx

from tests.conftest import running_app
from tests.helpers import register


async def test_friend_requests_per_person_are_limited(settings, clock):
    limited = settings.model_copy(update={"friend_requests_per_person": "3/3600"})
    async with running_app(limited, clock) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            spammer = await register(client, "spammer")
            for n in range(4):
                await register(client, f"target_{n}")
            codes = []
            for n in range(4):
                answer = await client.post(
                    "/api/v1/friend-requests", json={"to": f"target_{n}"}, headers=spammer
                )
                codes.append(answer.status_code)
            assert codes == [201, 201, 201, 429]
            assert int(answer.headers["retry-after"]) >= 1
            # The fourth was not stored.
            target = await client.post(
                "/api/v1/sessions",
                json={"username": "target_3", "password": "correct horse battery"},
            )
            headers = {"Authorization": f"Bearer {target.json()['token']}"}
            incoming = await client.get("/api/v1/friend-requests", headers=headers)
            assert incoming.json()["items"] == []


async def test_a_declined_request_waits_out_the_cool_down(client, clock):
    romeo = await register(client, "romeo")
    rosaline = await register(client, "rosaline")
    asked = await client.post("/api/v1/friend-requests", json={"to": "rosaline"}, headers=romeo)
    declined = await client.post(
        f"/api/v1/friend-requests/{asked.json()['id']}/decline", headers=rosaline
    )
    assert declined.json()["status"] == "declined"
    again = await client.post("/api/v1/friend-requests", json={"to": "rosaline"}, headers=romeo)
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "rate_limited"
    assert 0 < int(again.headers["retry-after"]) <= 86400
    incoming = await client.get("/api/v1/friend-requests", headers=rosaline)
    assert incoming.json()["items"] == []
    clock.advance(86400 + 1)
    later = await client.post("/api/v1/friend-requests", json={"to": "rosaline"}, headers=romeo)
    assert later.status_code == 201
    assert later.json()["status"] == "pending"
