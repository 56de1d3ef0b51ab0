"""The public decision log (`GET /api/v1/decisions`, the daily JSON Lines file, `/decisions`)
built from what really happened over three days: a moment removed by screening, a moderator's
strikes on reported moments and the suspension they escalated to, a public account closed on
a report, and a private message removed on a report, which the log must never show. Then the
privacy search: none of the texts, names or words of the people involved appear anywhere in
the log's JSON, its files or its page."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from plaza.clock import FakeClock
from plaza.moderation.models import Action
from tests import moderated
from tests.helpers import befriend, register
from tests.moderation.helpers import Headers, case_of, claim, decide, report, reverse, staff
from tests.public_accounts.helpers import create_account

API = "/api/v1/decisions"
DAYS = ("2026-01-05", "2026-01-06", "2026-01-07")
RANGE = f"from={DAYS[0]}&to={DAYS[-1]}"
EXPLANATION = "Moderator wrote: the quokkaphrase insult is not allowed here."
DETAILS = "reporter details mention velvetmarmot"
# Everything the people involved wrote or are called: none of it may be in the log.
SECRETS = (
    moderated.REMOVED_TERM,
    "zebrafinch",
    "quokkaphrase",
    "lanternfish",
    "velvetmarmot",
    "Grommet Herald",
    "herald_dl",
    "nightjar",
    "zed_author",
    "ben_reporter",
    "mod_dlsecret",
    "hal_publisher",
    "fay_reporter",
    "gus_sender",
    EXPLANATION,
)
FIELDS = {
    "platform_uid",
    "decision_visibility",
    "decision_visibility_other",
    "end_date_visibility_restriction",
    "decision_monetary",
    "end_date_monetary_restriction",
    "decision_provision",
    "end_date_service_restriction",
    "decision_account",
    "end_date_account_restriction",
    "account_type",
    "decision_ground",
    "incompatible_content_ground",
    "incompatible_content_explanation",
    "illegal_content_legal_ground",
    "illegal_content_explanation",
    "category",
    "content_type",
    "content_type_other",
    "content_date",
    "application_date",
    "decision_facts",
    "source_type",
    "automated_detection",
    "automated_decision",
    "policy_id",
    "clause",
    "surface",
    "action",
    "reversed",
    "reversed_at",
}


@pytest.fixture
def settings(settings):
    # Lists read on every write; two strikes suspend; a short longest range; pages of two
    # on the web page.
    return moderated.screening_settings(
        settings,
        strikes_to_suspend=2,
        strike_suspension_days=7,
        transparency_max_days=31,
        page_size_default=2,
    )


def at(clock: FakeClock, day: int, hour: int = 0) -> None:
    """Move the clock to 2026-01-`day` `hour`:00 UTC (only forwards)."""
    target = datetime(2026, 1, day, hour, tzinfo=UTC)
    assert target >= clock.now()
    clock.advance((target - clock.now()).total_seconds())


async def moment(client: httpx.AsyncClient, who: Headers, text: str) -> dict[str, Any]:
    answer = await client.post("/api/v1/moments", json={"text": text}, headers=who)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def decided(
    client: httpx.AsyncClient, moderator: Headers, surface: str, ref_id: int, **ruling: Any
) -> int:
    """The moderator claims the thing's case and decides it; the action's id."""
    case = await case_of(client, moderator, surface, ref_id)
    assert (await claim(client, moderator, case["id"])).status_code == 200
    answer = await decide(client, moderator, case["id"], explanation=EXPLANATION, **ruling)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["action"]["id"])


@pytest.fixture
async def log(app: FastAPI, client: httpx.AsyncClient, clock: FakeClock) -> dict[str, int]:
    """Three days of moderation; the action ids by what they were.

    - 01-05 10:00: zed's moment naming a listed illegal-goods term is removed by screening.
    - 01-06 09:00 and 11:00: ben reports two of zed's moments (harassment); the moderator
      strikes both; the second strike suspends zed for 7 days. 13:00: fay reports gus's
      private message and the moderator removes it.
    - 01-07 08:00: ben reports hal's public account (spam) and the moderator closes it;
      12:00: screening's removal of the 5th is reversed."""
    zed = await register(client, "zed_author", "Zed nightjar")
    ben = await register(client, "ben_reporter")
    hal = await register(client, "hal_publisher")
    fay = await register(client, "fay_reporter")
    gus = await register(client, "gus_sender")
    await befriend(client, ben, zed, "zed_author")
    await befriend(client, fay, gus, "gus_sender")
    moderator = await staff(app, client, "mod_dlsecret")
    await moderated.list_terms(app)
    ids: dict[str, int] = {}
    zed_id = await moderated.user_id(client, zed)

    at(clock, 5, 10)
    removed = await moment(client, zed, f"zebrafinch {moderated.REMOVED_TERM} for sale")
    assert removed["moderation"] == "removed"
    ids["screened"] = await action_on(app, "moment", removed["id"])

    for name, hour, text in (("strike1", 9, "quokkaphrase one"), ("strike2", 11, "lanternfish")):
        at(clock, 6, hour)
        posted = await moment(client, zed, text)
        filed = await report(client, ben, "moment", posted["id"], "harassment", DETAILS)
        assert filed.status_code == 201, filed.text
        ids[name] = await decided(
            client,
            moderator,
            "moment",
            posted["id"],
            action="strike",
            policy_id="harassment",
            clause=1,
        )
    ids["suspension"] = await action_on(app, "user", zed_id)

    at(clock, 6, 13)
    chat = await client.post(
        "/api/v1/conversations", json={"kind": "direct", "members": ["fay_reporter"]}, headers=gus
    )
    assert chat.status_code in (200, 201), chat.text
    sent = await client.post(
        f"/api/v1/conversations/{chat.json()['id']}/messages",
        json={"client_id": "dl1", "text": "velvetmarmot private words"},
        headers=gus,
    )
    assert sent.status_code in (200, 201), sent.text
    message = sent.json()["id"]
    assert (await report(client, fay, "message", message, "spam", DETAILS)).status_code == 201
    ids["message"] = await decided(
        client, moderator, "message", message, action="remove_content", policy_id="spam", clause=1
    )

    at(clock, 7, 8)
    account = await create_account(client, hal, "herald_dl", "Grommet Herald")
    filed = await report(client, ben, "public_account", account["id"], "spam", DETAILS)
    assert filed.status_code == 201, filed.text
    ids["closed"] = await decided(
        client,
        moderator,
        "public_account",
        account["id"],
        action="close_account",
        policy_id="spam",
        clause=4,
    )
    at(clock, 7, 12)
    await reverse(app, ids["screened"])
    return ids


