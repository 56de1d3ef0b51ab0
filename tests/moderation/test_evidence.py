"""Evidence kept through appeal (issue #13 item 2): what an enforcement was decided on (the
text, the pictures, an article's revision, the signals, the reports) stays for the author's
notice and the reviewing moderator however the author edits or deletes the content, until
the appeal window has closed, any appeal is decided and PLAZA_EVIDENCE_RETENTION_DAYS more
have passed; then the copies are purged, audited, and unused pictures deleted."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select

from plaza.clock import FakeClock
from plaza.config import Settings
from plaza.moderation.models import Action, AuditEntry, Notice
from plaza.moderation.service.evidence_purge import purge_due
from plaza.runtime import Runtime
from tests.conftest import running_app
from tests.helpers import befriend, log_in
from tests.moderated import HELD_TERM, list_terms
from tests.moderation.helpers import Headers, case_of, claim, decide, member, report, staff
from tests.moderation.test_audit_cli import plaza, said
from tests.public_accounts.helpers import create_account, publish

DAY = 86400.0
WINDOW, RETENTION = 180, 365
ORIGINAL = "Meet me behind the school, you will regret it"


@pytest.fixture
async def world(settings: Settings, clock: FakeClock):
    settings = settings.model_copy(
        update={
            "moderation_lists_check_seconds": 0,
            "appeal_window_days": WINDOW,
            "evidence_retention_days": RETENTION,
        }
    )
    async with running_app(settings, clock) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
            yield app, client


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


async def _upload(client: httpx.AsyncClient, who: Headers) -> int:
    answer = await client.post(
        "/api/v1/media", files={"file": ("p.png", _png(), "image/png")}, headers=who
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


async def _purge(app: FastAPI) -> int:
    """One sweep, as the server's hourly one runs it."""
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        return await purge_due(
            session, clock=runtime.clock, settings=runtime.settings, storage=app.state.media.storage
        )


async def _action(app: FastAPI, action_id: int) -> Action:
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        found = await session.get(Action, action_id)
        assert found is not None
        return found


async def _notices(app: FastAPI, action_id: int) -> list[Notice]:
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        return list(await session.scalars(select(Notice).where(Notice.action_id == action_id)))


async def _picture(client: httpx.AsyncClient, who: Headers, media_id: int) -> int:
    return (await client.get(f"/api/v1/media/{media_id}", headers=who)).status_code


async def _page(client: httpx.AsyncClient, who: Headers, path: str) -> httpx.Response:
    """A web page as the person sees it signed in (the web client's session cookie)."""
    client.cookies.set("plaza_session", who["Authorization"].removeprefix("Bearer "))
    try:
        return await client.get(path)
    finally:
        client.cookies.clear()


async def _removed_moment(app: FastAPI, client: httpx.AsyncClient) -> dict[str, Any]:
    """A moment with a picture, reported by a friend and removed by moderator `mod_a` (day 0)."""
    author, author_id = await member(client, "author")
    friend, _ = await member(client, "friend")
    await befriend(client, author, friend, "friend")
    picture = await _upload(client, author)
    posted = await client.post(
        "/api/v1/moments", json={"text": ORIGINAL, "media_ids": [picture]}, headers=author
    )
    assert posted.status_code == 201, posted.text
    moment_id = posted.json()["id"]
    reported = await report(client, friend, "moment", moment_id, details="He threatens my son")
    assert reported.status_code == 201, reported.text
    mod_a = await staff(app, client, "mod_a")
    case = await case_of(client, mod_a, "moment", moment_id)
    assert (await claim(client, mod_a, case["id"])).status_code == 200
    decided = await decide(
        client, mod_a, case["id"], action="remove_content", policy_id="harassment", clause=1
    )
    assert decided.status_code == 200, decided.text
    notices = (await client.get("/api/v1/notices", headers=author)).json()["items"]
    return {
        "author": author,
        "author_id": author_id,
        "friend": friend,
        "picture": picture,
        "moment_id": moment_id,
        "action_id": decided.json()["action"]["id"],
        "notice_id": notices[0]["id"],
    }


