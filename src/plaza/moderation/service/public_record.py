"""What anyone may know of an enforcement on a public thing (an article removed, a public
account closed): the public tombstone's facts (issue #12, design.md §6).

The policy and the clause's text (from the catalogue), the date, whether automated means
decided it, and where an appeal stands. Deliberately nothing else: no reporter, no
moderator, and not the explanation, which is written for the author alone (their notice
carries it). Surfaces that show a tombstone ask `latest_enforcement` for these facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.moderation.models import Action, Appeal
from plaza.moderation.setup import Moderation

# The actions that take a public thing down, and so leave a tombstone.
TAKING_DOWN = ("remove_content", "strike", "close_account")
AppealState = Literal["none", "pending", "upheld", "reversed"]
# An appeal's stored state as the public sees it: being reviewed is still pending.
_APPEAL_STATE: dict[str, AppealState] = {
    "pending": "pending",
    "claimed": "pending",
    "upheld": "upheld",
    "reversed": "reversed",
}


@dataclass(frozen=True)
class PublicRecord:
    action: str
    policy_id: str | None
    policy_title: str | None  # None: the catalogue no longer has it
    clause: int | None
    clause_text: str | None
    decided_at: datetime
    automated: bool  # decided by automated means, not by a moderator
    appeal: AppealState
    appeal_decided_at: datetime | None

    def summary(self) -> str:
        """One sentence or three, for answers that carry only a message (a 410's JSON)."""
        text = f"on {self.decided_at.strftime('%Y-%m-%d')}"
        if self.policy_title or self.policy_id:
            text += f", under the policy “{self.policy_title or self.policy_id}”"
            if self.clause is not None:
                text += f", clause {self.clause}"
                if self.clause_text:
                    text += f": “{self.clause_text}”"
        text += "."
        if self.appeal == "pending":
            text += " An appeal is pending."
        elif self.appeal != "none" and self.appeal_decided_at is not None:
            outcome = "upheld" if self.appeal == "upheld" else "reversed"
            text += f" An appeal was decided on {self.appeal_decided_at:%Y-%m-%d}: {outcome}."
        return text


async def latest_enforcement(
    session: AsyncSession, *, moderation: Moderation, surface: str, ref_id: int
) -> PublicRecord | None:
    """The newest action in force that took (`surface`, `ref_id`) down, with where its
    appeal stands; None when there is none (the thing was taken down by other means)."""
    action = await session.scalar(
        select(Action)
        .where(
            Action.surface == surface,
            Action.ref_id == ref_id,
            Action.action.in_(TAKING_DOWN),
            Action.reversed_at.is_(None),
        )
        .order_by(Action.created_at.desc(), Action.id.desc())
        .limit(1)
    )
    if action is None:
        return None
    appeal = await session.scalar(
        select(Appeal).where(Appeal.action_id == action.id).order_by(Appeal.id.desc()).limit(1)
    )
    policy = moderation.catalogue.policy(action.policy_id) if action.policy_id else None
    clause_text = policy.clauses.get(action.clause) if policy and action.clause else None
    return PublicRecord(
        action=action.action,
        policy_id=action.policy_id,
        policy_title=policy.title if policy else None,
        clause=action.clause,
        clause_text=clause_text,
        decided_at=action.created_at,
        automated=action.automated_decision,
        appeal=_APPEAL_STATE.get(appeal.state, "pending") if appeal else "none",
        appeal_decided_at=appeal.decided_at if appeal else None,
    )
