"""Deciding a claimed case: what each action does to the person reported, what is refused
(and that a refusal writes nothing), the audit trail, and reversing an action."""

from __future__ import annotations

import itertools
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from plaza.accounts.models import User
from plaza.accounts.service.users import users_by_id
from plaza.clock import FakeClock
from plaza.errors import Conflict
from plaza.runtime import Runtime
from tests.helpers import log_in
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

ADMINS = itertools.count()
ACTION_KEYS = {
    "id",
    "action",
    "policy_id",
    "clause",
    "explanation",
    "ends_at",
    "created_at",
    "source",
    "reversed_at",
}


async def _claimed_case(
    app: FastAPI, client: httpx.AsyncClient, name: str
) -> tuple[Headers, Headers, int, int]:
    """A reported person (headers, id), a moderator who claimed the case, and the case id."""
    person_h, person = await member(client, name)
    reporter, _ = await member(client, f"rep_{name}")
    assert (await report(client, reporter, "user", person, "harassment")).status_code == 201
    moderator = await staff(app, client, f"mod_{name}")
    case = await case_of(client, moderator, "user", person)
    assert (await claim(client, moderator, case["id"])).status_code == 200
    return person_h, moderator, person, case["id"]


async def _person(app: FastAPI, user_id: int) -> User:
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        return (await users_by_id(session, {user_id}))[user_id]


async def _audit(app: FastAPI, client: httpx.AsyncClient) -> list[dict]:
    admin = await staff(app, client, f"admin_{next(ADMINS)}", role="admin")
    answer = await client.get("/api/v1/moderation/audit?limit=200", headers=admin)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def test_suspension_for_a_time(app, client, clock: FakeClock) -> None:
    person_h, moderator, person, case_id = await _claimed_case(app, client, "suspendee")
    decided = await decide(
        client,
        moderator,
        case_id,
        action="suspend",
        policy_id="harassment",
        clause=1,
        duration_days=7,
        explanation="Threats in your messages to several people.",
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert set(body) == {"case", "action"} and set(body["action"]) == ACTION_KEYS
    assert body["case"]["state"] == "closed"
    action = body["action"]
    assert action["action"] == "suspend" and action["policy_id"] == "harassment"
    assert action["clause"] == 1 and action["source"] == "report"
    assert action["explanation"] == "Threats in your messages to several people."
    assert action["ends_at"].startswith((clock.now() + timedelta(days=7)).date().isoformat())
    assert body["case"]["actions"] == [action]

    # Signed out everywhere; may sign in again, to read and export, but not to post.
    assert (await client.get("/api/v1/me", headers=person_h)).status_code == 401
    again = await log_in(client, "suspendee")
    refused = await client.post("/api/v1/moments", json={"text": "hello"}, headers=again)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "account_suspended"
    stored = await _person(app, person)
    assert stored.status == "suspended"
    assert stored.suspended_until == clock.now() + timedelta(days=7)

    entries = await _audit(app, client)
    decided_entry = next(e for e in entries if e["verb"] == "case.decide")
    assert decided_entry["actor"] == "mod_suspendee"
    assert decided_entry["target"] == f"case:{case_id}"
    assert decided_entry["details"]["explanation"] == "Threats in your messages to several people."
    assert decided_entry["details"]["action"] == "suspend"
    assert decided_entry["details"]["duration_days"] == 7
    claim_entry = next(e for e in entries if e["verb"] == "case.claim")
    assert claim_entry["target"] == f"case:{case_id}"
    assert entries.index(decided_entry) < entries.index(claim_entry)  # newest first


async def test_suspension_until_reinstated_and_closing(app, client) -> None:
    _, moderator, person, case_id = await _claimed_case(app, client, "indefinite")
    decided = await decide(
        client, moderator, case_id, action="suspend", policy_id="harassment", clause=2
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["action"]["ends_at"] is None
    stored = await _person(app, person)
    assert stored.status == "suspended" and stored.suspended_until is None

    closer_h, closer_mod, closed_id, closed_case = await _claimed_case(app, client, "closee")
    closed = await decide(
        client, closer_mod, closed_case, action="close_account", policy_id="harassment", clause=1
    )
    assert closed.status_code == 200, closed.text
    assert (await _person(app, closed_id)).status == "closed"
    assert (await client.get("/api/v1/me", headers=closer_h)).status_code == 401


async def test_restriction_strike_and_no_action(app, client, clock: FakeClock) -> None:
    person_h, moderator, person, case_id = await _claimed_case(app, client, "restrictee")
    decided = await decide(
        client,
        moderator,
        case_id,
        action="restrict",
        policy_id="harassment",
        clause=1,
        duration_days=3,
    )
    assert decided.status_code == 200, decided.text
    stored = await _person(app, person)
    assert stored.restricted_until == clock.now() + timedelta(days=3)
    assert stored.status == "active"
    # A restriction does not sign anyone out.
    assert (await client.get("/api/v1/me", headers=person_h)).status_code == 200

    _, striker, struck, strike_case = await _claimed_case(app, client, "strikee")
    strike = await decide(client, striker, strike_case, action="strike", policy_id="spam", clause=1)
    assert strike.status_code == 200, strike.text
    assert strike.json()["action"]["action"] == "strike"
    assert (await _person(app, struck)).status == "active"

    _, calm, spared, spared_case = await _claimed_case(app, client, "spared")
    nothing = await decide(client, calm, spared_case, action="no_action", explanation="Fine.")
    assert nothing.status_code == 200, nothing.text
    assert nothing.json()["action"]["policy_id"] is None
    assert nothing.json()["case"]["state"] == "closed"
    assert (await _person(app, spared)).status == "active"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"action": "suspend", "policy_id": "nope", "clause": 1}, 422, "unknown_policy"),
        ({"action": "suspend", "policy_id": "harassment", "clause": 42}, 422, "unknown_clause"),
        ({"action": "suspend", "policy_id": "harassment"}, 422, "unknown_clause"),
        ({"action": "strike", "clause": 1}, 422, "unknown_policy"),
        ({"action": "restrict", "policy_id": "spam", "clause": 1}, 422, "invalid"),
        ({"action": "remove_content", "policy_id": "spam", "clause": 1}, 422, "not_content"),
        (
            {"action": "strike", "policy_id": "spam", "clause": 1, "duration_days": 3},
            422,
            "invalid",
        ),
        ({"action": "suspend", "policy_id": "spam", "clause": 1, "duration_days": 0}, 422, None),
        ({"action": "suspend", "policy_id": "spam", "clause": 1, "duration_days": 3651}, 422, None),
        ({"action": "ban", "policy_id": "spam", "clause": 1}, 422, None),
        ({"action": "no_action", "explanation": "   "}, 422, None),
        ({"action": "no_action", "explanation": "x" * 2001}, 422, None),
        ({"action": "no_action", "explanation": "nul\x00"}, 422, None),
    ],
)
async def test_refused_decisions_change_nothing(app, client, body, status, code) -> None:
    person_h, moderator, person, case_id = await _claimed_case(app, client, "refusee")
    answer = await decide(client, moderator, case_id, **body)
    assert answer.status_code == status, answer.text
    if code:
        assert answer.json()["error"]["code"] == code
    case = await client.get(f"/api/v1/moderation/cases/{case_id}", headers=moderator)
    assert case.json()["state"] == "claimed" and case.json()["actions"] == []
    assert (await _person(app, person)).status == "active"
    assert (await client.get("/api/v1/me", headers=person_h)).status_code == 200
    assert [e["verb"] for e in await _audit(app, client)] == ["case.claim"]


