"""Reports: a member reports what they can see, citing a policy that covers it; reports of
one thing merge into one case; reporters stay unknown; reporting is rate-limited."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator

import httpx

from plaza.clock import FakeClock
from plaza.config import Settings
from tests.conftest import running_app
from tests.moderation.helpers import case_of, member, report, staff

REPORT_KEYS = {"id", "surface", "ref_id", "policy_id", "created_at"}


async def test_a_report_opens_a_case_and_repeats_merge(app, client) -> None:
    mallory_h, mallory = await member(client, "mallory")
    alice, _ = await member(client, "alice")
    bob, _ = await member(client, "bob")
    moderator = await staff(app, client, "mod_one")

    first = await report(client, alice, "user", mallory, "harassment", "threatened me")
    assert first.status_code == 201, first.text
    body = first.json()
    assert set(body) == REPORT_KEYS
    assert body["surface"] == "user" and body["ref_id"] == mallory
    assert body["policy_id"] == "harassment"

    # The same person reporting the same thing again: their first report, 200.
    again = await report(client, alice, "user", mallory, "sexual", "and more")
    assert again.status_code == 200, again.text
    assert again.json() == body

    case = await case_of(client, moderator, "user", mallory)
    assert case["report_count"] == 1 and case["severity"] == 2
    assert case["source"] == "report" and case["state"] == "open"
    assert case["subject"] == {"username": "mallory", "display_name": "mallory Name"}
    assert case["policies"] == ["harassment"]
    assert case["excerpt"] == "mallory Name"

    # Another reporter, a graver policy: the same case, more reports, the higher severity.
    second = await report(client, bob, "user", mallory, "sexual", "explicit name")
    assert second.status_code == 201, second.text
    merged = await case_of(client, moderator, "user", mallory)
    assert merged["id"] == case["id"]
    assert merged["report_count"] == 2 and merged["severity"] == 3
    assert merged["policies"] == ["harassment", "sexual"]

    # A lighter third report does not lower it.
    carol, _ = await member(client, "carol")
    assert (await report(client, carol, "user", mallory, "spam")).status_code == 201
    assert (await case_of(client, moderator, "user", mallory))["severity"] == 3

    # The reported person learns nothing: not even that a moderation route exists.
    peek = await client.get(f"/api/v1/moderation/cases/{case['id']}", headers=mallory_h)
    assert peek.status_code == 404
    # Nor do moderators learn who reported: the case names none of the three reporters.
    detail = await client.get(f"/api/v1/moderation/cases/{case['id']}", headers=moderator)
    assert detail.status_code == 200, detail.text
    assert len(detail.json()["reports"]) == 3
    assert {"alice", "bob", "carol"}.isdisjoint(re.findall(r"\w+", detail.text)), detail.text


async def test_no_answer_names_a_reporter(app, client) -> None:
    _, target = await member(client, "target_x")
    reporter_h, _ = await member(client, "reporter_zq")
    moderator = await staff(app, client, "mod_two")
    assert (await report(client, reporter_h, "user", target, details="see it")).status_code == 201
    case = await case_of(client, moderator, "user", target)
    detail = await client.get(f"/api/v1/moderation/cases/{case['id']}", headers=moderator)
    assert detail.status_code == 200, detail.text
    data = detail.json()
    [said] = data["reports"]
    assert said | {"created_at": ""} == {
        "policy_id": "harassment",
        "details": "see it",
        "created_at": "",
    }
    listing = await client.get("/api/v1/moderation/cases", headers=moderator)
    for text in (detail.text, listing.text):
        assert "reporter_zq" not in text and "reporter" not in text


async def test_what_one_cannot_see_is_not_found_and_blocks_change_nothing(app, client) -> None:
    alice, alice_id = await member(client, "alice")
    bob, bob_id = await member(client, "bob")
    carol, _ = await member(client, "carol")
    blocked = await client.post("/api/v1/blocks", json={"username": "bob"}, headers=alice)
    assert blocked.status_code in (200, 201, 204), blocked.text

    nothing = await report(client, alice, "user", 987654)
    assert nothing.status_code == 404
    # A block changes nothing (blocks are invisible): the one who blocked may report the
    # person they blocked, and the blocked person is not told of the block by a 404.
    for who, whom in ((alice, bob_id), (bob, alice_id)):
        assert (await report(client, who, "user", whom)).status_code == 201
    assert (await report(client, carol, "user", bob_id)).status_code == 201


async def test_bad_reports_are_refused_and_nothing_is_written(app, client) -> None:
    alice, alice_id = await member(client, "alice")
    _, bob_id = await member(client, "bob")
    moderator = await staff(app, client, "mod_three")

    own = await report(client, alice, "user", alice_id)
    assert own.status_code == 422 and own.json()["error"]["code"] == "own_content"
    unknown = await report(client, alice, "user", bob_id, "no_such_policy")
    assert unknown.status_code == 422
    assert unknown.json()["error"] | {"message": ""} == {
        "code": "unknown_policy",
        "message": "",
        "field": "policy_id",
    }
    cases = [
        {"surface": "user", "id": bob_id, "policy_id": "spam", "details": "x" * 1001},
        {"surface": "user", "id": bob_id, "policy_id": "spam", "details": "nul \x00"},
        {"surface": "profile", "id": bob_id, "policy_id": "spam"},
        {"surface": "user", "id": 0, "policy_id": "spam"},
        {"surface": "user", "id": 2**31, "policy_id": "spam"},
        {"surface": "user", "id": "1", "policy_id": "spam"},
        {"surface": "user", "id": bob_id},
    ]
    for body in cases:
        answer = await client.post("/api/v1/reports", json=body, headers=alice)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["error"]["code"] == "invalid"
    queue = await client.get("/api/v1/moderation/cases?state=all", headers=moderator)
    assert queue.json()["items"] == []
    signed_out = await client.post(
        "/api/v1/reports", json={"surface": "user", "id": bob_id, "policy_id": "spam"}
    )
    assert signed_out.status_code == 401


@contextlib.asynccontextmanager
async def serving(settings: Settings, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app of its own, for settings other than the fixtures'."""
    async with running_app(settings, clock) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
            yield client