async def action_on(app: FastAPI, surface: str, ref_id: int) -> int:
    """The one action taken on this thing (screening's or an escalation's, which no answer
    names)."""
    async with app.state.runtime.sessions() as session:
        [action_id] = list(
            await session.scalars(
                select(Action.id).where(Action.surface == surface, Action.ref_id == ref_id)
            )
        )
        return int(action_id)


async def items(client: httpx.AsyncClient, query: str = RANGE) -> list[dict[str, Any]]:
    answer = await client.get(f"{API}?{query}&limit=200")
    assert answer.status_code == 200, answer.text
    assert answer.json()["next_cursor"] is None
    return list(answer.json()["items"])


def uid(action_id: int) -> str:
    return f"plaza-{action_id}"


async def test_each_enforcement_on_public_content_is_a_statement_of_reasons(client, log) -> None:
    found = {i["platform_uid"]: i for i in await items(client)}
    expected = ("screened", "strike1", "strike2", "suspension", "closed")
    assert list(found) == [uid(log[name]) for name in expected]  # oldest first
    assert uid(log["message"]) not in found  # a private message never appears
    assert all(set(item) == FIELDS for item in found.values())

    screened = found[uid(log["screened"])]
    assert screened == screened | {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "decision_account": None,
        "decision_provision": None,
        "decision_monetary": None,
        "account_type": None,
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "category": "STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "content_date": "2026-01-05",
        "application_date": "2026-01-05",
        "source_type": "SOURCE_VOLUNTARY",
        "automated_detection": "Yes",
        "automated_decision": "AUTOMATED_DECISION_FULLY",
        "policy_id": "illegal_goods",
        "clause": 1,
        "surface": "moment",
        "action": "remove_content",
        "reversed": True,
        "reversed_at": "2026-01-07",
    }
    assert screened["incompatible_content_ground"].startswith("Plaza policy illegal_goods")
    assert screened["incompatible_content_explanation"]  # the clause's public text
    assert screened["decision_facts"] == (
        "Automated detection (a listed keyword) found a moment that breaks policy "
        "\u201cIllegal goods and services\u201d, clause 1. Decided automatically: the content "
        "was removed."
    ), screened["decision_facts"]

    strike = found[uid(log["strike1"])]
    assert strike == strike | {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        "source_type": "SOURCE_ARTICLE_16",
        "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "action": "strike",
        "reversed": False,
        "reversed_at": None,
        "application_date": "2026-01-06",
    }
    assert strike["decision_facts"].startswith("1 user report pointed to a moment that breaks")
    assert "Decided by a moderator" in strike["decision_facts"]

    suspension = found[uid(log["suspension"])]
    assert suspension == suspension | {
        "decision_visibility": [],
        "decision_account": "DECISION_ACCOUNT_SUSPENDED",
        "end_date_account_restriction": "2026-01-13",
        "account_type": "ACCOUNT_TYPE_PRIVATE",
        "content_type": ["CONTENT_TYPE_OTHER"],
        "content_type_other": "Account",
        "content_date": None,
        "automated_decision": "AUTOMATED_DECISION_FULLY",
        "surface": "user",
        "action": "suspend",
    }
    assert suspension["decision_facts"].startswith(
        "2 active strikes against an account reached the limit"
    )

    closed = found[uid(log["closed"])]
    assert closed == closed | {
        "decision_account": "DECISION_ACCOUNT_TERMINATED",
        "end_date_account_restriction": None,
        "account_type": "ACCOUNT_TYPE_BUSINESS",
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "source_type": "SOURCE_ARTICLE_16",
        "surface": "public_account",
        "action": "close_account",
        "clause": 4,
    }
    assert closed["decision_facts"].endswith("the public account was closed.")


