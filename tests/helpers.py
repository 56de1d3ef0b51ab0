"""Small API helpers for tests: register people, make friends, start chats."""

from __future__ import annotations

import httpx

PASSWORD = "correct horse battery"


async def register(client: httpx.AsyncClient, username: str, display_name: str | None = None):
    """Register (which signs in); returns the Authorization headers."""
    response = await client.post(
        "/api/v1/accounts",
        json={"username": username, "password": PASSWORD, "display_name": display_name or username},
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['session']['token']}"}


async def log_in(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/sessions", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def befriend(client: httpx.AsyncClient, a: dict, b: dict, b_name: str) -> None:
    response = await client.post(
        "/api/v1/friend-requests", json={"to": b_name, "message": "hi"}, headers=a
    )
    assert response.status_code == 201, response.text
    accept = await client.post(f"/api/v1/friend-requests/{response.json()['id']}/accept", headers=b)
    assert accept.status_code == 200, accept.text


async def group(client: httpx.AsyncClient, owner: dict, members: list[str], title: str = "g"):
    response = await client.post(
        "/api/v1/conversations",
        json={"kind": "group", "members": members, "title": title},
        headers=owner,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def send(client: httpx.AsyncClient, who: dict, conversation_id: int, text: str, cid: str):
    response = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"client_id": cid, "text": text},
        headers=who,
    )
    assert response.status_code in (200, 201), response.text
    return response.json()
