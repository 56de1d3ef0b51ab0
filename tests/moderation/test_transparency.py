"""The transparency report (`GET /api/v1/transparency`) counting what really happened:
removals by screening (a moment with a listed term), moderators' decisions on reported
people, a hold released with no action; the range's edges to the second; the CSV; and every
refused range."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from plaza.clock import FakeClock
from plaza.moderation.models import Action
from tests import moderated
from tests.helpers import register
from tests.moderation.helpers import (
    Headers,
    case_of,
    claim,
    decide,
    file_appeal,
    report,
    reverse,
    review,
    reviewer,
    staff,
)

API = "/api/v1/transparency"
RANGE = "from=2026-01-02&to=2026-01-03"


@pytest.fixture
def settings(settings):
    # Lists read on every write; a short longest range, to ask for one day more.
    return moderated.screening_settings(
        settings, transparency_max_days=31, spam_sends_per_window=60
    )


def at(clock: FakeClock, *when: int) -> None:
    """Move the clock to 2026-01-`day` `hour`:`minute`:`second` UTC (only forwards)."""
    target = datetime(2026, 1, *when, tzinfo=UTC)  # type: ignore[misc]
    assert target >= clock.now()
    clock.advance((target - clock.now()).total_seconds())


async def moment(client: httpx.AsyncClient, who: Headers, text: str) -> dict[str, Any]:
    answer = await client.post("/api/v1/moments", json={"text": text}, headers=who)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def reported_and_decided(
    client: httpx.AsyncClient,
    clock: FakeClock,
    moderator: Headers,
    reporters: list[Headers],
    person: int,
    decided_at: tuple[int, ...],
    **ruling: Any,
) -> int:
    """`reporters` report `person` (one after another, an hour apart, from now), the case is
    claimed and decided at `decided_at`; the action's id."""
    for reporter in reporters:
        filed = await report(client, reporter, "user", person, "harassment")
        assert filed.status_code == 201, filed.text
        clock.advance(3600)
    case = await case_of(client, moderator, "user", person)
    at(clock, *decided_at)
    assert (await claim(client, moderator, case["id"])).status_code == 200
    decided = await decide(
        client, moderator, case["id"], policy_id="harassment", clause=1, **ruling
    )
    assert decided.status_code == 200, decided.text
    return int(decided.json()["action"]["id"])


async def appeal(app: FastAPI, action_id: int, person: int, state: str) -> None:
    """The person appeals the notice of `action_id` now, and a reviewer (not the moderator
    who decided) takes it as far as `state`."""
    appeal_id = await file_appeal(app, action_id, person)
    if state != "pending":
        await review(app, appeal_id, await reviewer(app, f"reviewer_{appeal_id}"), state)


async def action_on(app: FastAPI, surface: str, ref_id: int) -> int:
    """The one action taken on this content (screening's, which no answer names)."""
    async with app.state.runtime.sessions() as session:
        found = await session.scalars(
            select(Action.id).where(Action.surface == surface, Action.ref_id == ref_id)
        )
        [action_id] = list(found)
        return action_id


async def user_id(client: httpx.AsyncClient, who: Headers) -> int:
    return int((await client.get("/api/v1/me", headers=who)).json()["id"])