async def test_the_log_holds_no_content_and_no_names(client, log) -> None:
    raw = [(await client.get(f"{API}?{RANGE}&limit=200")).text]
    raw += [(await client.get(f"{API}/{day}.jsonl")).text for day in DAYS]
    raw += await pages(client, RANGE)
    # The search looks at real records: the last one is in the JSON, its day's file, a page.
    assert all(uid(log["closed"]) in raw[n] for n in (0, 3, -1))
    for text in raw:
        for secret in SECRETS:
            assert secret.lower() not in text.lower(), secret


async def test_pages_are_stable_and_ranges_exact(client, log) -> None:
    everything = await items(client)
    paged: list[dict[str, Any]] = []
    cursor = ""
    while True:
        answer = await client.get(f"{API}?{RANGE}&limit=2&cursor={cursor}")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert len(body["items"]) <= 2
        paged += body["items"]
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
    assert paged == everything and len(paged) == 5

    middle = await items(client, f"from={DAYS[1]}&to={DAYS[1]}")
    assert [i["platform_uid"] for i in middle] == [
        uid(log["strike1"]),
        uid(log["strike2"]),
        uid(log["suspension"]),
    ]
    assert await items(client, "from=2026-01-01&to=2026-01-04") == []
    spam = await items(client, f"{RANGE}&policy=spam")
    assert [i["platform_uid"] for i in spam] == [uid(log["closed"])]
    automated = await items(client, f"{RANGE}&automated=true")
    assert [i["platform_uid"] for i in automated] == [
        uid(log["screened"]),
        uid(log["suspension"]),
    ]
    people = await items(client, f"{RANGE}&surface=user")
    assert [i["platform_uid"] for i in people] == [uid(log["suspension"])]
    assert await items(client, f"{RANGE}&surface=message") == []


