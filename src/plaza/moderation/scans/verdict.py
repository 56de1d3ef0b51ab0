"""A finished picture scan becomes a stored decision and its effect, in one transaction.

The transaction deletes the `PendingScan` row first: the scan that deletes it is the one
whose verdict counts, so a picture scanned twice (a job run again after a lost worker, two
nodes sweeping the same database) is decided once. Then, whenever a detector said anything,
a `Decision` with every signal and its evidence (the listed hash and its distance, NudeNet's
label and confidence, which picture); the engine's ruling on the signals; and its effect
through enforcement: a removal is an automated action on the item, a hold an action plus a
case in the moderators' queue. All or nothing: a crash before the commit leaves the row
pending, and the scan is done again.

A picture that cannot be scanned (its file is gone, it does not decode, it kept failing) is
recorded as a decision of the "image.scan" detector with the reason and no policy, and
allowed: it is not tried forever, and the log says that it was not looked at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.moderation import engine
from plaza.moderation.detectors.signals import Signal
from plaza.moderation.models import Case, Decision, PendingScan
from plaza.moderation.service import audit
from plaza.moderation.service.cases import open_case_of
from plaza.moderation.service.enforcement import Enforced, enforce
from plaza.moderation.setup import Moderation

FAILED_DETECTOR = "image.scan"
# The statement of reasons an automated action gives its author, by the detector it rests on.
EXPLANATIONS = {
    "image.hash": "A picture in it matches a picture listed under this rule.",
    "image.nudity": "A picture in it was classified automatically as showing nudity.",
}
# The engine's outcome -> the enforcement it takes on the item.
ENFORCEMENTS = {"hold": "hold", "remove": "remove_content", "restrict": "remove_content"}


@dataclass(frozen=True, slots=True)
class ScanItem:
    """The scan being concluded (a copy of its row, which this transaction deletes)."""

    scan_id: int
    surface: str
    ref_id: int
    author_id: int | None
    media_id: int


async def conclude(
    session: AsyncSession,
    *,
    moderation: Moderation,
    item: ScanItem,
    signals: Sequence[Signal],
    failure: str | None = None,
) -> None:
    """Store the scan's verdict and apply it, then commit; nothing when another scan of the
    same row got there first."""
    deleted = await session.execute(delete(PendingScan).where(PendingScan.id == item.scan_id))
    if cast(CursorResult[Any], deleted).rowcount != 1:
        await session.rollback()
        return
    if failure is not None:
        signals = [*signals, _failed(item, failure)]
    enforced = None
    if signals:
        ruling = engine.rule(signals, moderation.catalogue, item.surface)
        decision = await _store(session, moderation, item, signals, ruling)
        if ruling.outcome != "allow" and ruling.signal is not None:
            enforced = await _apply(session, moderation, item, decision, ruling, ruling.signal)
    await session.commit()
    if enforced is not None:
        await enforced.announce()


def _failed(item: ScanItem, reason: str) -> Signal:
    evidence: dict[str, str | int | float] = {"media_id": item.media_id, "error": reason}
    # Filed under no policy: the engine finds no action for it and allows.
    return Signal("", 0, FAILED_DETECTOR, 0.0, evidence)


async def _store(
    session: AsyncSession,
    moderation: Moderation,
    item: ScanItem,
    signals: Sequence[Signal],
    ruling: engine.Ruling,
) -> Decision:
    decision = Decision(
        surface=item.surface,
        ref_id=item.ref_id,
        author_id=item.author_id,
        outcome=ruling.outcome,
        policy_id=ruling.signal.policy_id if ruling.signal else None,
        clause=ruling.clause,
        signals=[s.as_json() for s in signals],
        created_at=moderation.runtime.clock.now(),
    )
    session.add(decision)
    await session.flush()
    return decision


async def _apply(
    session: AsyncSession,
    moderation: Moderation,
    item: ScanItem,
    decision: Decision,
    ruling: engine.Ruling,
    signal: Signal,
) -> Enforced | None:
    """Hold or remove the item, unless it is gone meanwhile (the decision stays on record)."""
    if await moderation.surfaces.get(item.surface).snapshot(session, item.ref_id) is None:
        return None
    runtime = moderation.runtime
    action = ENFORCEMENTS[ruling.outcome]
    case = None
    if action == "hold":
        case = await _case_for(session, moderation, item, decision, ruling.severity)
    enforced = await enforce(
        session,
        moderation=moderation,
        clock=runtime.clock,
        bus=runtime.bus,
        surface=item.surface,
        ref_id=item.ref_id,
        action=action,
        policy_id=signal.policy_id,
        clause=ruling.clause,
        explanation=EXPLANATIONS.get(signal.detector, ""),
        source="automated",
        automated_detection=True,
        automated_decision=True,
        decision_id=decision.id,
        case=case,
        subject_id=item.author_id,
    )
    audit.record(
        session,
        clock=runtime.clock,
        actor_id=None,
        verb=f"scan.{ruling.outcome}",
        target=f"{item.surface}:{item.ref_id}",
        details={
            "decision_id": decision.id,
            "action_id": enforced.action.id,
            "case_id": case.id if case else None,
            "media_id": item.media_id,
            "detector": signal.detector,
            "policy_id": signal.policy_id,
            "clause": ruling.clause,
        },
    )
    return enforced


async def _case_for(
    session: AsyncSession,
    moderation: Moderation,
    item: ScanItem,
    decision: Decision,
    severity: int,
) -> Case:
    """The item's open case (reports about it may have opened one), now citing this
    decision too, or a new automated one."""
    found = await open_case_of(session, surface=item.surface, ref_id=item.ref_id)
    if found is None:
        fresh = Case(
            surface=item.surface,
            ref_id=item.ref_id,
            subject_id=item.author_id,
            state="open",
            severity=severity,
            source="automated",
            report_count=0,
            decision_id=decision.id,
            opened_at=moderation.runtime.clock.now(),
        )
        try:
            async with session.begin_nested():
                session.add(fresh)
                await session.flush()
            return fresh
        except IntegrityError:  # a first report at the same moment opened it
            found = await open_case_of(session, surface=item.surface, ref_id=item.ref_id)
            if found is None:
                raise
    found.severity = max(found.severity, severity)
    if found.decision_id is None:
        found.decision_id = decision.id
    return found
