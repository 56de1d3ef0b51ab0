"""The keyword and hash lists through the API: moderators list, add and remove entries per
policy clause; bad entries are refused; every change is audited and announced to every node."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from plaza.moderation.list_cache import TOPIC
from plaza.moderation.service.screening import screen
from plaza.moderation.setup import moderation_of
from plaza.moderation.verdicts import Content, Verdict
from plaza.runtime import Runtime
from tests.moderation.helpers import Headers, member, staff

TERMS = "/api/v1/moderation/terms"
HASHES = "/api/v1/moderation/hashes"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


async def _add(client: httpx.AsyncClient, who: Headers, url: str, **body) -> httpx.Response:
    return await client.post(url, json=body, headers=who)


async def test_terms_are_added_listed_and_removed(app: FastAPI, client) -> None:
    moderator = await staff(app, client, "list_mod")
    runtime: Runtime = app.state.runtime
    heard: asyncio.Queue[bytes] = asyncio.Queue()
    await runtime.bus.subscribe(TOPIC, lambda _topic, payload: heard.put_nowait(payload))

    added = await _add(client, moderator, TERMS, policy_id="illegal_goods", clause=1, term=" meth ")
    assert added.status_code == 201, added.text
    term = added.json()
    assert set(term) == {"id", "policy_id", "clause", "term", "exception", "created_at"}
    assert term["term"] == "meth" and term["exception"] is False and term["clause"] == 1
    assert await asyncio.wait_for(heard.get(), 5)

    again = await _add(client, moderator, TERMS, policy_id="illegal_goods", clause=2, term="meth")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_listed"
    # The same words as an exception are an entry of their own.
    exception = await _add(
        client, moderator, TERMS, policy_id="illegal_goods", clause=1, term="meth", exception=True
    )
    assert exception.status_code == 201, exception.text
    chinese = await _add(client, moderator, TERMS, policy_id="sexual", clause=1, term="卖淫")
    assert chinese.status_code == 201, chinese.text

    listed = await client.get(TERMS, headers=moderator)
    assert [t["term"] for t in listed.json()["items"]] == ["卖淫", "meth", "meth"]
    only = await client.get(f"{TERMS}?policy_id=illegal_goods&limit=1", headers=moderator)
    assert [t["id"] for t in only.json()["items"]] == [exception.json()["id"]]
    rest = await client.get(
        f"{TERMS}?policy_id=illegal_goods&limit=1&cursor={only.json()['next_cursor']}",
        headers=moderator,
    )
    assert [t["id"] for t in rest.json()["items"]] == [term["id"]]
    assert rest.json()["next_cursor"] is None

    gone = await client.delete(f"{TERMS}/{term['id']}", headers=moderator)
    assert gone.status_code == 204
    assert await asyncio.wait_for(heard.get(), 5)
    assert (await client.delete(f"{TERMS}/{term['id']}", headers=moderator)).status_code == 404
    after = await client.get(f"{TERMS}?policy_id=illegal_goods", headers=moderator)
    assert [t["id"] for t in after.json()["items"]] == [exception.json()["id"]]

    admin = await staff(app, client, "list_admin", role="admin")
    log = (await client.get("/api/v1/moderation/audit", headers=admin)).json()["items"]
    assert [e["verb"] for e in log] == ["terms.remove", "terms.add", "terms.add", "terms.add"]
    assert log[0]["actor"] == "list_mod" and log[0]["target"] == f"term:{term['id']}"
    assert log[0]["details"] == {
        "policy_id": "illegal_goods",
        "clause": 1,
        "term": "meth",
        "exception": False,
    }


async def _screened(app: FastAPI, author_id: int, moment_id: int, text: str) -> Verdict:
    """Screen an edit of the author's moment to `text`."""
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        content = Content(
            surface="moment", ref_id=moment_id, author_id=author_id, text=text, public=True
        )
        verdict = await screen(session, moderation=moderation_of(app), content=content)
        await session.commit()
    return verdict