async def test_each_day_s_file_is_the_api_s_items_as_json_lines(client, log) -> None:
    for day in DAYS:
        answer = await client.get(f"{API}/{day}.jsonl")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/jsonl")
        assert f'filename="plaza-decisions-{day}.jsonl"' in answer.headers["content-disposition"]
        assert answer.text.endswith("\n")
        lines = [orjson.loads(line) for line in answer.text.splitlines()]
        assert lines == await items(client, f"from={day}&to={day}")
    quiet = await client.get(f"{API}/2026-01-04.jsonl")
    assert quiet.status_code == 200 and quiet.content == b""


@pytest.mark.parametrize(
    ("path", "code"),
    [
        (f"{API}/2026-13-01.jsonl", "invalid_date"),
        (f"{API}/yesterday.jsonl", "invalid_date"),
        (f"{API}/1999-12-31.jsonl", "invalid_date"),
        (f"{API}?from=2026-02-30", "invalid_date"),
        (f"{API}?from=2026-01-07&to=2026-01-05", "reversed_range"),
        (f"{API}?from=2025-01-01&to=2026-01-05", "range_too_long"),
        (f"{API}?cursor=bm90LWEtY3Vyc29y", None),
    ],
)
async def test_bad_input_is_a_422(client, path: str, code: str | None) -> None:
    answer = await client.get(path)
    assert answer.status_code == 422, answer.text
    if code is not None:
        assert answer.json()["error"]["code"] == code


async def pages(client: httpx.AsyncClient, query: str) -> list[str]:
    """The page for `query` and the pages after it (following "Later decisions")."""
    found: list[str] = []
    url: str | None = f"/decisions?{query}"
    while url:
        page = await client.get(url)
        assert page.status_code == 200, page.text
        found.append(page.text)
        more = re.search(r'<a class="button" href="([^"]+)" id="dl-next"', page.text)
        url = html.unescape(more.group(1)) if more else None
    return found


async def page_ids(client: httpx.AsyncClient, query: str) -> list[str]:
    """The records' ids on the pages for `query`, two at most on each."""
    found: list[str] = []
    for text in await pages(client, query):
        on_page = re.findall(r'<li class="card dl-record" id="([^"]+)"', text)
        assert len(on_page) <= 2
        found += on_page
    return found


async def test_the_page_lists_the_records_with_filters(client, log) -> None:
    everything = [i["platform_uid"] for i in await items(client)]
    assert await page_ids(client, RANGE) == everything
    page = await client.get(f"/decisions?{RANGE}")
    for day in DAYS[:1]:
        assert f'href="{API}/{day}.jsonl"' in page.text
    assert "Reversed 2026-01-07" in page.text

    assert await page_ids(client, f"{RANGE}&policy=spam&automated=no") == [uid(log["closed"])]
    filtered = await client.get(f"/decisions?{RANGE}&policy=spam&automated=no")
    assert "Scams and fraud" in filtered.text  # the category, readable
    assert f'href="{API}/{DAYS[-1]}.jsonl"' in filtered.text
    assert f"{API}?from={DAYS[0]}&amp;to={DAYS[-1]}&amp;policy=spam&amp;automated=false" in (
        filtered.text
    )
    assert await page_ids(client, f"{RANGE}&surface=user") == [uid(log["suspension"])]
    refused = await client.get("/decisions?from=2026-01-07&to=2026-01-05")
    assert refused.status_code == 422
    assert "the range starts (2026-01-07) after it ends (2026-01-05)" in refused.text
    assert 'href="/decisions"' in (await client.get("/transparency")).text
