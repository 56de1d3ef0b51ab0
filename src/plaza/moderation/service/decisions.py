"""A moderator's decision on a claimed case: an action, the policy clause it rests on, and an
explanation written for the author.

Everything happens in one transaction: the case closes (a conditional update that only the
claimer's first decision passes), the action takes effect through `enforcement.enforce`, and
the audit entry is added; after the commit the effects are announced (sockets told, sessions
of a suspended person ended).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.bus import Bus
from plaza.clock import Clock
from plaza.errors import Conflict, Invalid
from plaza.moderation.models import Action, Case
from plaza.moderation.service import audit, cases, citing
from plaza.moderation.service.enforcement import enforce
from plaza.moderation.setup import Moderation

DECISIONS = ("no_action", "remove_content", "strike", "restrict", "suspend", "close_account")


@dataclass(frozen=True)
class Ruling:
    """What the moderator decided. Every action but no_action cites a policy and one of its
    clauses; restrict and suspend may last `duration_days` (restrict must)."""

    action: str
    explanation: str
    policy_id: str | None = None
    clause: int | None = None
    duration_days: int | None = None


def explained(text: str, max_chars: int, *, missing: str) -> str:
    """A moderator's explanation for the person it concerns (a decision's, an appeal's
    outcome's): trimmed, not empty (422 saying `missing`), at most `max_chars`."""
    explanation = text.strip()
    if not explanation:
        raise Invalid(missing, field="explanation")
    if len(explanation) > max_chars:
        raise Invalid(f"explanation must be at most {max_chars} characters", field="explanation")
    return explanation


def _checked(moderation: Moderation, ruling: Ruling, max_chars: int) -> Ruling:
    if ruling.action not in DECISIONS:
        raise Invalid(f"action must be one of {', '.join(DECISIONS)}", field="action")
    explanation = explained(
        ruling.explanation, max_chars, missing="explain the decision to the author"
    )
    policy_id, clause = ruling.policy_id, ruling.clause
    if ruling.action != "no_action" or policy_id is not None or clause is not None:
        cited = citing.policy(moderation, policy_id)
        policy_id, clause = cited.id, citing.clause(cited, clause)
    return Ruling(ruling.action, explanation, policy_id, clause, ruling.duration_days)


async def decide(
    session: AsyncSession,
    *,
    moderation: Moderation,
    clock: Clock,
    bus: Bus,
    moderator: User,
    case_id: int,
    ruling: Ruling,
) -> tuple[Case, Action]:
    """Decide a case the moderator has claimed (409 `not_claimed` otherwise, `case_closed`
    once decided); 422 for a policy or clause that does not exist or an action that does not
    fit the case."""
    ruling = _checked(
        moderation, ruling, moderation.runtime.settings.moderation_explanation_max_chars
    )
    found = await cases.get(session, case_id, for_update=True)
    if found.state == "closed":
        raise Conflict("this case is already decided", code="case_closed")
    if found.state != "claimed" or found.claimed_by != moderator.id:
        raise Conflict("claim the case before deciding it", code="not_claimed")
    now = clock.now()
    closed = await session.execute(
        update(Case)
        .where(Case.id == case_id, Case.state == "claimed", Case.claimed_by == moderator.id)
        .values(state="closed", closed_at=now)
    )
    if cast(CursorResult[Any], closed).rowcount != 1:
        raise Conflict("this case is already decided", code="case_closed")
    duration = timedelta(days=ruling.duration_days) if ruling.duration_days else None
    enforced = await enforce(
        session,
        moderation=moderation,
        clock=clock,
        bus=bus,
        surface=found.surface,
        ref_id=found.ref_id,
        action=ruling.action,
        policy_id=ruling.policy_id,
        clause=ruling.clause,
        explanation=ruling.explanation,
        source=found.source,
        automated_detection=found.decision_id is not None,
        moderator_id=moderator.id,
        decision_id=found.decision_id,
        case=found,
        duration=duration,
    )
    audit.record(
        session,
        clock=clock,
        actor_id=moderator.id,
        verb="case.decide",
        target=f"case:{case_id}",
        details={
            "action": ruling.action,
            "action_id": enforced.action.id,
            "surface": found.surface,
            "ref_id": found.ref_id,
            "subject_id": enforced.action.subject_id,
            "policy_id": ruling.policy_id,
            "clause": ruling.clause,
            "duration_days": ruling.duration_days,
            "explanation": ruling.explanation,
            "report_count": found.report_count,
        },
    )
    await session.commit()
    await enforced.announce()
    return await cases.get(session, case_id), enforced.action
