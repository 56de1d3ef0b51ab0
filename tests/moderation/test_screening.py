"""Screening on a real app and database: what the inline detectors find, what the engine makes
of it, what is stored, and that a list change acts on the next write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from plaza.accounts.models import User
from plaza.clock import FakeClock
from plaza.config import Settings
from plaza.moderation.models import Action, AuditEntry, Case, Decision
from plaza.moderation.service.screening import screen
from plaza.moderation.setup import Moderation, moderation_of
from plaza.moderation.verdicts import Content, Verdict
from tests.conftest import running_app
from tests.helpers import befriend, register, send
from tests.moderated import add_term, screening_settings


@pytest.fixture
async def world(settings: Settings, clock: FakeClock) -> AsyncIterator[dict[str, Any]]:
    # Look at the lists on every write (the default is at most once a second).
    settings = settings.model_copy(
        update={"moderation_lists_check_seconds": 0, "spam_sends_per_window": 60}
    )
    async with running_app(settings, clock) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
            heads = {}
            for name in ("ana", "ben", "cai", "dan", "eve", "fay", "gus"):
                heads[name] = await register(client, name)
            await befriend(client, heads["ana"], heads["ben"], "ben")
            # Signing up is out of the spam checks' window.
            clock.advance(61)
            yield {"app": app, "clock": clock, "client": client, "heads": heads}


async def _moment(world: dict[str, Any], author: str, text: str = "A quiet day.") -> int:
    """A real moment to screen an edit of (enforcement acts on things that exist)."""
    answer = await world["client"].post(
        "/api/v1/moments", json={"text": text}, headers=world["heads"][author]
    )
    assert answer.status_code == 201, answer.text
    world["clock"].advance(61)  # out of the spam checks' window again
    return int(answer.json()["id"])


async def _user_id(app: Any, username: str) -> int:
    async with app.state.runtime.sessions() as session:
        query = select(User.id).where(User.username == username)
        return (await session.execute(query)).scalar_one()


async def _screen(app: Any, author: str, text: str, **fields: Any) -> Verdict:
    moderation: Moderation = moderation_of(app)
    author_id = await _user_id(app, author)
    fields.setdefault("surface", "moment")
    fields.setdefault("ref_id", 1)
    fields.setdefault("public", fields["surface"] != "message")
    async with app.state.runtime.sessions() as session:
        verdict = await screen(
            session,
            moderation=moderation,
            content=Content(author_id=author_id, text=text, **fields),
        )
        await session.commit()
    return verdict


async def _rows(app: Any, table: Any) -> list[Any]:
    async with app.state.runtime.sessions() as session:
        return list((await session.execute(select(table).order_by(table.id))).scalars())


async def _decisions(app: Any) -> list[Decision]:
    return await _rows(app, Decision)


async def test_ordinary_text_is_allowed_and_nothing_is_stored(world) -> None:
    app = world["app"]
    verdict = await _screen(app, "ana", "A walk by the river this morning. 今天天气很好。")
    assert verdict.outcome == "allow" and verdict.state is None
    assert await _decisions(app) == []


async def test_a_listed_term_acts_on_the_next_write_with_the_policy_s_action(world) -> None:
    app = world["app"]
    moment = await _moment(world, "ana")
    assert moment in await _moments_seen_by_ben(world)
    assert (await _screen(app, "ana", "selling ｍｅｔｈ cheap", ref_id=moment)).outcome == "allow"
    await add_term(app, "illegal_goods", 1, "meth")
    # Full-width letters and a zero-width space do not hide it.
    verdict = await _screen(app, "ana", "selling ｍｅ\u200bｔｈ cheap, DM me", ref_id=moment)
    assert verdict.outcome == "remove" and verdict.state == "removed"
    assert (verdict.policy_id, verdict.clause) == ("illegal_goods", 1)
    [decision] = await _decisions(app)
    assert (decision.surface, decision.ref_id, decision.outcome) == ("moment", moment, "remove")
    [signal] = decision.signals
    assert signal["detector"] == "keywords" and signal["evidence"]["term"] == "meth"
    # The evidence points at what the author wrote.
    start, end = signal["evidence"]["start"], signal["evidence"]["end"]
    assert "selling ｍｅ\u200bｔｈ cheap, DM me"[start:end] == "ｍｅ\u200bｔｈ"
    # Enforced at once, as an automated action citing the decision, and audited.
    [action] = await _rows(app, Action)
    assert (action.action, action.source, action.decision_id) == (
        "remove_content",
        "automated",
        decision.id,
    )
    assert action.automated_detection and action.automated_decision
    assert (action.policy_id, action.clause, action.subject_id) == (
        "illegal_goods",
        1,
        decision.author_id,
    )
    assert action.snapshot["ref_id"] == moment
    [entry] = await _rows(app, AuditEntry)
    assert (entry.verb, entry.target, entry.actor_id) == (
        "screening.remove_content",
        f"moment:{moment}",
        None,
    )
    # Nobody needs to look at it: no case.
    assert await _rows(app, Case) == []
    # Her friend no longer sees it (the surface honours the state).
    assert moment not in await _moments_seen_by_ben(world)


async def _moments_seen_by_ben(world: dict[str, Any]) -> list[int]:
    answer = await world["client"].get("/api/v1/users/ana/moments", headers=world["heads"]["ben"])
    assert answer.status_code == 200, answer.text
    return [m["id"] for m in answer.json()["items"]]


async def test_private_messages_get_no_keyword_checks_by_default(world) -> None:
    app = world["app"]
    await add_term(app, "sexual", 3, "nsfwterm")
    verdict = await _screen(app, "ana", "nsfwterm between us", surface="message")
    assert verdict.outcome == "allow"
    assert await _decisions(app) == []
    # ...but the same words in a moment are removed under the sexual-content policy.
    moment = await _moment(world, "ana")
    verdict = await _screen(app, "ana", "nsfwterm for everyone", surface="moment", ref_id=moment)
    assert (verdict.outcome, verdict.policy_id, verdict.clause) == ("remove", "sexual", 3)


async def test_a_flood_of_sends_is_held_as_spam(world) -> None:
    app, clock = world["app"], world["clock"]
    moment = await _moment(world, "ben")
    verdicts = []
    for n in range(80):
        verdicts.append(await _screen(app, "ben", f"msg {n}", ref_id=moment))
        clock.advance(0.1)
    outcomes = [v.outcome for v in verdicts]
    # 60 a minute (PLAZA_SPAM_SENDS_PER_WINDOW) is where the hold starts.
    assert set(outcomes[:59]) == {"allow"}
    assert set(outcomes[59:]) == {"hold"}
    held = verdicts[-1]
    assert (held.policy_id, held.clause) == ("spam", 2)
    # Held for review: one case for moderators, opened by automation, citing the decision.
    [case] = await _rows(app, Case)
    assert (case.surface, case.ref_id, case.source, case.state) == (
        "moment",
        moment,
        "automated",
        "open",
    )
    assert case.decision_id == verdicts[59].decision_id and case.severity == 2
    # A minute later the sender is calm again.
    clock.advance(61)
    assert (await _screen(app, "ben", "back", ref_id=moment)).outcome == "allow"


async def test_the_same_text_from_many_accounts_is_held(world) -> None:
    app = world["app"]
    text = "Congratulations! You won a free phone, claim it at the link in my profile today"
    outcomes = []
    for n, author in enumerate(("ana", "ben", "cai", "dan", "eve", "fay", "gus")):
        moment = await _moment(world, author)
        # Each a little different, as spammers vary them.
        varied = text.replace("phone", "phone" + "!" * n)
        outcomes.append((await _screen(app, author, varied, ref_id=moment)).outcome)
    # The sixth sees five others (PLAZA_SPAM_DUPLICATE_AUTHORS) wrote nearly the same.
    assert outcomes == ["allow"] * 5 + ["hold"] * 2
    decision = (await _decisions(app))[-1]
    assert decision.policy_id == "spam" and decision.clause == 1
    assert any(s["detector"] == "spam.duplicate" for s in decision.signals)


async def test_the_operator_chooses_what_private_messages_are_screened_for(
    settings: Settings, clock: FakeClock
) -> None:
    """PLAZA_MODERATION_PRIVATE_CHECKS=keywords,spam: a listed term in a direct message is
    caught (the spam policy holds its listed terms on every surface: the recipient never sees
    it, the sender is told); a check the server does not have stops start-up, naming it."""
    keyed = screening_settings(settings, moderation_private_checks="keywords, spam")
    async with running_app(keyed, clock) as app:
        await add_term(app, "spam", 4, "cheapwatchez")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
            ann, ben = await register(client, "ann"), await register(client, "ben")
            await befriend(client, ann, ben, "ben")
            clock.advance(61)  # signing up is out of the spam checks' window
            chat = await client.post(
                "/api/v1/conversations", json={"kind": "direct", "members": ["ben"]}, headers=ann
            )
            assert chat.status_code == 201, chat.text
            path = f"/api/v1/conversations/{chat.json()['id']}/messages"
            await send(client, ann, chat.json()["id"], "cheapwatchez, half price", "c1")
            assert (await client.get(path, headers=ben)).json()["items"] == []
            (own,) = (await client.get(path, headers=ann)).json()["items"]
            assert own["moderation"] == "held"
        [decision] = await _decisions(app)
        assert (decision.surface, decision.policy_id, decision.clause) == ("message", "spam", 4)
        # Audited and chained, though chat's own connection committed it (not a session).
        [entry] = await _rows(app, AuditEntry)
        assert (entry.verb, entry.target) == ("screening.hold", f"message:{decision.ref_id}")
        assert entry.hash is not None and entry.prev_hash is None

    wrong = settings.model_copy(update={"moderation_private_checks": "spam,telepathy"})
    with pytest.raises(ValueError, match="unknown telepathy"):
        async with running_app(wrong, clock):
            pass
