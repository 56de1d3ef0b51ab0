"""Helpers for public accounts tests: people, accounts, drafts and publishing."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import register

API = "/api/v1"


async def people(client: httpx.AsyncClient, *names: str) -> dict[str, dict[str, str]]:
    """Register each name; returns name -> Authorization headers."""
    return {name: await register(client, name, f"{name.title()} Name") for name in names}


async def create_account(
    client: httpx.AsyncClient,
    who: dict[str, str],
    handle: str,
    name: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body = {"handle": handle, "name": name or handle.title(), **extra}
    answer = await client.post(f"{API}/public-accounts", json=body, headers=who)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def draft(
    client: httpx.AsyncClient, who: dict[str, str], handle: str, title: str, body: str = "text"
) -> dict[str, Any]:
    answer = await client.post(
        f"{API}/public-accounts/{handle}/articles", json={"title": title, "body": body}, headers=who
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def publish(
    client: httpx.AsyncClient, who: dict[str, str], handle: str, title: str, body: str = "text"
) -> dict[str, Any]:
    article = await draft(client, who, handle, title, body)
    answer = await client.post(f"{API}/articles/{article['id']}/publish", headers=who)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def subscribe(client: httpx.AsyncClient, who: dict[str, str], handle: str) -> None:
    answer = await client.post(f"{API}/public-accounts/{handle}/subscription", headers=who)
    assert answer.status_code == 200, answer.text
