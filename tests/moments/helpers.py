"""Helpers for moments tests: people with friendships, posting, reading as someone."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import befriend, register

API = "/api/v1"


async def people(client: httpx.AsyncClient, *names: str) -> dict[str, dict[str, str]]:
    """Register each name; returns name -> Authorization headers."""
    return {name: await register(client, name, f"{name.title()} Name") for name in names}


async def friends(client: httpx.AsyncClient, heads: dict[str, dict[str, str]], *pairs: str):
    """Make friends of each "a-b" pair."""
    for pair in pairs:
        a, b = pair.split("-")
        await befriend(client, heads[a], heads[b], b)


async def post(
    client: httpx.AsyncClient,
    who: dict[str, str],
    text: str,
    mode: str = "friends",
    usernames: list[str] | None = None,
    labels: list[int] | None = None,
    media_ids: list[int] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "text": text,
        "visibility": {"mode": mode, "usernames": usernames or [], "labels": labels or []},
    }
    if media_ids:
        body["media_ids"] = media_ids
    answer = await client.post(f"{API}/moments", json=body, headers=who)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def timeline_texts(client: httpx.AsyncClient, who: dict[str, str]) -> list[str]:
    answer = await client.get(f"{API}/moments/timeline", headers=who)
    assert answer.status_code == 200, answer.text
    return [m["text"] for m in answer.json()["items"]]


async def label(client: httpx.AsyncClient, who: dict[str, str], name: str, members: list[str]):
    answer = await client.post(
        f"{API}/labels", json={"name": name, "members": members}, headers=who
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def sees(client: httpx.AsyncClient, who: dict[str, str], moment_id: int) -> bool:
    """Whether `who` can open the moment (200) rather than being told it is not there."""
    answer = await client.get(f"{API}/moments/{moment_id}", headers=who)
    assert answer.status_code in (200, 404), answer.text
    return answer.status_code == 200