async def test_deciding_needs_my_claim(app, client) -> None:
    _, moderator, _, case_id = await _claimed_case(app, client, "contested")
    other = await staff(app, client, "other_mod")
    body = {"action": "no_action"}
    not_mine = await decide(client, other, case_id, **body)
    assert not_mine.status_code == 409 and not_mine.json()["error"]["code"] == "not_claimed"

    reporter, _ = await member(client, "second_reporter")
    _, fresh = await member(client, "unclaimed")
    assert (await report(client, reporter, "user", fresh)).status_code == 201
    open_case = await case_of(client, moderator, "user", fresh)
    unclaimed = await decide(client, moderator, open_case["id"], **body)
    assert unclaimed.status_code == 409 and unclaimed.json()["error"]["code"] == "not_claimed"

    assert (await decide(client, moderator, case_id, **body)).status_code == 200
    twice = await decide(client, moderator, case_id, **body)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "case_closed"
    missing = await decide(client, moderator, 987654, **body)
    assert missing.status_code == 404


async def test_every_account_action_can_be_reversed(app, client) -> None:
    decided = {}
    for name, body in (
        ("rev_suspend", {"action": "suspend", "duration_days": 5}),
        ("rev_close", {"action": "close_account"}),
        ("rev_restrict", {"action": "restrict", "duration_days": 5}),
    ):
        _, moderator, person, case_id = await _claimed_case(app, client, name)
        answer = await decide(client, moderator, case_id, policy_id="harassment", clause=1, **body)
        assert answer.status_code == 200, answer.text
        decided[name] = (person, answer.json()["action"]["id"])
    for name, (person, action_id) in decided.items():
        await reverse(app, action_id)
        stored = await _person(app, person)
        assert stored.status == "active", name
        assert stored.suspended_until is None and stored.restricted_until is None, name
        assert (await action_row(app, action_id)).reversed_at is not None
        # Signed out by the suspension or closure, they sign in and post again.
        back = await log_in(client, name)
        posted = await client.post("/api/v1/moments", json={"text": "back"}, headers=back)
        assert posted.status_code == 201, (name, posted.text)
    with pytest.raises(Conflict, match="already reversed"):
        await reverse(app, decided["rev_close"][1])


async def test_lifting_one_suspension_leaves_a_longer_one(app, client, clock: FakeClock) -> None:
    _, first_mod, person, first_case = await _claimed_case(app, client, "twice_suspended")
    long = await decide(
        client,
        first_mod,
        first_case,
        action="suspend",
        policy_id="spam",
        clause=1,
        duration_days=30,
    )
    assert long.status_code == 200, long.text
    reporter, _ = await member(client, "later_reporter")
    assert (await report(client, reporter, "user", person, "spam")).status_code == 201
    second_mod = await staff(app, client, "second_suspender")
    case = await case_of(client, second_mod, "user", person)
    assert (await claim(client, second_mod, case["id"])).status_code == 200
    short = await decide(
        client,
        second_mod,
        case["id"],
        action="suspend",
        policy_id="spam",
        clause=1,
        duration_days=2,
    )
    assert short.status_code == 200, short.text
    # The longer suspension stands.
    assert (await _person(app, person)).suspended_until == clock.now() + timedelta(days=30)
    await reverse(app, long.json()["action"]["id"])
    stored = await _person(app, person)
    assert stored.status == "suspended"
    assert stored.suspended_until == clock.now() + timedelta(days=2)
    await reverse(app, short.json()["action"]["id"])
    assert (await _person(app, person)).status == "active"