async def _appeal(client: httpx.AsyncClient, who: Headers, notice_id: int) -> int:
    filed = await client.post(
        f"/api/v1/notices/{notice_id}/appeal",
        json={"text": "I was quoting a film."},
        headers=who,
    )
    assert filed.status_code == 201, filed.text
    return int(filed.json()["id"])


async def _review(
    client: httpx.AsyncClient, reviewer: Headers, appeal_id: int, outcome: str = "uphold"
) -> dict[str, Any]:
    claimed = await client.post(f"/api/v1/moderation/appeals/{appeal_id}/claim", headers=reviewer)
    assert claimed.status_code == 200, claimed.text
    decided = await client.post(
        f"/api/v1/moderation/appeals/{appeal_id}/decision",
        json={"outcome": outcome, "explanation": "The picture and the words are a threat."},
        headers=reviewer,
    )
    assert decided.status_code == 200, decided.text
    return dict(decided.json())


async def test_an_appeal_decided_on_day_179_sees_the_original_then_it_is_purged(
    world, clock: FakeClock
) -> None:
    app, client = world
    w = await _removed_moment(app, client)
    author, picture = w["author"], w["picture"]

    # Day 1: the author deletes the removed moment.
    clock.advance(DAY)
    gone = await client.delete(f"/api/v1/moments/{w['moment_id']}", headers=author)
    assert gone.status_code == 204, gone.text

    # Day 100: the author appeals; the notice still shows the text and the picture.
    clock.advance(99 * DAY)
    author = await log_in(client, "author")  # sessions last a month: sign in again
    appeal_id = await _appeal(client, author, w["notice_id"])
    page = await _page(client, author, f"/notices/{w['notice_id']}")
    assert ORIGINAL in page.text and f"/api/v1/media/{picture}/thumbnail" in page.text
    assert await _picture(client, author, picture) == 200
    # The friend who saw the moment once sees its picture no more.
    assert await _picture(client, await log_in(client, "friend"), picture) == 404

    # Day 179: another moderator reviews it, seeing exactly what was decided on.
    clock.advance(79 * DAY)
    mod_b = await staff(app, client, "mod_b")
    review = (await client.get(f"/api/v1/moderation/appeals/{appeal_id}", headers=mod_b)).json()
    evidence = review["evidence"]
    assert evidence["snapshot"]["text"] == ORIGINAL
    assert [p["id"] for p in evidence["pictures"]] == [picture]
    assert await _picture(client, mod_b, picture) == 200
    assert [(r["policy_id"], r["details"]) for r in evidence["reports"]] == [
        ("harassment", "He threatens my son")
    ]
    assert "friend" not in str(evidence["reports"]) and "reporter" not in str(evidence)
    assert evidence["kept_until"] is None  # while the appeal waits
    decided = await _review(client, mod_b, appeal_id)
    assert decided["evidence"]["snapshot"]["text"] == ORIGINAL
    assert decided["evidence"]["kept_until"].startswith("2027-06-30")  # day 180 + 365

    # The day before the retention ends (window + retention - 1): nothing is purged.
    clock.advance((WINDOW + RETENTION - 1 - 179) * DAY)
    author, mod_b = await log_in(client, "author"), await log_in(client, "mod_b")
    assert await _purge(app) == 0
    assert (await _action(app, w["action_id"])).snapshot["text"] == ORIGINAL
    assert await _picture(client, author, picture) == 200

    # After it: the copies become a marker, the picture (used by nothing else) is deleted.
    clock.advance(2 * DAY)
    assert await _purge(app) == 1
    frozen = (await _action(app, w["action_id"])).snapshot
    assert "text" not in frozen and "media_ids" not in frozen and frozen["purged_at"]
    for notice in await _notices(app, w["action_id"]):  # the enforcement and the outcome
        content = notice.statement["content"]
        assert "text" not in content and content["purged_at"] == frozen["purged_at"]
    assert await _picture(client, author, picture) == 404
    assert await _picture(client, mod_b, picture) == 404
    review = (await client.get(f"/api/v1/moderation/appeals/{appeal_id}", headers=mod_b)).json()
    assert review["evidence"]["snapshot"] is None and review["evidence"]["purged_at"]
    assert ORIGINAL not in str(review)
    page = await _page(client, author, f"/notices/{w['notice_id']}")
    assert ORIGINAL not in page.text and "was deleted on" in page.text
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        purges = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.verb == "evidence.purge"))
        )
    assert [(e.actor_id, e.target) for e in purges] == [(None, f"action:{w['action_id']}")]
    assert purges[0].details["pictures_deleted"] == [picture]
    # A second sweep finds nothing more to do.
    assert await _purge(app) == 0


