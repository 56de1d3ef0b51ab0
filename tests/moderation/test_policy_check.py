"""The pre-publication check, `POST /api/v1/policy-check`, on a real app and database: it
answers what publishing would meet (the same detectors and rules: the moment then posted is
removed as the check said), with evidence about the submitted text only; it never shows a
listed term or hash, stores nothing, leaves the spam memory alone, and is rate-limited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select

from plaza.clock import FakeClock
from plaza.config import Settings
from plaza.moderation.models import Action, AuditEntry, Case, Decision, ModerationTerm, PendingScan
from tests.conftest import running_app
from tests.helpers import register
from tests.moderated import HELD_TERM, REMOVED_TERM, list_terms, screening_settings
from tests.moderation.helpers import staff
from tests.moderation.scan_pictures import picture, png, reuploaded
from tests.moderation.scans import list_picture_as, upload

CHECK = "/api/v1/policy-check"
PEOPLE = ("ann", "bob", "cai", "dan", "eve", "fay", "gus")


@pytest.fixture
async def world(settings: Settings, clock: FakeClock) -> AsyncIterator[dict[str, Any]]:
    # A low send rate, so a check counted as a send would show (spam.rate holds at 5/minute).
    tuned = screening_settings(settings, spam_sends_per_window=5)
    async with running_app(tuned, clock) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
            heads = {name: await register(client, name) for name in PEOPLE}
            clock.advance(61)  # signing up is out of the spam checks' window
            yield {"app": app, "client": client, "heads": heads, "clock": clock}


async def _check(world: dict[str, Any], who: str = "ann", **body: Any) -> httpx.Response:
    body.setdefault("surface", "moment")
    return await world["client"].post(CHECK, json=body, headers=world["heads"][who])


async def _checked(world: dict[str, Any], who: str = "ann", **body: Any) -> dict[str, Any]:
    answer = await _check(world, who, **body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def _list_many(app: Any, terms: list[str]) -> None:
    """List terms as `plaza moderation keywords import` does (one statement)."""
    now = datetime.now(UTC)
    entry = {"policy_id": "illegal_goods", "clause": 1, "exception": False, "created_at": now}
    rows = [{**entry, "term": t} for t in terms]
    async with app.state.runtime.sessions() as session:
        await session.execute(insert(ModerationTerm), rows)
        await session.commit()


async def test_the_answer_names_only_the_listed_terms_the_text_contains(world) -> None:
    latin = [f"zorbex{n:03d}q" for n in range(250)]
    chinese = [f"禁售品{n:03d}号" for n in range(250)]
    await _list_many(world["app"], latin + chinese)
    text = "Fresh stock: ZORBEX137Q here.\n\nAlso 禁售品042号 cheap, 禁售品042号 again."
    answer = await _check(world, text=text)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["outcome"] == "remove"
    by_matched = {f["evidence"]["matched"]: f for f in result["findings"]}
    assert set(by_matched) == {"ZORBEX137Q", "禁售品042号"}
    # None of the other 498 is in the answer, in any case.
    raw = answer.text.casefold()
    others = [t for t in latin + chinese if t not in ("zorbex137q", "禁售品042号")]
    assert len(others) == 498
    assert [t for t in others if t.casefold() in raw] == []
    # The first is listed as "zorbex137q": the answer has what was written, not the listing.
    assert "ZORBEX137Q" in answer.text and "zorbex137q" not in answer.text
    found = by_matched["禁售品042号"]
    assert (found["policy_id"], found["clause"], found["outcome"]) == ("illegal_goods", 1, "remove")
    assert found["policy_title"] == "Illegal goods and services"
    assert found["clause_text"] == "Do not sell, buy or arrange the sale of illegal drugs."
    evidence = found["evidence"]
    assert text[evidence["start"] : evidence["end"]] == "禁售品042号"
    assert (evidence["field"], evidence["paragraph"], evidence["count"]) == ("text", 1, 2)
    assert set(evidence) == {"field", "matched", "start", "end", "count", "paragraph"}


async def test_the_check_says_what_posting_then_does(world) -> None:
    app, client, ann = world["app"], world["client"], world["heads"]["ann"]
    await list_terms(app)
    text = f"selling {REMOVED_TERM.upper()} by the gram"
    result = await _checked(world, text=text)
    assert result["outcome"] == "remove"
    [finding] = result["findings"]
    assert finding["detector"] == "keywords" and finding["evidence"]["matched"] == "METHX"
    posted = await client.post(
        "/api/v1/moments",
        json={"text": text, "visibility": {"mode": "friends", "usernames": [], "labels": []}},
        headers=ann,
    )
    assert posted.status_code == 201, posted.text
    async with app.state.runtime.sessions() as session:
        [decision] = (await session.execute(select(Decision))).scalars()
    assert (decision.outcome, decision.policy_id, decision.clause) == ("remove", "illegal_goods", 1)
    # Ordinary text: allowed, nothing found.
    assert await _checked(world, text="A walk by the river. 今天天气很好。") == {
        "outcome": "allow",
        "findings": [],
    }


async def test_an_article_s_title_and_paragraphs_are_located(world) -> None:
    await list_terms(world["app"])
    body = f"第一段，平安无事。\n\n第二段也很好。\n\n\n第三段 {HELD_TERM} 在这里。"
    result = await _checked(world, surface="article", title=f"News {REMOVED_TERM}", text=body)
    # The gravest finding wins: removed (illegal goods) over held (violence).
    assert result["outcome"] == "remove"
    found = {f["evidence"]["field"]: f for f in result["findings"]}
    title = found["title"]["evidence"]
    assert (title["start"], title["end"], title["matched"]) == (5, 10, REMOVED_TERM)
    text = found["text"]
    assert (text["policy_id"], text["clause"], text["outcome"]) == ("violence", 2, "hold")
    assert text["evidence"]["paragraph"] == 2
    assert body[text["evidence"]["start"] : text["evidence"]["end"]] == HELD_TERM


async def _counts(app: Any) -> dict[str, int]:
    counts = {}
    async with app.state.runtime.sessions() as session:
        for table in (Decision, Action, Case, AuditEntry, PendingScan):
            query = select(func.count()).select_from(table)
            counts[table.__tablename__] = int(await session.scalar(query) or 0)
    return counts


async def test_a_check_stores_nothing(world) -> None:
    app = world["app"]
    await list_terms(app)
    before = await _counts(app)
    for surface in ("moment", "comment", "profile"):
        result = await _checked(world, surface=surface, text=f"{HELD_TERM} {REMOVED_TERM}")
        assert result["outcome"] == "remove"
    result = await _checked(world, surface="public_account", title=HELD_TERM, text="")
    assert result["outcome"] == "hold"
    assert await _counts(app) == before
    assert set(before) == {
        "moderation_decisions",
        "moderation_actions",
        "moderation_cases",
        "moderation_audit",
        "moderation_pending_scans",
    }


async def test_checks_do_not_feed_the_spam_memory(world) -> None:
    client, heads = world["client"], world["heads"]
    text = "Congratulations! You won a free phone, claim it at the link in my profile today"
    # Twenty checks by ann (four times the spam send rate) and six other people checking
    # the same text (more than the five other authors that make a duplicate).
    for _ in range(20):
        await _checked(world, text=text)
    for name in PEOPLE[1:]:
        assert (await _checked(world, name, text=text))["outcome"] == "allow"
    posted = await client.post(
        "/api/v1/moments",
        json={"text": text, "visibility": {"mode": "friends", "usernames": [], "labels": []}},
        headers=heads["ann"],
    )
    assert posted.status_code == 201, posted.text
    mine = await client.get(f"/api/v1/moments/{posted.json()['id']}", headers=heads["ann"])
    assert mine.status_code == 200 and mine.json().get("moderation") is None, mine.text
    async with world["app"].state.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Decision)) == 0


async def test_checks_are_limited_per_person(settings: Settings, clock: FakeClock) -> None:
    tuned = settings.model_copy(update={"policy_checks_per_person": "3/3600"})
    async with running_app(tuned, clock) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
            ann, bob = await register(client, "ann"), await register(client, "bob")
            body = {"surface": "moment", "text": "hello"}
            for _ in range(3):
                assert (await client.post(CHECK, json=body, headers=ann)).status_code == 200
            refused = await client.post(CHECK, json=body, headers=ann)
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["Retry-After"]) > 0
            # Per person: bob is not held back by ann's checks.
            assert (await client.post(CHECK, json=body, headers=bob)).status_code == 200


async def test_what_is_refused(world) -> None:
    client = world["client"]
    too_long = await _check(world, surface="comment", text="x" * 1001)
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "too_long"
    titled = await _check(world, surface="moment", title="A title", text="hi")
    assert titled.status_code == 422 and titled.json()["error"]["code"] == "no_title"
    bobs = await upload(client, world["heads"]["bob"], png(picture(3)))
    others = await _check(world, text="look", media_ids=[bobs])
    assert others.status_code == 422 and others.json()["error"]["code"] == "unknown_media"
    signed_out = await client.post(CHECK, json={"surface": "moment", "text": "hi"})
    assert signed_out.status_code == 401


async def test_a_listed_picture_is_named_by_my_upload_and_distance_only(world) -> None:
    app, client, heads = world["app"], world["client"], world["heads"]
    moderator = await staff(app, client, "mod")
    await list_picture_as(client, moderator, seed=1)
    listed = await upload(client, heads["ann"], reuploaded(picture(1)))
    other = await upload(client, heads["ann"], png(picture(2)))
    before = await _counts(app)
    answer = await _check(world, text="holiday", media_ids=[other, listed])
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["outcome"] == "remove"
    [finding] = result["findings"]
    assert (finding["detector"], finding["policy_id"], finding["clause"]) == (
        "image.hash",
        "violence",
        1,
    )
    assert set(finding["evidence"]) == {"media_id", "distance"}
    assert finding["evidence"]["media_id"] == listed and finding["evidence"]["distance"] <= 31
    hashes = await client.get("/api/v1/moderation/hashes", headers=moderator)
    [listed_hash] = [h["hash"] for h in hashes.json()["items"]]
    assert listed_hash.casefold() not in answer.text.casefold()
    assert await _counts(app) == before  # no scan recorded either
