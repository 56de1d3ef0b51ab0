"""Report -> case -> decision -> effect on each surface, through the API: what the reported
content's viewers and its author see afterwards, the frozen snapshot, reversal bringing it
back, and held content shown again when a moderator finds nothing wrong."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from plaza.moderation.models import Action
from plaza.moderation.service import cases, enforcement
from plaza.moderation.setup import moderation_of
from plaza.runtime import Runtime
from tests.helpers import befriend
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
from tests.public_accounts.helpers import create_account, publish

API = "/api/v1"


async def _decided(
    app: FastAPI, client: httpx.AsyncClient, surface: str, ref_id: int, **body
) -> httpx.Response:
    """A fresh moderator claims the thing's case and decides it."""
    moderator = await staff(app, client, f"mod_{surface}_{ref_id}_{body['action']}")
    case = await case_of(client, moderator, surface, ref_id)
    assert (await claim(client, moderator, case["id"])).status_code == 200
    return await decide(client, moderator, case["id"], **body)


async def _moment(client: httpx.AsyncClient, who: Headers, text: str) -> int:
    posted = await client.post(f"{API}/moments", json={"text": text}, headers=who)
    assert posted.status_code == 201, posted.text
    return int(posted.json()["id"])


async def _seen_by(client: httpx.AsyncClient, who: Headers, moment: int) -> httpx.Response:
    return await client.get(f"{API}/moments/{moment}", headers=who)


async def _friends(client: httpx.AsyncClient, *names: str) -> dict[str, Headers]:
    heads = {name: (await member(client, name))[0] for name in names}
    for other in names[1:]:
        await befriend(client, heads[other], heads[names[0]], names[0])
    return heads


async def test_a_reported_moment_is_removed_then_restored(app, client) -> None:
    heads = await _friends(client, "ann", "bob")
    dan, _ = await member(client, "dan")
    moment = await _moment(client, heads["ann"], "buy cheap pills")

    assert (await report(client, dan, "moment", moment, "spam")).status_code == 404
    own = await report(client, heads["ann"], "moment", moment, "spam")
    assert own.status_code == 422 and own.json()["error"]["code"] == "own_content"
    assert (await report(client, heads["bob"], "moment", moment, "spam", "ads")).status_code == 201

    moderator = await staff(app, client, "moment_mod")
    case = await case_of(client, moderator, "moment", moment)
    assert case["excerpt"] == "buy cheap pills" and case["subject"]["username"] == "ann"
    detail = (await client.get(f"{API}/moderation/cases/{case['id']}", headers=moderator)).json()
    assert detail["snapshot"]["text"] == "buy cheap pills"
    ann = (await client.get(f"{API}/me", headers=heads["ann"])).json()["id"]
    assert detail["snapshot"]["author_id"] == ann
    assert (await claim(client, moderator, case["id"])).status_code == 200
    decided = await decide(
        client, moderator, case["id"], action="remove_content", policy_id="spam", clause=1
    )
    assert decided.status_code == 200, decided.text

    assert (await _seen_by(client, heads["bob"], moment)).status_code == 404
    mine = await client.get(f"{API}/moments/{moment}", headers=heads["ann"])
    assert mine.status_code == 200 and mine.json()["moderation"] == "removed"
    action = await action_row(app, decided.json()["action"]["id"])
    assert action.snapshot["text"] == "buy cheap pills" and action.report_count == 1

    # Nothing was deleted: reversing the action shows the moment again, as it was.
    await reverse(app, action.id)
    back = await client.get(f"{API}/moments/{moment}", headers=heads["bob"])
    assert back.status_code == 200 and back.json()["text"] == "buy cheap pills"
    assert (await _seen_by(client, heads["ann"], moment)).json()["moderation"] is None