async def test_a_pending_appeal_keeps_the_evidence_until_decided_and_retention(
    world, clock: FakeClock
) -> None:
    app, client = world
    w = await _removed_moment(app, client)
    author, picture = w["author"], w["picture"]
    # The same picture also shows in another moment of hers: it outlives the purge.
    again = await client.post(
        "/api/v1/moments", json={"text": "Holidays", "media_ids": [picture]}, headers=author
    )
    assert again.status_code == 201, again.text
    clock.advance(DAY)
    assert (await client.delete(f"/api/v1/moments/{w['moment_id']}", headers=author)).is_success
    clock.advance(9 * DAY)
    appeal_id = await _appeal(client, author, w["notice_id"])

    # Long past the window and the retention, the appeal still waits: nothing goes.
    clock.advance((WINDOW + RETENTION + 30) * DAY)
    assert await _purge(app) == 0
    mod_b = await staff(app, client, "mod_b")
    review = (await client.get(f"/api/v1/moderation/appeals/{appeal_id}", headers=mod_b)).json()
    assert review["evidence"]["snapshot"]["text"] == ORIGINAL
    assert review["evidence"]["kept_until"] is None
    await _review(client, mod_b, appeal_id, outcome="reverse")

    # Kept for the retention after the decision, then purged; the shared picture stays.
    clock.advance((RETENTION - 1) * DAY)
    assert await _purge(app) == 0
    clock.advance(2 * DAY)
    assert await _purge(app) == 1
    assert "purged_at" in (await _action(app, w["action_id"])).snapshot
    assert await _picture(client, await log_in(client, "author"), picture) == 200
    # The friend sees it through the other moment, as before.
    assert await _picture(client, await log_in(client, "friend"), picture) == 200


async def test_the_review_shows_the_revision_signals_and_reports_of_an_article(
    world, clock: FakeClock
) -> None:
    app, client = world
    await list_terms(app)
    editor, _ = await member(client, "editor")
    reader, _ = await member(client, "reader")
    await create_account(client, editor, "news")
    article = await publish(client, editor, "news", "Match report", "A calm game.")
    reported = await report(
        client, reader, "article", article["id"], policy_id="violence", details="Incites fights"
    )
    assert reported.status_code == 201, reported.text
    # Revision 2 carries a listed violent term: screening holds it, into the reported case.
    second = f"After the game, {HELD_TERM} the referee."
    edited = await client.patch(
        f"/api/v1/articles/{article['id']}", json={"body": second}, headers=editor
    )
    assert edited.status_code == 200, edited.text
    mod_a = await staff(app, client, "mod_a")
    case = await case_of(client, mod_a, "article", article["id"])
    assert (await claim(client, mod_a, case["id"])).status_code == 200
    decided = await decide(
        client, mod_a, case["id"], action="remove_content", policy_id="violence", clause=2
    )
    assert decided.status_code == 200, decided.text
    # The editor tries to rewrite it, then takes it down.
    await client.patch(
        f"/api/v1/articles/{article['id']}", json={"body": "Nothing"}, headers=editor
    )
    assert (await client.delete(f"/api/v1/articles/{article['id']}", headers=editor)).is_success

    notice = (await client.get("/api/v1/notices", headers=editor)).json()["items"][0]
    appeal_id = await _appeal(client, editor, notice["id"])
    mod_b = await staff(app, client, "mod_b")
    answer = await client.get(f"/api/v1/moderation/appeals/{appeal_id}", headers=mod_b)
    assert answer.status_code == 200, answer.text
    evidence = answer.json()["evidence"]
    assert evidence["revision"] == 2 and evidence["snapshot"]["text"] == second
    assert [(s["detector"], s["evidence"]["term"]) for s in evidence["signals"]] == [
        ("keywords", HELD_TERM)
    ]
    [filed] = evidence["reports"]
    assert (filed["policy_id"], filed["details"]) == ("violence", "Incites fights")
    assert set(filed) == {"policy_id", "details", "created_at"}
    assert "reader" not in answer.text

    # The console's page shows the same, never who reported.
    page = await _page(client, mod_b, f"/moderation/appeals/{appeal_id}")
    assert page.status_code == 200, page.text
    for shown in (second, "Incites fights", HELD_TERM, "revision 2"):
        assert shown in page.text
    assert "@reader" not in page.text and "reader Name" not in page.text


