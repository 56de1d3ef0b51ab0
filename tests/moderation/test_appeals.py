"""Appeals (issue #12 item 2): one per notice, within its window, reviewed by a moderator
other than the one who decided; a reversal undoes the action, and the person is told either
way. Every refusal is a tested 4xx that writes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from plaza.clock import FakeClock
from plaza.config import Settings
from tests.conftest import running_app
from tests.helpers import befriend, log_in
from tests.moderated import add_term
from tests.moderation.helpers import Headers, case_of, claim, decide, member, report, staff


@pytest.fixture
async def world(settings: Settings, clock: FakeClock):
    settings = settings.model_copy(update={"moderation_lists_check_seconds": 0})
    async with running_app(settings, clock) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
            yield app, client


async def _only_notice(client: httpx.AsyncClient, who: Headers) -> dict[str, Any]:
    answer = await client.get("/api/v1/notices", headers=who)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"][0]


async def _appeal(
    client: httpx.AsyncClient, who: Headers, notice_id: int, text: str = ""
) -> httpx.Response:
    body = {"text": text or "That moment quoted a film; nobody was threatened."}
    return await client.post(f"/api/v1/notices/{notice_id}/appeal", json=body, headers=who)


async def _struck_moment(app, client) -> tuple[Headers, Headers, Headers, int, int]:
    """A moment struck by moderator `mod_a` on a friend's report: (author, friend, mod_a,
    the moment's id, the notice's id)."""
    author, _ = await member(client, "author")
    friend, _ = await member(client, "friend")
    await befriend(client, author, friend, "friend")
    posted = await client.post(
        "/api/v1/moments", json={"text": "You are all idiots"}, headers=author
    )
    moment_id = posted.json()["id"]
    assert (await report(client, friend, "moment", moment_id)).status_code == 201
    mod_a = await staff(app, client, "mod_a")
    case = await case_of(client, mod_a, "moment", moment_id)
    assert (await claim(client, mod_a, case["id"])).status_code == 200
    decided = await decide(
        client, mod_a, case["id"], action="strike", policy_id="harassment", clause=1
    )
    assert decided.status_code == 200, decided.text
    notice = await _only_notice(client, author)
    return author, friend, mod_a, moment_id, notice["id"]


async def _timeline_of_friend(client: httpx.AsyncClient, friend: Headers) -> list[int]:
    answer = await client.get("/api/v1/users/author/moments", headers=friend)
    assert answer.status_code == 200, answer.text
    return [m["id"] for m in answer.json()["items"]]


async def _error(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    return answer.json()["error"]["code"]


async def test_a_reversed_appeal_restores_the_content_and_tells_the_author(world) -> None:
    app, client = world
    author, friend, mod_a, moment_id, notice_id = await _struck_moment(app, client)
    assert moment_id not in await _timeline_of_friend(client, friend)

    filed = await _appeal(client, author, notice_id)
    assert filed.status_code == 201, filed.text
    assert filed.json()["state"] == "pending" and filed.json()["notice_id"] == notice_id
    notice = await _only_notice(client, author)
    assert notice["appeal"]["state"] == "pending" and notice["appealable"] is False

    # The moderator who decided may not review it; another one may.
    queue = await client.get("/api/v1/moderation/appeals", headers=mod_a)
    [listed] = queue.json()["items"]
    assert listed["id"] == filed.json()["id"] and listed["appellant"] == "author"
    assert listed["statement"]["content"]["text"] == "You are all idiots"
    assert listed["action"]["action"] == "strike"
    appeal_id = listed["id"]
    assert (
        await _error(
            await client.post(f"/api/v1/moderation/appeals/{appeal_id}/claim", headers=mod_a), 403
        )
        == "own_decision"
    )
    mod_b = await staff(app, client, "mod_b")
    body = {"outcome": "reverse", "explanation": "A quotation, not an insult."}
    early = await client.post(
        f"/api/v1/moderation/appeals/{appeal_id}/decision", json=body, headers=mod_b
    )
    assert await _error(early, 409) == "not_claimed"
    claimed = await client.post(f"/api/v1/moderation/appeals/{appeal_id}/claim", headers=mod_b)
    assert claimed.status_code == 200 and claimed.json()["reviewer"] == "mod_b"
    mod_c = await staff(app, client, "mod_c")
    taken = await client.post(f"/api/v1/moderation/appeals/{appeal_id}/claim", headers=mod_c)
    assert await _error(taken, 409) == "already_claimed"
    decided = await client.post(
        f"/api/v1/moderation/appeals/{appeal_id}/decision", json=body, headers=mod_b
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "reversed"
    assert decided.json()["action"]["reversed_at"] is not None

    # The moment is back for her friend; the strike is gone from her standing.
    assert moment_id in await _timeline_of_friend(client, friend)
    outcome = await _only_notice(client, author)
    assert outcome["kind"] == "appeal_reversed" and outcome["appealable"] is False
    assert outcome["statement"]["appeal"]["explanation"] == "A quotation, not an insult."
    assert outcome["statement"]["appeal"]["outcome"] == "reversed"
    original = (await client.get(f"/api/v1/notices/{notice_id}", headers=author)).json()
    assert original["in_force"] is False and original["appeal"]["state"] == "reversed"
    assert original["appeal"]["explanation"] == "A quotation, not an insult."
    # An outcome is not itself appealable.
    assert await _error(await _appeal(client, author, outcome["id"]), 422) == "not_appealable"
    again = await client.post(
        f"/api/v1/moderation/appeals/{appeal_id}/decision", json=body, headers=mod_b
    )
    assert await _error(again, 409) == "appeal_decided"

    # Admins read both decisions in the audit log.
    admin = await staff(app, client, "boss", role="admin")
    entries = (await client.get("/api/v1/moderation/audit", headers=admin)).json()["items"]
    verbs = [(e["verb"], e["actor"]) for e in entries]
    assert ("appeal.decide", "mod_b") in verbs and ("appeal.claim", "mod_b") in verbs


async def test_an_upheld_appeal_leaves_the_action_and_says_why(world) -> None:
    app, client = world
    author, friend, _, moment_id, notice_id = await _struck_moment(app, client)
    assert (await _appeal(client, author, notice_id)).status_code == 201
    mod_b = await staff(app, client, "mod_b")
    [appeal] = (await client.get("/api/v1/moderation/appeals", headers=mod_b)).json()["items"]
    await client.post(f"/api/v1/moderation/appeals/{appeal['id']}/claim", headers=mod_b)
    body = {"outcome": "uphold", "explanation": "Insults aimed at named people."}
    decided = await client.post(
        f"/api/v1/moderation/appeals/{appeal['id']}/decision", json=body, headers=mod_b
    )
    assert decided.status_code == 200 and decided.json()["state"] == "upheld"
    assert moment_id not in await _timeline_of_friend(client, friend)
    outcome = await _only_notice(client, author)
    assert outcome["kind"] == "appeal_upheld"
    assert (
        outcome["statement"]["appeal"]["says"]
        == "Your appeal was reviewed and the decision stands."
    )
    assert (await client.get(f"/api/v1/notices/{notice_id}", headers=author)).json()["in_force"]


async def test_appeals_that_are_refused(world, clock: FakeClock) -> None:
    app, client = world
    author, friend, _, _, notice_id = await _struck_moment(app, client)
    # Someone else's notice reads like one that does not exist.
    assert await _error(await _appeal(client, friend, notice_id), 404) == "not_found"
    assert (await _appeal(client, friend, notice_id)).json() == (
        await _appeal(client, friend, 999_999)
    ).json()
    # Empty or too long.
    assert (await _appeal(client, author, notice_id, "   ")).status_code == 422
    too_long = "x" * (app.state.runtime.settings.appeal_max_chars + 1)
    assert (
        await _error(await _appeal(client, author, notice_id, too_long), 422) == "appeal_too_long"
    )
    # Nothing was written by the refusals.
    assert (await _only_notice(client, author))["appeal"] is None
    # Once; a second is a 409.
    assert (await _appeal(client, author, notice_id)).status_code == 201
    assert await _error(await _appeal(client, author, notice_id), 409) == "already_appealed"

    # After the window: a notice of a second strike, 181 days on.
    await add_term(app, "illegal_goods", 1, "meth")
    posted = await client.post("/api/v1/moments", json={"text": "meth here"}, headers=author)
    assert posted.status_code == 201
    late = await _only_notice(client, author)
    clock.advance(timedelta(days=180).total_seconds() - 60)
    author = await log_in(client, "author")  # half a year on: a new session
    still = await client.get(f"/api/v1/notices/{late['id']}", headers=author)
    assert still.json()["appealable"] is True
    clock.advance(120)
    answer = await _appeal(client, author, late["id"])
    assert await _error(answer, 409) == "appeal_window_closed"


async def test_a_suspended_person_appeals_and_a_reversal_reinstates_them(world) -> None:
    app, client = world
    _, person_id = await member(client, "suspended_one")
    reporter, _ = await member(client, "their_reporter")
    mod_a = await staff(app, client, "mod_s")
    assert (await report(client, reporter, "user", person_id)).status_code == 201
    case = await case_of(client, mod_a, "user", person_id)
    await claim(client, mod_a, case["id"])
    decided = await decide(
        client, mod_a, case["id"], action="suspend", policy_id="harassment", clause=1
    )
    assert decided.status_code == 200, decided.text
    signed_in = await log_in(client, "suspended_one")
    notice = await _only_notice(client, signed_in)
    assert (await _appeal(client, signed_in, notice["id"])).status_code == 201
    mod_b = await staff(app, client, "mod_t")
    [appeal] = (await client.get("/api/v1/moderation/appeals", headers=mod_b)).json()["items"]
    await client.post(f"/api/v1/moderation/appeals/{appeal['id']}/claim", headers=mod_b)
    body = {"outcome": "reverse", "explanation": "The report was mistaken."}
    answer = await client.post(
        f"/api/v1/moderation/appeals/{appeal['id']}/decision", json=body, headers=mod_b
    )
    assert answer.status_code == 200, answer.text
    # The account is active again: they may post.
    again = await log_in(client, "suspended_one")
    posted = await client.post("/api/v1/moments", json={"text": "back again"}, headers=again)
    assert posted.status_code == 201, posted.text


async def test_members_cannot_reach_the_appeal_queue(world) -> None:
    _, client = world
    someone, _ = await member(client, "nosy")
    unknown = await client.get("/api/v1/no-such-route", headers=someone)
    for path in ("/api/v1/moderation/appeals", "/api/v1/moderation/appeals/1"):
        answer = await client.get(path, headers=someone)
        assert answer.status_code == 404 and answer.json() == unknown.json()
    claimed = await client.post("/api/v1/moderation/appeals/1/claim", headers=someone)
    assert claimed.status_code == 404 and claimed.json() == unknown.json()


async def test_the_queue_pages_the_oldest_first(world) -> None:
    """Three appeals, two a page: the cursor carries on after the last one shown."""
    app, client = world
    await add_term(app, "illegal_goods", 1, "meth")
    filed = []
    for n in range(3):
        author, _ = await member(client, f"seller{n}")
        posted = await client.post(
            "/api/v1/moments", json={"text": f"meth here {n}"}, headers=author
        )
        assert posted.status_code == 201, posted.text
        notice = await _only_notice(client, author)
        appealed = await _appeal(client, author, notice["id"])
        assert appealed.status_code == 201, appealed.text
        filed.append(appealed.json()["id"])
    moderator = await staff(app, client, "queue_reader")
    url = "/api/v1/moderation/appeals?limit=2"
    first = (await client.get(url, headers=moderator)).json()
    assert [a["id"] for a in first["items"]] == filed[:2]
    second = await client.get(f"{url}&cursor={first['next_cursor']}", headers=moderator)
    assert [a["id"] for a in second.json()["items"]] == filed[2:]
    assert second.json()["next_cursor"] is None