async def test_reports_are_rate_limited_per_reporter(settings, clock) -> None:
    async with serving(settings.model_copy(update={"reports_per_hour": 2}), clock) as client:
        await _two_an_hour(client, clock)


async def _two_an_hour(client: httpx.AsyncClient, clock: FakeClock) -> None:
    alice, _ = await member(client, "alice")
    bob, _ = await member(client, "bob")
    targets = [(await member(client, f"target_{n}"))[1] for n in range(3)]
    assert (await report(client, alice, "user", targets[0])).status_code == 201
    assert (await report(client, alice, "user", targets[1])).status_code == 201
    # A repeat costs nothing.
    assert (await report(client, alice, "user", targets[1])).status_code == 200
    over = await report(client, alice, "user", targets[2])
    assert over.status_code == 429, over.text
    assert int(over.headers["Retry-After"]) >= 1
    assert over.json()["error"]["code"] == "rate_limited"
    # Someone else's allowance is their own.
    assert (await report(client, bob, "user", targets[2])).status_code == 201


NARROW = """
[[policy]]
id = "spam"
title = "Spam"
description = "Bulk posting."
severity = 2
surfaces = ["moment"]

[[policy.clause]]
number = 1
text = "Do not post the same thing many times."

[[policy]]
id = "harassment"
title = "Harassment"
description = "Threats and abuse."
severity = 2
surfaces = ["moment", "profile"]

[[policy.clause]]
number = 1
text = "Do not threaten people."
"""


async def test_a_policy_must_cover_what_is_reported(settings, clock, tmp_path) -> None:
    """With a catalogue whose spam policy covers moments alone, a person cannot be reported
    for spam; for harassment they can."""
    (tmp_path / "policies.toml").write_text(NARROW, encoding="utf-8")
    settings = settings.model_copy(update={"policies": tmp_path / "policies.toml"})
    async with serving(settings, clock) as client:
        alice, _ = await member(client, "alice")
        _, bob_id = await member(client, "bob")
        refused = await report(client, alice, "user", bob_id, "spam")
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "policy_not_for_surface"
        assert (await report(client, alice, "user", bob_id, "harassment")).status_code == 201


async def test_reports_at_the_same_moment_make_one_case(app, client) -> None:
    """Many first reports of one person at once (and a double click) end in one case that
    counts each reporter once."""
    moderator = await staff(app, client, "race_mod")
    _, target = await member(client, "raced")
    reporters = [(await member(client, f"racer_{n}"))[0] for n in range(6)]
    answers = await asyncio.gather(
        *(report(client, who, "user", target) for who in [*reporters, reporters[0]])
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 201, 201, 201, 201, 201, 201], [a.text for a in answers]
    case = await case_of(client, moderator, "user", target)
    assert case["report_count"] == 6