@pytest.mark.slow
async def test_the_operator_purges_old_evidence_from_the_command_line(settings: Settings) -> None:
    """`plaza moderation purge-evidence` on the test's database, by the real clock: an
    enforcement of 2020 is long past its window and retention."""
    long_ago = FakeClock(datetime(2020, 1, 1, tzinfo=UTC))
    async with running_app(settings, long_ago) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
            w = await _removed_moment(app, client)
            gone = await client.delete(f"/api/v1/moments/{w['moment_id']}", headers=w["author"])
            assert gone.status_code == 204
            done = plaza(settings, "moderation", "purge-evidence")
            assert done.returncode == 0, done.stderr
            assert "Purged the evidence of 1 enforcement(s)" in said(done)
            assert "purged_at" in (await _action(app, w["action_id"])).snapshot
            assert await _picture(client, w["author"], w["picture"]) == 404
            again = plaza(settings, "moderation", "purge-evidence")
            assert "Purged the evidence of 0 enforcement(s)" in said(again)


async def test_a_deleted_comment_and_a_recalled_message_stay_in_the_review(world) -> None:
    app, client = world
    ann, _ = await member(client, "ann")
    bob, _ = await member(client, "bob")
    await befriend(client, bob, ann, "ann")
    moment = await client.post("/api/v1/moments", json={"text": "My new bike"}, headers=ann)
    moment_id = moment.json()["id"]
    said = await client.post(
        f"/api/v1/moments/{moment_id}/comments", json={"text": "ugly, like you"}, headers=bob
    )
    assert said.status_code == 201, said.text
    chat = await client.post(
        "/api/v1/conversations", json={"kind": "direct", "members": ["bob"]}, headers=ann
    )
    conversation = chat.json()["id"]
    sent = await client.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={"client_id": "m1", "text": "send me your password"},
        headers=bob,
    )
    assert sent.status_code in (200, 201), sent.text
    things = [("comment", said.json()["id"], "harassment"), ("message", sent.json()["id"], "spam")]
    mod_a = await staff(app, client, "mod_a")
    for surface, ref_id, policy in things:
        assert (await report(client, ann, surface, ref_id, policy)).status_code == 201
        case = await case_of(client, mod_a, surface, ref_id)
        assert (await claim(client, mod_a, case["id"])).status_code == 200
        decided = await decide(
            client, mod_a, case["id"], action="remove_content", policy_id=policy, clause=1
        )
        assert decided.status_code == 200, decided.text

    # Bob deletes his comment and recalls his message.
    deleted = await client.delete(
        f"/api/v1/moments/{moment_id}/comments/{said.json()['id']}", headers=bob
    )
    assert deleted.status_code == 204, deleted.text
    recalled = await client.delete(
        f"/api/v1/conversations/{conversation}/messages/{sent.json()['id']}", headers=bob
    )
    assert recalled.status_code == 204, recalled.text

    mod_b = await staff(app, client, "mod_b")
    notices = (await client.get("/api/v1/notices", headers=bob)).json()["items"]
    assert len(notices) == 2
    for notice in notices:
        assert notice["statement"]["content"]["text"] in ("ugly, like you", "send me your password")
        appeal_id = await _appeal(client, bob, notice["id"])
        review = await client.get(f"/api/v1/moderation/appeals/{appeal_id}", headers=mod_b)
        assert (
            review.json()["evidence"]["snapshot"]["text"] == notice["statement"]["content"]["text"]
        )
