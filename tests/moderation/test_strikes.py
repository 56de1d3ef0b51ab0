"""Strikes and standing: strikes given by moderators' decisions (through the API) suspend an
account when enough of them are active, citing exactly those; an expired strike does not
count; reversing a counted strike lifts the suspension it no longer justifies; a threshold of
0 never escalates; and `GET /api/v1/standing` and the "My standing" page show the person
everything (and nobody who reported or decided)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from plaza.accounts.models import User
from plaza.accounts.service.users import users_by_id
from plaza.clock import FakeClock
from plaza.moderation.models import Action
from plaza.runtime import Runtime
from tests.helpers import PASSWORD, befriend, log_in
from tests.moderation.helpers import (
    Headers,
    action_row,
    case_of,
    claim,
    decide,
    member,
    report,
    reverse,
    staff,
)
from tests.web.test_pages import csrf_of

DAY = 86400
CLAUSE_1 = "Do not send the same or nearly the same content to many people or places."


@dataclass
class World:
    author: Headers
    author_id: int
    moderator: Headers
    moments: list[int]  # the author's moments, each reported (a case waiting)


async def _world(app: FastAPI, client: httpx.AsyncClient, moments: int) -> World:
    """An author who posted `moments` moments, each reported by a friend for spam; a
    moderator. The strikes come later, by deciding the cases."""
    author, author_id = await member(client, "striker")
    friend, _ = await member(client, "watcher")
    await befriend(client, author, friend, "watcher")
    ids = []
    for n in range(moments):
        posted = await client.post("/api/v1/moments", json={"text": f"buy now {n}"}, headers=author)
        assert posted.status_code == 201, posted.text
        ids.append(posted.json()["id"])
        assert (await report(client, friend, "moment", ids[-1], "spam")).status_code == 201
    moderator = await staff(app, client, "mod_strikes")
    return World(author, author_id, moderator, ids)


async def _strike(client: httpx.AsyncClient, w: World, moment_id: int) -> int:
    """The moderator strikes the author for the moment: the strike's action id."""
    w.moderator = await log_in(client, "mod_strikes")  # sessions expire as the clock moves
    case = await case_of(client, w.moderator, "moment", moment_id)
    assert (await claim(client, w.moderator, case["id"])).status_code == 200
    decided = await decide(
        client,
        w.moderator,
        case["id"],
        action="strike",
        policy_id="spam",
        clause=1,
        explanation="The same advert, sent everywhere.",
    )
    assert decided.status_code == 200, decided.text
    return int(decided.json()["action"]["id"])


async def _person(app: FastAPI, user_id: int) -> User:
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        return (await users_by_id(session, {user_id}))[user_id]


async def _escalations(app: FastAPI, user_id: int) -> list[Action]:
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(Action)
            .where(Action.subject_id == user_id, Action.action == "suspend")
            .order_by(Action.id)
        )
        return list(rows)


async def _audit(app: FastAPI, client: httpx.AsyncClient, verb: str) -> list[dict]:
    admin = await staff(app, client, f"admin_{verb.replace('.', '_')}", role="admin")
    answer = await client.get("/api/v1/moderation/audit?limit=200", headers=admin)
    assert answer.status_code == 200, answer.text
    return [e for e in answer.json()["items"] if e["verb"] == verb]


async def _standing(client: httpx.AsyncClient, who: Headers) -> dict:
    answer = await client.get("/api/v1/standing", headers=who)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_three_strikes_suspend_the_account_citing_them(app, client, clock: FakeClock):
    w = await _world(app, client, 3)
    first = await _strike(client, w, w.moments[0])
    clock.advance(DAY)
    second = await _strike(client, w, w.moments[1])
    assert (await _person(app, w.author_id)).status == "active"
    assert await _escalations(app, w.author_id) == []
    clock.advance(DAY)

    third = await _strike(client, w, w.moments[2])

    person = await _person(app, w.author_id)
    assert person.status == "suspended"
    assert person.suspended_until == clock.now() + timedelta(days=7)
    [escalation] = await _escalations(app, w.author_id)
    assert escalation.counted_strikes == [first, second, third]
    assert (escalation.source, escalation.automated_decision) == ("automated", True)
    assert escalation.automated_detection is False  # a person reported, a moderator struck
    assert (escalation.policy_id, escalation.clause) == ("spam", 1)
    assert (escalation.surface, escalation.ref_id) == ("user", w.author_id)
    assert escalation.moderator_id is None
    assert "3 active strikes within the last 90 days" in escalation.explanation
    assert "(given on 2026-01-01, 2026-01-02 and 2026-01-03)" in escalation.explanation
    assert "suspended for 7 days" in escalation.explanation
    [entry] = await _audit(app, client, "strikes.escalate")
    assert entry["actor"] is None and entry["target"] == f"user:{w.author_id}"
    assert entry["details"]["counted_strikes"] == [first, second, third]
    assert entry["details"]["action_id"] == escalation.id
    # Signed out by the suspension; signing in again, they read their standing.
    assert (await client.get("/api/v1/me", headers=w.author)).status_code == 401
    again = await log_in(client, "striker")
    standing = await _standing(client, again)
    assert standing["status"] == "suspended"
    assert [s["id"] for s in standing["active_strikes"]] == [first, second, third]
    [shown] = standing["escalations"]
    assert shown["id"] == escalation.id and shown["counted_strikes"] == [first, second, third]


