"""Cases as moderators see them: built for a whole page at once (one query per kind of thing,
plus each item's snapshot from its surface).

A case shows the thing as it stands now (the surface's snapshot: text, pictures, context), the
policies its reports and signals cite, and its subject; a case's detail adds the reports (what
each said and when, never who said it), the screening decision and its signals, and the
actions taken. An action keeps its own frozen snapshot of what was decided on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.users import users_by_id
from plaza.moderation.models import Action, Case, Decision, Report
from plaza.moderation.setup import Moderation
from plaza.moderation.surfaces import Snapshot

EXCERPT_CHARS = 140


@dataclass(frozen=True)
class CaseView:
    case: Case
    claimer: User | None
    subject: User | None
    policies: Sequence[str]
    snapshot: Snapshot | None

    @property
    def excerpt(self) -> str:
        return self.snapshot.text[:EXCERPT_CHARS] if self.snapshot else ""


@dataclass(frozen=True)
class CaseDetail:
    view: CaseView
    reports: Sequence[Report]
    actions: Sequence[Action]
    screening: Decision | None

    @property
    def signals(self) -> list[dict[str, Any]]:
        return list(self.screening.signals) if self.screening else []


async def case_views(
    session: AsyncSession, moderation: Moderation, cases: Sequence[Case]
) -> list[CaseView]:
    if not cases:
        return []
    ids = [c.id for c in cases]
    people = await users_by_id(
        session,
        {p for c in cases for p in (c.claimed_by, c.subject_id) if p is not None},
    )
    cited: dict[int, set[str]] = defaultdict(set)
    reported = await session.execute(
        select(Report.case_id, Report.policy_id).where(Report.case_id.in_(ids)).distinct()
    )
    for case_id, policy_id in reported:
        cited[case_id].add(policy_id)
    screenings = await _screenings(session, [c.decision_id for c in cases if c.decision_id])
    for c in cases:
        screening = screenings.get(c.decision_id) if c.decision_id else None
        if screening is not None:
            cited[c.id] |= _policies_of(screening)
    views = []
    for c in cases:
        views.append(
            CaseView(
                case=c,
                claimer=people.get(c.claimed_by) if c.claimed_by else None,
                subject=people.get(c.subject_id) if c.subject_id else None,
                policies=sorted(cited[c.id]),
                snapshot=await snapshot_of(session, moderation, c.surface, c.ref_id),
            )
        )
    return views


async def case_detail(session: AsyncSession, moderation: Moderation, case: Case) -> CaseDetail:
    [view] = await case_views(session, moderation, [case])
    reports = await session.scalars(
        select(Report).where(Report.case_id == case.id).order_by(Report.created_at, Report.id)
    )
    actions = await session.scalars(
        select(Action).where(Action.case_id == case.id).order_by(Action.id)
    )
    screening = await session.get(Decision, case.decision_id) if case.decision_id else None
    return CaseDetail(view, list(reports), list(actions), screening)


async def snapshot_of(
    session: AsyncSession, moderation: Moderation, surface: str, ref_id: int
) -> Snapshot | None:
    """The thing as it stands, or None when it is gone (or its surface is not served here)."""
    if surface not in moderation.surfaces:
        return None
    return await moderation.surfaces.get(surface).snapshot(session, ref_id)


async def _screenings(session: AsyncSession, ids: list[int]) -> dict[int, Decision]:
    if not ids:
        return {}
    rows = await session.scalars(select(Decision).where(Decision.id.in_(ids)))
    return {d.id: d for d in rows}


def _policies_of(screening: Decision) -> set[str]:
    found = {str(s["policy_id"]) for s in screening.signals if s.get("policy_id")}
    if screening.policy_id:
        found.add(screening.policy_id)
    return found
