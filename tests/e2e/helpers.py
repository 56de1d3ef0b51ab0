"""JSON API shortcuts for setting up browser tests (people, friends, groups, messages)."""

from __future__ import annotations

import uuid

import httpx

from tests.processes import ServerProcess


def api(server: ServerProcess, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url + "/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def list_term(
    server: ServerProcess, username: str, password: str, term: str, policy_id: str = "illegal_goods"
) -> None:
    """A moderator signs in and lists `term` under clause 1 of `policy_id`, through the API the
    console's lists page uses (it acts at once)."""
    with httpx.Client(base_url=server.url + "/api/v1", timeout=30) as client:
        signed = client.post("/sessions", json={"username": username, "password": password})
        token = signed.raise_for_status().json()["token"]
    with api(server, token) as client:
        body = {"policy_id": policy_id, "clause": 1, "term": term}
        client.post("/moderation/terms", json=body).raise_for_status()


def create_group(server: ServerProcess, token: str, title: str, members: list[str]) -> int:
    with api(server, token) as client:
        answer = client.post(
            "/conversations", json={"kind": "group", "members": members, "title": title}
        )
        answer.raise_for_status()
        return answer.json()["id"]


def post_messages(
    server: ServerProcess, token: str, conversation_id: int, texts: list[str]
) -> list[dict]:
    sent = []
    with api(server, token) as client:
        for text in texts:
            answer = client.post(
                f"/conversations/{conversation_id}/messages",
                json={"client_id": uuid.uuid4().hex, "text": text},
            )
            answer.raise_for_status()
            sent.append(answer.json())
    return sent


def request_friendship(server: ServerProcess, token: str, to: str, message: str = "hi") -> int:
    with api(server, token) as client:
        answer = client.post("/friend-requests", json={"to": to, "message": message})
        answer.raise_for_status()
        return answer.json()["id"]


def messages_of(server: ServerProcess, token: str, conversation_id: int) -> list[dict]:
    with api(server, token) as client:
        answer = client.get(f"/conversations/{conversation_id}/messages?limit=200")
        answer.raise_for_status()
        return answer.json()["items"]


def befriend(server: ServerProcess, token: str, other_token: str, other_username: str) -> None:
    """Two registered people become friends (a request and its acceptance)."""
    request_id = request_friendship(server, token, other_username)
    with api(server, other_token) as client:
        client.post(f"/friend-requests/{request_id}/accept").raise_for_status()
