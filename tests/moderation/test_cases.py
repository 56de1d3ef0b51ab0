"""The moderators' queue: who may reach it, its order and pages, claiming a case."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from plaza.clock import FakeClock
from tests.moderation.helpers import case_of, claim, member, report, staff
from tests.test_authorization import _flatten

SUMMARY_KEYS = {
    "id",
    "surface",
    "ref_id",
    "state",
    "severity",
    "source",
    "report_count",
    "opened_at",
    "claimed_by",
    "subject",
    "policies",
    "excerpt",
}
DETAIL_KEYS = SUMMARY_KEYS | {"snapshot", "signals", "reports", "actions", "decision"}


def _moderation_routes(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method, path)
        for method, path in _flatten(app.routes)
        if path.startswith("/api/v1/moderation")
    )


async def test_members_find_no_moderation_route_and_signed_out_must_sign_in(app, client) -> None:
    """Every /moderation route, whatever is asked of it (even malformed), answers a member
    exactly as an address that does not exist does, and a signed-out caller 401."""
    member_h, _ = await member(client, "plain_member")
    routes = _moderation_routes(app)
    assert ("GET", "/api/v1/moderation/cases") in routes and len(routes) >= 5
    nowhere = await client.get("/api/v1/nowhere", headers=member_h)
    assert nowhere.status_code == 404
    for method, path in routes:
        url = path.replace("{case_id}", "1").replace("{term_id}", "1").replace("{hash_id}", "1")
        for body in ({}, {"action": "suspend", "explanation": "x"}, None):
            answer = await client.request(method, url, json=body, headers=member_h)
            assert answer.status_code == 404, (method, url, answer.text)
            assert answer.json() == nowhere.json(), (method, url)
        bad = url.replace("/1", "/not-a-number")
        answer = await client.request(method, bad, headers=member_h)
        assert answer.status_code == 404 and answer.json() == nowhere.json(), (method, bad)
        signed_out = await client.request(method, url, json={})
        assert signed_out.status_code == 401, (method, url, signed_out.text)


async def test_the_audit_log_is_for_admins_alone(app, client) -> None:
    moderator = await staff(app, client, "just_a_mod")
    answer = await client.get("/api/v1/moderation/audit", headers=moderator)
    assert answer.status_code == 404
    admin = await staff(app, client, "the_admin", role="admin")
    assert (await client.get("/api/v1/moderation/audit", headers=admin)).status_code == 200


async def _reported(client: httpx.AsyncClient, reporter, name: str, policy: str) -> int:
    _, person = await member(client, name)
    answer = await report(client, reporter, "user", person, policy)
    assert answer.status_code == 201, answer.text
    return person


async def test_the_queue_is_by_severity_then_age_page_by_page(
    app, client, clock: FakeClock
) -> None:
    moderator = await staff(app, client, "queue_mod")
    reporter, _ = await member(client, "reporter")
    order = []
    for name, policy in (
        ("old_spam", "spam"),  # severity 2
        ("old_sexual", "sexual"),  # severity 3
        ("new_spam", "spam"),
        ("csam_one", "csam"),  # severity 4
        ("new_sexual", "sexual"),
    ):
        order.append((name, await _reported(client, reporter, name, policy)))
        clock.advance(60)
    expected = ["csam_one", "old_sexual", "new_sexual", "old_spam", "new_spam"]

    whole = await client.get("/api/v1/moderation/cases", headers=moderator)
    assert whole.status_code == 200, whole.text
    items = whole.json()["items"]
    assert [c["subject"]["username"] for c in items] == expected
    assert [c["severity"] for c in items] == [4, 3, 3, 2, 2]
    assert set(items[0]) == SUMMARY_KEYS
    assert whole.json()["next_cursor"] is None

    seen, cursor = [], None
    while True:
        url = "/api/v1/moderation/cases?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(url, headers=moderator)).json()
        assert len(page["items"]) <= 2
        seen += [c["subject"]["username"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected

    # A claimed case leaves the open queue for the claimed one.
    first = items[0]
    assert (await claim(client, moderator, first["id"])).status_code == 200
    opened = (await client.get("/api/v1/moderation/cases", headers=moderator)).json()["items"]
    assert first["id"] not in [c["id"] for c in opened]
    claimed = await client.get("/api/v1/moderation/cases?state=claimed", headers=moderator)
    assert [c["id"] for c in claimed.json()["items"]] == [first["id"]]
    assert claimed.json()["items"][0]["claimed_by"] == "queue_mod"
    closed = await client.get("/api/v1/moderation/cases?state=closed", headers=moderator)
    assert closed.json()["items"] == []
    everything = await client.get("/api/v1/moderation/cases?state=all", headers=moderator)
    assert len(everything.json()["items"]) == 5


async def test_bad_queue_requests_are_422(app, client) -> None:
    moderator = await staff(app, client, "picky_mod")
    for query in ("state=pending", "cursor=bm9wZQ", "cursor=" + "x" * 600, "limit=0"):
        answer = await client.get(f"/api/v1/moderation/cases?{query}", headers=moderator)
        assert answer.status_code == 422, (query, answer.text)
        assert answer.json()["error"]["code"] == "invalid"
    for path in ("/api/v1/moderation/cases/987654", "/api/v1/moderation/cases/987654/claim"):
        method = "POST" if path.endswith("claim") else "GET"
        assert (await client.request(method, path, headers=moderator)).status_code == 404


async def test_one_case_one_claimer(app, client) -> None:
    first = await staff(app, client, "first_mod")
    second = await staff(app, client, "second_mod")
    reporter, _ = await member(client, "reporter")
    person = await _reported(client, reporter, "reported_one", "harassment")
    case = await case_of(client, first, "user", person)

    claimed = await claim(client, first, case["id"])
    assert claimed.status_code == 200, claimed.text
    body = claimed.json()
    assert set(body) == DETAIL_KEYS
    assert body["state"] == "claimed" and body["claimed_by"] == "first_mod"
    assert body["snapshot"]["surface"] == "user"
    assert body["snapshot"]["title"] == "reported_one"
    assert body["snapshot"]["text"] == "reported_one Name"
    # Claiming my own claim again changes nothing.
    again = await claim(client, first, case["id"])
    assert again.status_code == 200 and again.json()["claimed_by"] == "first_mod"
    taken = await claim(client, second, case["id"])
    assert taken.status_code == 409, taken.text
    assert taken.json()["error"]["code"] == "already_claimed"
    decided = await client.post(
        f"/api/v1/moderation/cases/{case['id']}/decision",
        json={"action": "no_action", "explanation": "Nothing wrong here."},
        headers=first,
    )
    assert decided.status_code == 200, decided.text
    for who in (first, second):
        late = await claim(client, who, case["id"])
        assert late.status_code == 409 and late.json()["error"]["code"] == "case_closed"


async def test_a_moderator_does_not_claim_a_case_about_themselves(app, client) -> None:
    moderator = await staff(app, client, "self_mod")
    other = await staff(app, client, "other_mod")
    me = (await client.get("/api/v1/me", headers=moderator)).json()["id"]
    reporter, _ = await member(client, "reporter")
    assert (await report(client, reporter, "user", me)).status_code == 201
    case = await case_of(client, other, "user", me)
    refused = await claim(client, moderator, case["id"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "own_case"
    assert (await claim(client, other, case["id"])).status_code == 200


async def test_two_claims_at_once_one_wins(app, client) -> None:
    moderators = [await staff(app, client, f"racing_mod_{n}") for n in range(4)]
    reporter, _ = await member(client, "reporter")
    person = await _reported(client, reporter, "contested_one", "spam")
    case = await case_of(client, moderators[0], "user", person)
    answers = await asyncio.gather(*(claim(client, m, case["id"]) for m in moderators))
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    winner = next(a.json()["claimed_by"] for a in answers if a.status_code == 200)
    detail = await client.get(f"/api/v1/moderation/cases/{case['id']}", headers=moderators[0])
    assert detail.json()["claimed_by"] == winner


async def _release(client: httpx.AsyncClient, who: dict[str, str], case_id: int) -> httpx.Response:
    return await client.post(f"/api/v1/moderation/cases/{case_id}/release", headers=who)


async def _audited(app: FastAPI, client: httpx.AsyncClient, verb: str) -> list[dict]:
    admin = await staff(app, client, f"reader_{verb.replace('.', '_')}", role="admin")
    answer = await client.get(f"/api/v1/moderation/audit?verb={verb}", headers=admin)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def test_the_claimer_gives_a_case_back_to_the_queue(app, client) -> None:
    holder = await staff(app, client, "holding_mod")
    other = await staff(app, client, "other_mod")
    reporter, _ = await member(client, "reporter")
    person = await _reported(client, reporter, "released_one", "spam")
    case = await case_of(client, holder, "user", person)

    unclaimed = await _release(client, holder, case["id"])
    assert unclaimed.status_code == 409 and unclaimed.json()["error"]["code"] == "not_claimed"
    assert (await claim(client, holder, case["id"])).status_code == 200
    theirs = await _release(client, other, case["id"])
    assert theirs.status_code == 409 and theirs.json()["error"]["code"] == "not_yours"

    released = await _release(client, holder, case["id"])
    assert released.status_code == 200, released.text
    assert released.json()["state"] == "open" and released.json()["claimed_by"] is None
    # Back in the queue, where another moderator takes it.
    queue = await client.get("/api/v1/moderation/cases", headers=other)
    assert case["id"] in [c["id"] for c in queue.json()["items"]]
    assert (await claim(client, other, case["id"])).status_code == 200

    [entry] = await _audited(app, client, "case.release")
    assert (entry["actor"], entry["target"]) == ("holding_mod", f"case:{case['id']}")
    assert entry["details"]["claimed_by"] == "holding_mod"


async def test_an_admin_releases_anyones_claim_but_not_a_decided_case(app, client) -> None:
    holder = await staff(app, client, "absent_mod")
    admin = await staff(app, client, "lead_admin", role="admin")
    reporter, _ = await member(client, "reporter")
    person = await _reported(client, reporter, "stuck_one", "spam")
    case = await case_of(client, holder, "user", person)
    assert (await claim(client, holder, case["id"])).status_code == 200
    released = await _release(client, admin, case["id"])
    assert released.status_code == 200, released.text
    assert released.json()["state"] == "open"
    [entry] = await _audited(app, client, "case.release")
    assert entry["actor"] == "lead_admin"
    assert entry["details"]["claimed_by"] == "absent_mod"

    assert (await claim(client, holder, case["id"])).status_code == 200
    decided = await client.post(
        f"/api/v1/moderation/cases/{case['id']}/decision",
        json={"action": "no_action", "explanation": "Nothing wrong here."},
        headers=holder,
    )
    assert decided.status_code == 200, decided.text
    for who in (holder, admin):
        closed = await _release(client, who, case["id"])
        assert closed.status_code == 409 and closed.json()["error"]["code"] == "case_closed"
    missing = await _release(client, admin, 999_999)
    assert missing.status_code == 404