@pytest.fixture
async def history(app, client, clock: FakeClock) -> dict[str, Any]:
    """Two days of moderation (2026-01-02 and -03) between others just outside them.

    In the range: a moment removed by screening (00:00:00 on the 2nd), cai suspended on two
    reports (filed 00:00 and 01:00, decided 03:00: 3 hours), fay struck on one report (filed
    20:00 on the 2nd, decided 01:00 on the 3rd: 5 hours), a moment held by screening and
    released with no action (the 3rd). Just outside: removals at 23:59:59 on the 1st and at
    00:00:00 on the 4th, and a report at 23:59:59 on the 1st. Appeals: one reversed, one
    upheld, two pending (one claimed) in the range, one filed on the 4th."""
    heads = {n: await register(client, n) for n in ("ana", "ben", "cai", "dan", "eve", "fay")}
    moderator = await staff(app, client, "mod_tr")
    await moderated.list_terms(app)
    ids = {n: await user_id(client, heads[n]) for n in ("ana", "cai", "fay")}

    at(clock, 1, 23, 59, 59)
    early = await moment(client, heads["ana"], f"{moderated.REMOVED_TERM} for sale")
    assert early["moderation"] == "removed"
    assert (await report(client, heads["dan"], "user", ids["ana"])).status_code == 201

    at(clock, 2, 0, 0, 0)
    removed = await moment(client, heads["ana"], f"cheap {moderated.REMOVED_TERM} here")
    assert removed["moderation"] == "removed"
    suspended = await reported_and_decided(
        client,
        clock,
        moderator,
        [heads["ben"], heads["dan"]],
        ids["cai"],
        (2, 3),
        action="suspend",
        duration_days=7,
    )
    at(clock, 2, 20)
    struck = await reported_and_decided(
        client, clock, moderator, [heads["eve"]], ids["fay"], (3, 1), action="strike"
    )
    await appeal(app, suspended, ids["cai"], "reversed")
    await appeal(app, struck, ids["fay"], "upheld")

    at(clock, 3, 12)
    held = await moment(client, heads["ana"], f"see you, {moderated.HELD_TERM}")
    assert held["moderation"] == "held"
    case = await case_of(client, moderator, "moment", held["id"])
    assert (await claim(client, moderator, case["id"])).status_code == 200
    released = await decide(client, moderator, case["id"], action="no_action")
    assert released.status_code == 200, released.text
    await appeal(app, await action_on(app, "moment", removed["id"]), ids["ana"], "pending")
    await appeal(app, await action_on(app, "moment", early["id"]), ids["ana"], "claimed")
    at(clock, 3, 23, 59, 59)

    at(clock, 4, 0, 0, 0)
    late = await moment(client, heads["ana"], f"more {moderated.REMOVED_TERM}")
    assert late["moderation"] == "removed"
    await appeal(app, await action_on(app, "moment", late["id"]), ids["ana"], "reversed")
    return {"heads": heads, "suspended": suspended, "struck": struck}


def counts(items: list[dict[str, Any]], key: str = "key") -> dict[Any, int]:
    return {item[key]: item["count"] for item in items}