async def test_a_strike_for_a_message_leaves_a_marker(app, client) -> None:
    heads = await _friends(client, "ann", "bob")
    dan, _ = await member(client, "dan")
    chat = await client.post(
        f"{API}/conversations", json={"kind": "direct", "members": ["bob"]}, headers=heads["ann"]
    )
    conversation = chat.json()["id"]
    sent = await client.post(
        f"{API}/conversations/{conversation}/messages",
        json={"client_id": "m1", "text": "send me your password"},
        headers=heads["bob"],
    )
    message = sent.json()["id"]
    assert (await report(client, dan, "message", message, "spam")).status_code == 404
    mine = await report(client, heads["bob"], "message", message, "spam")
    assert mine.status_code == 422 and mine.json()["error"]["code"] == "own_content"
    assert (await report(client, heads["ann"], "message", message, "spam")).status_code == 201

    decided = await _decided(
        app, client, "message", message, action="strike", policy_id="spam", clause=3
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["action"]["action"] == "strike"

    history = await client.get(f"{API}/conversations/{conversation}/messages", headers=heads["ann"])
    [seen] = [m for m in history.json()["items"] if m["id"] == message]
    assert seen["removed"] is True and "password" not in history.text
    own = await client.get(f"{API}/conversations/{conversation}/messages", headers=heads["bob"])
    [kept] = [m for m in own.json()["items"] if m["id"] == message]
    assert kept["moderation"] == "removed" and kept["text"] == "send me your password"
    # A strike does not stop the person writing.
    again = await client.post(
        f"{API}/conversations/{conversation}/messages",
        json={"client_id": "m2", "text": "sorry"},
        headers=heads["bob"],
    )
    assert again.status_code == 201, again.text


async def test_a_comment_is_removed_for_its_readers(app, client) -> None:
    heads = await _friends(client, "ann", "cat")
    moment = await _moment(client, heads["ann"], "hello")
    said = await client.post(
        f"{API}/moments/{moment}/comments", json={"text": "you idiot"}, headers=heads["cat"]
    )
    comment = said.json()["id"]
    assert (await report(client, heads["ann"], "comment", comment, "harassment")).status_code == 201
    decided = await _decided(
        app, client, "comment", comment, action="remove_content", policy_id="harassment", clause=1
    )
    assert decided.status_code == 200, decided.text
    shown = await client.get(f"{API}/moments/{moment}", headers=heads["ann"])
    assert "you idiot" not in shown.text
    own = await client.get(f"{API}/moments/{moment}", headers=heads["cat"])
    [kept] = [c for c in own.json()["comments"] if c["id"] == comment]
    assert kept["moderation"] == "removed"


async def test_an_article_is_removed_and_an_account_closed(app, client) -> None:
    owner, _ = await member(client, "publisher")
    reader, _ = await member(client, "reader")
    account = await create_account(client, owner, "herald_x", "The Herald")
    article = await publish(client, owner, "herald_x", "Graphic pictures", "gore")
    assert (await report(client, reader, "article", article["id"], "violence")).status_code == 201
    removed = await _decided(
        app,
        client,
        "article",
        article["id"],
        action="remove_content",
        policy_id="violence",
        clause=1,
    )
    assert removed.status_code == 200, removed.text
    gone = await client.get(f"{API}/articles/{article['id']}", headers=reader)
    assert gone.status_code in (404, 410) and "gore" not in gone.text

    reported = await report(client, reader, "public_account", account["id"], "spam")
    assert reported.status_code == 201, reported.text
    moderator = await staff(app, client, "account_mod")
    case = await case_of(client, moderator, "public_account", account["id"])
    assert (await claim(client, moderator, case["id"])).status_code == 200
    refused = await decide(
        client, moderator, case["id"], action="remove_content", policy_id="spam", clause=1
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "not_content"
    closed = await decide(
        client, moderator, case["id"], action="close_account", policy_id="spam", clause=1
    )
    assert closed.status_code == 200, closed.text
    assert (await client.get(f"{API}/public-accounts/herald_x", headers=reader)).status_code == 404
    own = await client.get(f"{API}/public-accounts/herald_x", headers=owner)
    assert own.status_code == 200 and own.json()["moderation"] == "closed"
    # Closing the account is not closing its owner's own account.
    assert (await client.get(f"{API}/me", headers=owner)).status_code == 200

    await reverse(app, closed.json()["action"]["id"])
    assert (await client.get(f"{API}/public-accounts/herald_x", headers=reader)).status_code == 200


async def _hold(app: FastAPI, surface: str, ref_id: int) -> int:
    """What screening does with a hold: the content held by an automated action and a case
    opened for moderators, in one transaction. Returns the case id."""
    runtime: Runtime = app.state.runtime
    moderation = moderation_of(app)
    async with runtime.sessions() as session:
        held = await enforcement.enforce(
            session,
            moderation=moderation,
            clock=runtime.clock,
            bus=runtime.bus,
            surface=surface,
            ref_id=ref_id,
            action="hold",
            policy_id="illegal_goods",
            clause=1,
            explanation="",
            source="automated",
            automated_detection=True,
            automated_decision=True,
        )
        case = await cases.open_case(
            session,
            surface=surface,
            ref_id=ref_id,
            subject_id=held.action.subject_id,
            source="automated",
            severity=3,
            now=runtime.clock.now(),
        )
        await session.commit()
        await held.announce()
        return case.id


async def test_no_action_shows_held_content_again(app, client) -> None:
    heads = await _friends(client, "ann", "bob")
    moment = await _moment(client, heads["ann"], "grow lights for sale")
    case_id = await _hold(app, "moment", moment)
    assert (await _seen_by(client, heads["bob"], moment)).status_code == 404
    # Held content is its author's alone: nobody else can report it meanwhile.
    assert (await report(client, heads["bob"], "moment", moment, "spam")).status_code == 404

    moderator = await staff(app, client, "held_mod")
    queued = await case_of(client, moderator, "moment", moment)
    assert queued["id"] == case_id and queued["source"] == "automated" and queued["severity"] == 3
    assert (await claim(client, moderator, case_id)).status_code == 200
    decided = await decide(client, moderator, case_id, action="no_action", explanation="Gardening.")
    assert decided.status_code == 200, decided.text
    shown = await client.get(f"{API}/moments/{moment}", headers=heads["bob"])
    assert shown.status_code == 200 and shown.json()["text"] == "grow lights for sale"
    # The hold ended with the decision.
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        [hold] = await session.scalars(select(Action).where(Action.action == "hold"))
    assert hold.reversed_at is not None


async def test_content_gone_before_the_decision(app, client) -> None:
    heads = await _friends(client, "ann", "bob")
    moment = await _moment(client, heads["ann"], "spam spam")
    assert (await report(client, heads["bob"], "moment", moment, "spam")).status_code == 201
    assert (await client.delete(f"{API}/moments/{moment}", headers=heads["ann"])).status_code == 204
    moderator = await staff(app, client, "late_mod")
    case = await case_of(client, moderator, "moment", moment)
    assert case["excerpt"] == "" and case["subject"]["username"] == "ann"
    assert (await claim(client, moderator, case["id"])).status_code == 200
    detail = await client.get(f"{API}/moderation/cases/{case['id']}", headers=moderator)
    assert detail.json()["snapshot"] is None
    cited = {"policy_id": "spam", "clause": 1}
    gone = await decide(client, moderator, case["id"], action="remove_content", **cited)
    assert gone.status_code == 409 and gone.json()["error"]["code"] == "content_gone"
    # The person can still be acted on for it.
    strike = await decide(client, moderator, case["id"], action="strike", **cited)
    assert strike.status_code == 200, strike.text
