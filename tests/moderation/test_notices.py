"""Notices (issue #12 item 1): every enforcement, automated or a moderator's, gives the person
it concerns a complete statement of reasons; they read it (also when suspended or closed),
hear of it live, and nobody else can."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from plaza.clock import FakeClock
from plaza.config import Settings
from tests.conftest import running_app
from tests.helpers import befriend, log_in, register
from tests.live_server import Stream, serve_with_client
from tests.moderated import add_term
from tests.moderation.helpers import Headers, case_of, claim, decide, member, report, staff

STATEMENT_KEYS = {
    "content",
    "action",
    "policy",
    "facts",
    "automated_detection",
    "automated_decision",
    "redress",
}


@pytest.fixture
async def world(settings: Settings, clock: FakeClock):
    settings = settings.model_copy(update={"moderation_lists_check_seconds": 0})
    async with running_app(settings, clock) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
            yield app, client


async def _notices(client: httpx.AsyncClient, who: Headers) -> list[dict[str, Any]]:
    answer = await client.get("/api/v1/notices?limit=100", headers=who)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def _moment(client: httpx.AsyncClient, who: Headers, text: str) -> httpx.Response:
    return await client.post("/api/v1/moments", json={"text": text}, headers=who)


async def _decided(
    app: FastAPI,
    client: httpx.AsyncClient,
    surface: str,
    ref_id: int,
    moderator: Headers,
    reporters: list[Headers],
    **ruling: Any,
) -> dict[str, Any]:
    for who in reporters:
        assert (await report(client, who, surface, ref_id, "harassment")).status_code == 201
    case = await case_of(client, moderator, surface, ref_id)
    assert (await claim(client, moderator, case["id"])).status_code == 200
    answer = await decide(client, moderator, case["id"], **ruling)
    assert answer.status_code == 200, answer.text
    return answer.json()["action"]


def _complete(notice: dict[str, Any], *, action: str, policy_id: str, clause: int) -> dict:
    """Every field of the statement of reasons is there and says something."""
    statement = notice["statement"]
    assert set(statement) == STATEMENT_KEYS, statement
    assert statement["action"]["type"] == action
    assert statement["action"]["says"].endswith(".") and len(statement["action"]["says"]) > 20
    policy = statement["policy"]
    assert (policy["id"], policy["clause"]) == (policy_id, clause)
    assert policy["title"] and policy["clause_text"]
    assert statement["facts"]["source"] in ("automated", "report", "moderator")
    assert statement["facts"]["explanation"]
    assert "reporter" not in str(statement).lower()
    assert statement["redress"]["appeal_until"] and statement["redress"]["how"]
    assert notice["kind"] == "enforcement" and notice["appealable"] is True
    assert notice["in_force"] is True and notice["appeal"] is None
    return statement


async def test_every_action_type_gives_a_complete_notice(world, clock: FakeClock) -> None:
    app, client = world
    author, author_id = await member(client, "author")
    rep1, _ = await member(client, "rep1")
    rep2, _ = await member(client, "rep2")
    moderator = await staff(app, client, "mod_n")
    await befriend(client, author, rep1, "rep1")
    await befriend(client, author, rep2, "rep2")
    clock.advance(3600)

    # Automated: a listed term removes a moment at once, and holds another.
    await add_term(app, "illegal_goods", 1, "meth")
    await add_term(app, "violence", 1, "kill you")
    removed = await _moment(client, author, "selling ｍｅｔｈ cheap")
    assert removed.status_code == 201, removed.text
    held = await _moment(client, author, "I will kill you tomorrow")
    assert held.status_code == 201, held.text
    [hold_n, remove_n] = await _notices(client, author)
    statement = _complete(remove_n, action="remove_content", policy_id="illegal_goods", clause=1)
    assert statement["content"]["text"] == "selling ｍｅｔｈ cheap"
    assert statement["content"]["surface"] == "moment"
    assert statement["automated_detection"] and statement["automated_decision"]
    [signal] = statement["facts"]["signals"]
    assert signal["detector"] == "keywords" and signal["evidence"]["term"] == "meth"
    assert statement["facts"]["explanation"] == (
        "Automated detection found the listed term \u201cmeth\u201d, "
        "which the cited policy forbids."
    )
    assert statement["facts"]["report_count"] == 0
    _complete(hold_n, action="hold", policy_id="violence", clause=1)
    assert "until a moderator has reviewed it" in hold_n["statement"]["action"]["says"]

    # A moderator's decisions on reports: strike, restrict, suspend, close.
    moment = await _moment(client, author, "You are all idiots")
    moment_id = moment.json()["id"]
    await _decided(
        app, client, "moment", moment_id, moderator, [rep1, rep2],
        action="strike", policy_id="harassment", clause=1,
        explanation="Insults aimed at your readers.",
    )  # fmt: skip
    strike_n = (await _notices(client, author))[0]
    statement = _complete(strike_n, action="strike", policy_id="harassment", clause=1)
    assert statement["facts"]["report_count"] == 2
    assert statement["facts"]["explanation"] == "Insults aimed at your readers."
    assert statement["facts"]["source"] == "report"
    assert not statement["automated_detection"] and not statement["automated_decision"]
    assert statement["content"]["text"] == "You are all idiots"

    await _decided(
        app, client, "user", author_id, moderator, [rep1],
        action="restrict", policy_id="harassment", clause=1, duration_days=3,
    )  # fmt: skip
    restrict_n = (await _notices(client, author))[0]
    statement = _complete(restrict_n, action="restrict", policy_id="harassment", clause=1)
    assert statement["action"]["duration_days"] == 3 and statement["action"]["ends_at"]

    # Reports of the same person again open a new case once the last one is closed.
    await _decided(
        app, client, "user", author_id, moderator, [rep2],
        action="suspend", policy_id="harassment", clause=2, duration_days=7,
    )  # fmt: skip
    again = await log_in(client, "author")  # suspended people may sign in to read
    suspend_n = (await _notices(client, again))[0]
    statement = _complete(suspend_n, action="suspend", policy_id="harassment", clause=2)
    assert statement["action"]["duration_days"] == 7

    account = await client.post(
        "/api/v1/public-accounts",
        json={"handle": "rep1_news", "name": "Rep One News", "description": "news"},
        headers=rep1,
    )
    assert account.status_code == 201, account.text
    rep1_reporter, _ = await member(client, "rep3")
    await _decided(
        app, client, "public_account", account.json()["id"], moderator, [rep1_reporter],
        action="close_account", policy_id="harassment", clause=1,
    )  # fmt: skip
    [close_n] = await _notices(client, rep1)
    statement = _complete(close_n, action="close_account", policy_id="harassment", clause=1)
    assert statement["content"]["surface"] == "public_account"
    assert "public account was closed" in statement["action"]["says"]

    # Closing a person's account.
    await _decided(
        app, client, "user", author_id, moderator, [rep1_reporter],
        action="close_account", policy_id="harassment", clause=2,
    )  # fmt: skip
    again = await log_in(client, "author")  # closed people may sign in to read
    closed_n = (await _notices(client, again))[0]
    statement = _complete(closed_n, action="close_account", policy_id="harassment", clause=2)
    assert statement["action"]["says"] == "Your account was closed."

    # One notice a piece, the newest first; the author's are theirs alone.
    kinds = [n["statement"]["action"]["type"] for n in await _notices(client, again)]
    assert kinds == ["close_account", "suspend", "restrict", "strike", "hold", "remove_content"]
    assert await _notices(client, rep2) == []
    other = await client.get(f"/api/v1/notices/{strike_n['id']}", headers=rep2)
    assert other.status_code == 404
    assert other.json() == (await client.get("/api/v1/notices/999999", headers=rep2)).json()


async def test_an_escalation_s_notice_cites_the_strikes_it_counted(
    settings: Settings, clock: FakeClock
) -> None:
    settings = settings.model_copy(update={"strikes_to_suspend": 2})
    async with running_app(settings, clock) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
            _, person_id = await member(client, "twice")
            moderator = await staff(app, client, "mod_e")
            strikes = []
            for n in range(2):
                reporter, _ = await member(client, f"rep_e{n}")
                action = await _decided(
                    app, client, "user", person_id, moderator, [reporter],
                    action="strike", policy_id="harassment", clause=1,
                )  # fmt: skip
                strikes.append(action["id"])
            again = await log_in(client, "twice")
            [escalation, *_] = await _notices(client, again)
            statement = _complete(escalation, action="suspend", policy_id="harassment", clause=1)
            assert statement["facts"]["counted_strikes"] == strikes
            assert statement["facts"]["source"] == "automated"
            assert statement["automated_decision"] is True
            assert statement["action"]["duration_days"] == settings.strike_suspension_days


async def test_reading_a_notice_marks_it_read(world) -> None:
    app, client = world
    author, _ = await member(client, "reader")
    await add_term(app, "illegal_goods", 1, "meth")
    assert (await _moment(client, author, "meth for sale")).status_code == 201
    [notice] = await _notices(client, author)
    assert notice["read_at"] is None
    opened = await client.get(f"/api/v1/notices/{notice['id']}", headers=author)
    assert opened.status_code == 200 and opened.json()["read_at"] is not None
    assert (await _notices(client, author))[0]["read_at"] == opened.json()["read_at"]


async def test_no_action_tells_nobody(world) -> None:
    app, client = world
    person, person_id = await member(client, "cleared")
    reporter, _ = await member(client, "accuser")
    moderator = await staff(app, client, "mod_c")
    await _decided(
        app, client, "user", person_id, moderator, [reporter],
        action="no_action", explanation="Nothing wrong here.",
    )  # fmt: skip
    assert await _notices(client, person) == []


async def test_a_new_notice_is_heard_live_with_the_unread_count(sqlite_settings, clock) -> None:
    settings = sqlite_settings.model_copy(update={"moderation_lists_check_seconds": 0})
    async with serve_with_client(settings, clock) as (app, port, client):
        author = await register(client, "live_author")
        stream = await Stream(port, author["Authorization"].split()[1]).open()
        await add_term(app, "illegal_goods", 1, "meth")
        posted = await client.post("/api/v1/moments", json={"text": "cheap meth"}, headers=author)
        assert posted.status_code == 201, posted.text
        got = await stream.events_until(lambda e: e["type"] == "notice.new")
        event = got[-1]
        assert event["unread"] == 1 and event["kind"] == "enforcement"
        assert event["says"] == "Your moment was removed: others no longer see it."
        [notice] = (await client.get("/api/v1/notices", headers=author)).json()["items"]
        assert event["id"] == notice["id"]
        await stream.close()