async def test_an_expired_strike_does_not_count(app, client, clock: FakeClock):
    w = await _world(app, client, 4)
    old = await _strike(client, w, w.moments[0])
    clock.advance(90 * DAY)  # exactly the expiry: no longer active
    second = await _strike(client, w, w.moments[1])
    third = await _strike(client, w, w.moments[2])
    assert (await _person(app, w.author_id)).status == "active"
    standing = await _standing(client, await log_in(client, "striker"))
    assert [s["id"] for s in standing["active_strikes"]] == [second, third]
    assert standing["expired_strikes"] == 1
    assert old not in [s["id"] for s in standing["active_strikes"]]

    fourth = await _strike(client, w, w.moments[3])

    [escalation] = await _escalations(app, w.author_id)
    assert escalation.counted_strikes == [second, third, fourth]
    assert (await _person(app, w.author_id)).status == "suspended"


async def test_reversing_a_counted_strike_lifts_the_escalation(app, client, clock: FakeClock):
    w = await _world(app, client, 4)
    strikes = [await _strike(client, w, w.moments[n]) for n in range(3)]
    [first_escalation] = await _escalations(app, w.author_id)
    clock.advance(DAY)
    # A fourth strike while over the threshold suspends again, counting all four.
    strikes.append(await _strike(client, w, w.moments[3]))
    escalations = await _escalations(app, w.author_id)
    assert [e.counted_strikes for e in escalations] == [strikes[:3], strikes]
    second_escalation = escalations[1]
    assert (await _person(app, w.author_id)).suspended_until == clock.now() + timedelta(days=7)

    await reverse(app, strikes[0])

    # The first counted it and its two others no longer reach 3: lifted. The second still
    # has three standing strikes: it stays, and the person stays suspended by it.
    assert (await action_row(app, first_escalation.id)).reversed_at == clock.now()
    assert (await action_row(app, second_escalation.id)).reversed_at is None
    person = await _person(app, w.author_id)
    assert person.status == "suspended"
    assert person.suspended_until == second_escalation.ends_at

    await reverse(app, strikes[3])

    assert (await action_row(app, second_escalation.id)).reversed_at == clock.now()
    person = await _person(app, w.author_id)
    assert person.status == "active" and person.suspended_until is None
    lifted = await _audit(app, client, "strikes.lift")
    assert [(e["actor"], e["details"]["action_id"]) for e in lifted] == [
        (None, second_escalation.id),
        (None, first_escalation.id),
    ]
    back = await log_in(client, "striker")
    standing = await _standing(client, back)
    assert standing["status"] == "active" and standing["escalations"] == []
    assert [s["id"] for s in standing["active_strikes"]] == strikes[1:3]
    posted = await client.post("/api/v1/moments", json={"text": "back"}, headers=back)
    assert posted.status_code == 201, posted.text


@pytest.mark.parametrize("strikes_to_suspend", [0])
async def test_a_threshold_of_zero_never_escalates(app, client, strikes_to_suspend):
    w = await _world(app, client, 4)
    for moment in w.moments:
        await _strike(client, w, moment)
    assert await _escalations(app, w.author_id) == []
    assert (await _person(app, w.author_id)).status == "active"
    standing = await _standing(client, w.author)
    assert len(standing["active_strikes"]) == 4
    assert standing["rule"] == {
        "strikes_to_suspend": 0,
        "strike_expiry_days": 90,
        "suspension_days": 7,
        "text": "A strike stays active for 90 days. Strikes do not suspend an account by "
        "themselves.",
    }


@pytest.fixture
def strikes_to_suspend() -> int:
    return 3


@pytest.fixture
def settings(settings, strikes_to_suspend):
    return settings.model_copy(update={"strikes_to_suspend": strikes_to_suspend})


