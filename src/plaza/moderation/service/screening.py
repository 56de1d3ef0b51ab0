"""Screening: every new or edited item, inside the transaction that writes it.

A surface calls `screen` after its row has an id and before commit (see verdicts.py). The
cheap text checks run here, inline: keyword lists on public surfaces, the spam checks
everywhere; pictures are recorded for the scan worker (PDQ hash matching everywhere, nudity
on public surfaces), which never blocks the write. What runs where is a setting
(PLAZA_MODERATION_PRIVATE_CHECKS: private messages get "spam,image.hash" by default; public
surfaces get everything).

When no detector says anything (nearly always), screening writes nothing and costs no
statement. Otherwise the decision is stored with its signals whatever the outcome, and a
hold opens a case for moderators while a removal is enforced at once (an automated action
citing the decision, audited), all in the caller's transaction. The surface stores
`verdict.state` with the item itself and, once it has committed, runs `verdict.announce()`
(which matters for an edit of something others had already seen).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from plaza.accounts.models import User
from plaza.moderation import engine
from plaza.moderation.detectors.near_duplicates import minhash_of
from plaza.moderation.detectors.signals import Rule, Signal
from plaza.moderation.detectors.spam import SpamContext, spam_signals
from plaza.moderation.models import Decision
from plaza.moderation.scans.record import record_scans
from plaza.moderation.service import audit, audit_chain, cases, enforcement
from plaza.moderation.setup import CHECKS, Moderation
from plaza.moderation.verdicts import ALLOW, Content, Verdict

Executor = AsyncSession | AsyncConnection
# Public surfaces get every check; private messages what PLAZA_MODERATION_PRIVATE_CHECKS says.
PUBLIC_CHECKS = frozenset(CHECKS)
# Texts shorter than this are not compared for near-duplicates: "ok", "好的", "thanks!" are
# said by everyone and prove nothing.
MIN_DUPLICATE_CHARS = 24


def checks_for(moderation: Moderation, *, public: bool) -> frozenset[str]:
    """What screening and the scan worker run on an item (one rule for both)."""
    return PUBLIC_CHECKS if public else moderation.private_checks


async def screen(executor: Executor, *, moderation: Moderation, content: Content) -> Verdict:
    """Run the inline detectors on `content` and store what they found; the verdict says
    which moderation state the surface stores with the item."""
    signals = await detect(executor, moderation=moderation, content=content)
    checks = checks_for(moderation, public=content.public)
    if content.media_ids and checks.intersection(engine.IMAGE_DETECTORS):
        # Pictures are looked at by the scan worker, never here (plaza.moderation.scans).
        await record_scans(
            executor,
            surface=content.surface,
            ref_id=content.ref_id,
            author_id=content.author_id,
            media_ids=content.media_ids,
            now=moderation.runtime.clock.now(),
        )
    return await decide(executor, moderation=moderation, content=content, signals=signals)


async def detect(
    executor: Executor, *, moderation: Moderation, content: Content, remember: bool = True
) -> list[Signal]:
    """The inline detectors' signals about `content`: its surface's keyword lists and spam
    checks. `remember=False` is the pre-publication check (plaza.moderation.service.
    policy_check): nothing is published, so the spam memory is only read, never fed, and the
    near-duplicate comparison is left out (it would tell the caller what other people,
    in private messages too, have written lately)."""
    checks = checks_for(moderation, public=content.public)
    signals: list[Signal] = []
    if "keywords" in checks and content.text:
        matcher = await moderation.lists.matcher(executor)
        signals += matcher.scan(content.text)
    if "spam" in checks:
        signals += await _spam(executor, moderation, content, remember=remember)
    return signals


async def decide(
    executor: Executor, *, moderation: Moderation, content: Content, signals: Sequence[Signal]
) -> Verdict:
    """What the detectors' `signals` about `content` lead to: the decision stored and acted
    on in the caller's transaction (see the module docstring). The scan worker's verdict on
    a picture comes here too (plaza.moderation.scans.verdict)."""
    if not signals:
        return ALLOW
    ruling = engine.rule(signals, moderation.catalogue, content.surface)
    decision_id = await _store(executor, moderation, content, signals, ruling)
    verdict = Verdict(
        ruling.outcome,
        policy_id=ruling.signal.policy_id if ruling.signal else None,
        clause=ruling.clause,
        decision_id=decision_id,
    )
    if verdict.outcome == "allow":
        return verdict
    async with _session_for(executor) as session:
        enforced = await _act(session, moderation, content, verdict, ruling)
    return verdict.with_work(enforced.after_commit)


# What each outcome does to the item, as an enforcement (restrict removes it; restricting the
# author's publishing is a moderator's decision, with a duration they choose).
_ACTION = {"hold": "hold", "remove": "remove_content", "restrict": "remove_content"}


async def _act(
    session: AsyncSession,
    moderation: Moderation,
    content: Content,
    verdict: Verdict,
    ruling: engine.Ruling,
) -> enforcement.Enforced:
    """Hide the item as the policy says, and put a hold before the moderators."""
    runtime = moderation.runtime
    action = _ACTION[verdict.outcome]
    enforced = await enforcement.enforce(
        session,
        moderation=moderation,
        clock=runtime.clock,
        bus=runtime.bus,
        surface=content.surface,
        ref_id=content.ref_id,
        action=action,
        policy_id=verdict.policy_id,
        clause=verdict.clause,
        explanation="",
        source="automated",
        automated_detection=True,
        automated_decision=True,
        decision_id=verdict.decision_id,
        subject_id=content.author_id,
    )
    if verdict.outcome == "hold":
        case = await cases.open_case(
            session,
            surface=content.surface,
            ref_id=content.ref_id,
            subject_id=content.author_id,
            source="automated",
            severity=ruling.severity,
            now=runtime.clock.now(),
            decision_id=verdict.decision_id,
        )
        enforced.action.case_id = case.id
    audit.record(
        session,
        clock=runtime.clock,
        actor_id=None,
        verb=f"screening.{action}",
        target=f"{content.surface}:{content.ref_id}",
        details={
            "decision_id": verdict.decision_id,
            "policy_id": verdict.policy_id,
            "clause": verdict.clause,
        },
    )
    await session.flush()
    return enforced


@asynccontextmanager
async def _session_for(executor: Executor) -> AsyncIterator[AsyncSession]:
    """An ORM session inside the caller's transaction: enforcement works on sessions, and
    chat's group commit screens on a Core connection. A session bound to that connection
    joins its transaction and leaves committing to its owner, so its audit entries are
    chained before it is let go (they are written when the owner commits)."""
    if isinstance(executor, AsyncSession):
        yield executor
        return
    session = AsyncSession(bind=executor, join_transaction_mode="conditional_savepoint")
    try:
        yield session
        await audit_chain.seal(session)
    finally:
        await session.close()


async def _spam(
    executor: Executor, moderation: Moderation, content: Content, *, remember: bool
) -> list[Signal]:
    spam = moderation.spam_policy
    if spam is None or not spam.covers(content.surface):
        return []
    memory = moderation.spam
    now = moderation.runtime.clock.now()
    created = await _account_created(executor, moderation, content.author_id)
    similar = 0
    at = now.timestamp()
    if remember:
        minhash = minhash_of(content.text) if len(content.text) >= MIN_DUPLICATE_CHARS else None
        if minhash is not None:
            # The score is highest from twice the threshold on: no need to count further.
            enough = 2 * moderation.spam_thresholds.duplicate_authors or None
            similar = len(
                memory.duplicates.authors_similar_to(
                    minhash, excluding=content.author_id, enough=enough
                )
            )
            key = f"{content.surface}:{content.ref_id}"
            memory.duplicates.add(key, content.author_id, minhash)
        sends = memory.sends.add(content.author_id, at)
        strangers = memory.strangers.add(content.author_id, at, content.strangers)
    else:
        # As if this one were sent now, without counting it.
        sends = memory.sends.peek(content.author_id, at) + 1
        strangers = memory.strangers.peek(content.author_id, at) + content.strangers
    context = SpamContext(
        text=content.text,
        sender_recent_sends=sends,
        window_seconds=int(memory.sends.window_seconds),
        account_age_seconds=(now - created).total_seconds() if created else float("inf"),
        strangers_messaged_recently=strangers,
        similar_authors=similar,
    )
    found = spam_signals(context, moderation.spam_thresholds, Rule(spam.id, 1))
    # File each spam signal under the clause the catalogue gives its detector.
    return [
        Signal(s.policy_id, spam.clause_for(s.detector), s.detector, s.score, s.evidence)
        for s in found
    ]


async def _account_created(
    executor: Executor, moderation: Moderation, user_id: int
) -> datetime | None:
    created = moderation.spam.ages.get(user_id)
    if created is None:
        created = (
            await executor.execute(select(User.created_at).where(User.id == user_id))
        ).scalar_one_or_none()
        if created is not None:
            moderation.spam.ages.put(user_id, created)
    return created


async def _store(
    executor: Executor,
    moderation: Moderation,
    content: Content,
    signals: Sequence[Signal],
    ruling: engine.Ruling,
) -> int:
    row = await executor.execute(
        insert(Decision)
        .values(
            surface=content.surface,
            ref_id=content.ref_id,
            author_id=content.author_id,
            outcome=ruling.outcome,
            policy_id=ruling.signal.policy_id if ruling.signal else None,
            clause=ruling.clause,
            signals=[s.as_json() for s in signals],
            created_at=moderation.runtime.clock.now(),
        )
        .returning(Decision.id)
    )
    return int(row.scalar_one())