async def test_the_range_counts_what_happened_in_it_and_nothing_else(client, history) -> None:
    # Public: no sign-in.
    answer = await client.get(f"{API}?{RANGE}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["from"], body["to"], body["days"]) == ("2026-01-02", "2026-01-03", 2)

    actions = body["actions"]
    # The removal, the suspension, the strike and the hold; not the no-action decision.
    assert actions["total"] == 4
    assert actions["automated_decisions"] == 2  # screening's removal and hold
    assert counts(actions["by_source"]) == {"automated": 2, "report": 2, "moderator": 0}
    assert [s["label"] for s in actions["by_source"]] == [
        "Automated detection",
        "User report",
        "Moderator's own initiative",
    ]
    assert {k: n for k, n in counts(actions["by_action"]).items() if n} == {
        "remove_content": 1,
        "suspend": 1,
        "strike": 1,
        "hold": 1,
    }
    assert "no_action" not in counts(actions["by_action"])
    assert {k: n for k, n in counts(actions["by_surface"]).items() if n} == {
        "moment": 2,
        "user": 2,
    }
    by_policy = {p["id"]: (p["title"], p["count"]) for p in actions["by_policy"]}
    assert by_policy["illegal_goods"] == ("Illegal goods and services", 1)
    assert by_policy["harassment"] == ("Harassment and threats", 2)
    assert by_policy["violence"] == ("Violent and graphic content", 1)
    # Every policy of the catalogue is listed, the ones never cited with 0.
    assert by_policy["csam"] == ("Child sexual exploitation", 0)
    assert sum(n for _, n in by_policy.values()) == 4

    # The reports about cai (two) and fay; not the one about ana a second earlier.
    assert body["reports"] == {"filed": 3}
    assert body["appeals"] == {"filed": 4, "upheld": 1, "reversed": 1, "pending": 2}
    # 3 hours (cai's first report to the suspension) and 5 hours (fay's strike); the held
    # moment's case had no report.
    assert body["time_to_decision"] == {"cases": 2, "median_hours": 4.0}


async def test_one_day_and_the_days_around(client, history) -> None:
    first = (await client.get(f"{API}?from=2026-01-02&to=2026-01-02")).json()
    assert first["actions"]["total"] == 2  # the removal at 00:00:00 and the suspension
    assert first["reports"]["filed"] == 3
    assert first["time_to_decision"] == {"cases": 1, "median_hours": 3.0}

    before = (await client.get(f"{API}?from=2026-01-01&to=2026-01-01")).json()
    assert before["actions"]["total"] == 1  # the removal at 23:59:59
    assert counts(before["actions"]["by_source"])["automated"] == 1
    assert before["reports"]["filed"] == 1
    assert before["appeals"]["filed"] == 0
    assert before["time_to_decision"] == {"cases": 0, "median_hours": None}

    after = (await client.get(f"{API}?from=2026-01-04&to=2026-01-04")).json()
    assert after["actions"]["total"] == 1
    assert after["appeals"] == {"filed": 1, "upheld": 0, "reversed": 1, "pending": 0}

    # Without a range: the last 30 days up to today (the clock's 2026-01-04): everything.
    recent = (await client.get(API)).json()
    assert (recent["from"], recent["to"]) == ("2025-12-06", "2026-01-04")
    assert recent["actions"]["total"] == 6
    assert recent["reports"]["filed"] == 4
    assert recent["appeals"]["filed"] == 5


async def test_a_reversal_leaves_the_actions_taken_as_they_were(app, client, history) -> None:
    before = (await client.get(f"{API}?{RANGE}")).json()
    await reverse(app, history["struck"])  # as a moderator's reversal undoes it
    after = (await client.get(f"{API}?{RANGE}")).json()
    assert after == before
    assert counts(after["actions"]["by_action"])["strike"] == 1


async def test_as_csv(client, history) -> None:
    answer = await client.get(f"{API}?{RANGE}&format=csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == (
        'attachment; filename="plaza-transparency-2026-01-02-to-2026-01-03.csv"'
    )
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["section", "key", "count"]
    table = {(section, key): value for section, key, value in rows[1:]}
    assert len(table) == len(rows) - 1  # one line per number
    assert table[("range", "from")] == "2026-01-02"
    assert table[("range", "to")] == "2026-01-03"
    assert table[("actions", "total")] == "4"
    assert table[("actions", "automated_decisions")] == "2"
    assert table[("by_source", "automated")] == "2"
    assert table[("by_source", "report")] == "2"
    assert table[("by_source", "moderator")] == "0"
    assert table[("by_policy", "harassment")] == "2"
    assert table[("by_action", "hold")] == "1"
    assert table[("by_surface", "moment")] == "2"
    assert table[("reports", "filed")] == "3"
    assert table[("appeals", "reversed")] == "1"
    assert table[("appeals", "pending")] == "2"
    assert table[("time_to_decision", "median_hours")] == "4.0"


async def test_an_empty_range_has_every_line_at_zero(client) -> None:
    body = (await client.get(f"{API}?from=2026-01-01&to=2026-01-01")).json()
    assert body["actions"]["total"] == 0
    assert all(c["count"] == 0 for c in body["actions"]["by_surface"])
    assert counts(body["actions"]["by_source"]) == {"automated": 0, "report": 0, "moderator": 0}
    assert body["time_to_decision"] == {"cases": 0, "median_hours": None}
    rows = list(csv.reader(io.StringIO((await client.get(f"{API}?format=csv")).text)))
    assert ["time_to_decision", "median_hours", ""] in rows


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("from=2026-01-03&to=2026-01-02", "reversed_range", "from"),
        # PLAZA_TRANSPARENCY_MAX_DAYS is 31 here: 32 days is one too many.
        ("from=2026-01-01&to=2026-02-01", "range_too_long", "from"),
        ("from=2026-1-2", "invalid_date", "from"),
        ("from=2026-02-30", "invalid_date", "from"),
        ("to=yesterday", "invalid_date", "to"),
        ("to=2026/01/02", "invalid_date", "to"),
        ("from=%EF%BC%92026-01-02", "invalid_date", "from"),  # a full-width digit
        ("from=1900-01-01&to=1900-01-02", "invalid_date", "from"),
        ("from=0001-01-01", "invalid_date", "from"),
        ("to=9999-12-31", "invalid_date", "to"),
        ("from=2027-06-01&to=2027-06-02", "invalid_date", "from"),
    ],
)
async def test_refused_ranges(client, query: str, code: str, field: str) -> None:
    for fmt in ("json", "csv"):
        answer = await client.get(f"{API}?{query}&format={fmt}")
        assert answer.status_code == 422, answer.text
        assert answer.json() == {
            "error": {"code": code, "message": answer.json()["error"]["message"], "field": field}
        }
        assert answer.json()["error"]["message"]


async def test_the_longest_range_is_answered(client) -> None:
    answer = await client.get(f"{API}?from=2025-12-01&to=2025-12-31")
    assert answer.status_code == 200 and answer.json()["days"] == 31
    assert (await client.get(f"{API}?format=xml")).status_code == 422