async def _browser(app: FastAPI, stack: AsyncExitStack, username: str) -> httpx.AsyncClient:
    """A browser signed in through the sign-in form (its cookie)."""
    browser = await stack.enter_async_context(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://plaza.test")
    )
    page = await browser.get("/signin")
    signed = await browser.post(
        "/signin",
        data={"csrf_token": csrf_of(page), "username": username, "password": PASSWORD},
    )
    assert signed.status_code == 303, signed.text
    return browser


async def test_standing_shows_each_field(app, client, clock: FakeClock):
    w = await _world(app, client, 4)
    old = await _strike(client, w, w.moments[0])
    clock.advance(100 * DAY)
    given = clock.now()
    first = await _strike(client, w, w.moments[1])
    clock.advance(DAY)
    # A restriction on publishing, decided on a report of the person.
    reporter, _ = await member(client, "reporter_of_striker")
    assert (await report(client, reporter, "user", w.author_id, "spam")).status_code == 201
    case = await case_of(client, w.moderator, "user", w.author_id)
    assert (await claim(client, w.moderator, case["id"])).status_code == 200
    restricted = await decide(
        client,
        w.moderator,
        case["id"],
        action="restrict",
        policy_id="spam",
        clause=1,
        duration_days=3,
    )
    assert restricted.status_code == 200, restricted.text

    standing = await _standing(client, await log_in(client, "striker"))

    assert standing["status"] == "active" and standing["suspended_until"] is None
    assert standing["restricted_until"].startswith(
        (clock.now() + timedelta(days=3)).date().isoformat()
    )
    assert standing["active_strikes"] == [
        {
            "id": first,
            "policy_id": "spam",
            "policy_title": "Spam and scams",
            "clause": 1,
            "clause_text": CLAUSE_1,
            "surface": "moment",
            "ref_id": w.moments[1],
            "excerpt": "buy now 1",
            "created_at": standing["active_strikes"][0]["created_at"],
            "expires_at": standing["active_strikes"][0]["expires_at"],
        }
    ]
    strike = standing["active_strikes"][0]
    assert strike["created_at"].startswith(given.date().isoformat())
    assert strike["expires_at"].startswith((given + timedelta(days=90)).date().isoformat())
    assert standing["expired_strikes"] == 1 and old != first
    assert standing["rule"] == {
        "strikes_to_suspend": 3,
        "strike_expiry_days": 90,
        "suspension_days": 7,
        "text": "A strike stays active for 90 days. 3 active strikes within 90 days suspend "
        "the account for 7 days.",
    }
    assert standing["escalations"] == []
    # Never who reported, nor who decided.
    for name in ("watcher", "reporter_of_striker", "mod_strikes"):
        assert name not in str(standing)

    async with AsyncExitStack() as stack:
        browser = await _browser(app, stack, "striker")
        me = await browser.get("/me")
        assert 'href="/standing"' in me.text
        page = await browser.get("/standing")
        assert page.status_code == 200
        for shown in (
            "Your account is active.",
            "You may not publish moments, comments or articles until",
            "Spam and scams",
            CLAUSE_1,
            'For a moment: <q class="standing-excerpt">buy now 1</q>',
            f"given {given.date().isoformat()}",
            f"expires {(given + timedelta(days=90)).date().isoformat()}",
            "1 older strike expired and no longer counts.",
            "3 active strikes within 90 days suspend the account for 7 days.",
        ):
            assert shown in page.text, shown
        for name in ("watcher", "reporter_of_striker", "mod_strikes"):
            assert name not in page.text
    signed_out = await client.get("/standing")
    assert signed_out.status_code == 303
    assert (await client.get("/api/v1/standing")).status_code == 401


async def test_a_closed_person_reads_their_standing_and_page(app, client):
    w = await _world(app, client, 3)
    strikes = [await _strike(client, w, moment) for moment in w.moments]
    reporter, _ = await member(client, "closer_reporter")
    assert (await report(client, reporter, "user", w.author_id, "spam")).status_code == 201
    case = await case_of(client, w.moderator, "user", w.author_id)
    assert (await claim(client, w.moderator, case["id"])).status_code == 200
    closed = await decide(
        client, w.moderator, case["id"], action="close_account", policy_id="spam", clause=4
    )
    assert closed.status_code == 200, closed.text
    again = await log_in(client, "striker")
    standing = await _standing(client, again)
    assert standing["status"] == "closed"
    [escalation] = standing["escalations"]
    assert escalation["counted_strikes"] == strikes
    async with AsyncExitStack() as stack:
        browser = await _browser(app, stack, "striker")
        page = await browser.get("/standing")
        assert page.status_code == 200 and "Your account is closed." in page.text
        assert "Suspended for too many strikes" in page.text
        assert all(f'<a href="#strike-{strike}">2026-01-01</a>' in page.text for strike in strikes)