async def test_a_listed_term_acts_at_once_and_stops_when_removed(app: FastAPI, client) -> None:
    moderator = await staff(app, client, "acting_mod")
    heads, author = await member(client, "author")
    posted = await client.post("/api/v1/moments", json={"text": "hello"}, headers=heads)
    assert posted.status_code == 201, posted.text
    moment = posted.json()["id"]
    text = "fresh crystal meth for sale"
    assert (await _screened(app, author, moment, text)).outcome == "allow"
    added = await _add(client, moderator, TERMS, policy_id="illegal_goods", clause=2, term="meth")
    assert added.status_code == 201, added.text
    verdict = await _screened(app, author, moment, text)
    assert verdict.outcome != "allow"
    assert (verdict.policy_id, verdict.clause) == ("illegal_goods", 2)
    gone = await client.delete(f"{TERMS}/{added.json()['id']}", headers=moderator)
    assert gone.status_code == 204
    assert (await _screened(app, author, moment, text)).outcome == "allow"


async def test_bad_terms_are_refused(app, client) -> None:
    moderator = await staff(app, client, "strict_mod")
    for body, code in (
        ({"policy_id": "nope", "clause": 1, "term": "x1"}, "unknown_policy"),
        ({"policy_id": "spam", "clause": 100, "term": "x1"}, "invalid"),
        ({"policy_id": "spam", "clause": 9, "term": "x1"}, "unknown_clause"),
        ({"policy_id": "spam", "clause": 1, "term": "..."}, "invalid"),
        ({"policy_id": "spam", "clause": 1, "term": "\u200b"}, "invalid"),
        ({"policy_id": "spam", "clause": 1, "term": "a\nb"}, "invalid"),
        ({"policy_id": "spam", "clause": 1, "term": "x" * 201}, "invalid"),
        ({"policy_id": "spam", "clause": 1, "term": ""}, "invalid"),
        ({"policy_id": "spam", "clause": "1", "term": "x1"}, "invalid"),
        ({"policy_id": "spam", "clause": 1}, "invalid"),
    ):
        answer = await client.post(TERMS, json=body, headers=moderator)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["error"]["code"] == code, (body, answer.text)
    assert (await client.get(TERMS, headers=moderator)).json()["items"] == []
    assert (await client.get(f"{TERMS}?policy_id=nope", headers=moderator)).status_code == 422
    assert (await client.get(f"{TERMS}?cursor=e30", headers=moderator)).status_code == 422


async def test_hashes_are_added_listed_and_removed(app, client) -> None:
    moderator = await staff(app, client, "hash_mod")
    added = await _add(client, moderator, HASHES, policy_id="csam", clause=1, hash=PDQ.upper())
    assert added.status_code == 201, added.text
    listed = added.json()
    assert set(listed) == {"id", "policy_id", "clause", "hash", "created_at"}
    assert listed["hash"] == PDQ  # stored lower-case, so one hash is listed once
    again = await _add(client, moderator, HASHES, policy_id="csam", clause=1, hash=PDQ)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_listed"
    for bad in (PDQ[:-1], PDQ + "0", "g" * 64, ""):
        answer = await _add(client, moderator, HASHES, policy_id="csam", clause=1, hash=bad)
        assert answer.status_code == 422, (bad, answer.text)
    page = await client.get(f"{HASHES}?policy_id=csam", headers=moderator)
    assert [h["hash"] for h in page.json()["items"]] == [PDQ]
    assert (await client.delete(f"{HASHES}/{listed['id']}", headers=moderator)).status_code == 204
    assert (await client.get(HASHES, headers=moderator)).json()["items"] == []
    # Both changes are in the audit log, the moderator's.
    admin = await staff(app, client, "hash_admin", role="admin")
    log = (await client.get("/api/v1/moderation/audit", headers=admin)).json()["items"]
    assert [(e["verb"], e["actor"], e["target"]) for e in log] == [
        ("hashes.remove", "hash_mod", f"hash:{listed['id']}"),
        ("hashes.add", "hash_mod", f"hash:{listed['id']}"),
    ]
    assert log[1]["details"]["hash"] == PDQ and log[1]["details"]["policy_id"] == "csam"


async def test_members_cannot_touch_the_lists(app, client) -> None:
    moderator = await staff(app, client, "owner_mod")
    plain, _ = await member(client, "plain")
    added = await _add(client, moderator, TERMS, policy_id="spam", clause=1, term="buy now")
    term_id = added.json()["id"]
    for method, url in (("GET", TERMS), ("DELETE", f"{TERMS}/{term_id}"), ("GET", HASHES)):
        assert (await client.request(method, url, headers=plain)).status_code == 404
    refused = await _add(client, plain, TERMS, policy_id="spam", clause=1, term="x1")
    assert refused.status_code == 404
    listed = (await client.get(TERMS, headers=moderator)).json()["items"]
    assert [t["id"] for t in listed] == [term_id]
