"""Evidence kept through appeal: content under enforcement is frozen, not purged, until
nobody can contest the decision any more, and then for PLAZA_EVIDENCE_RETENTION_DAYS.

What is kept, and where:

- the text, title, picture ids and context (an article's revision number) in
  `Action.snapshot`, and the copy in each of the action's notices (`statement.content`):
  JSON copies, untouched when the author edits or deletes the content;
- the pictures: `keep_pictures` records them as shown by the action (media's "evidence"
  surface), so deleting the moment, message or article that showed them leaves them in use,
  and `may_see` lets the notice's person and any moderator read them (plaza.media.access);
- the signals (the screening `Decision`) and the reports (`Report` rows of the case), which
  nothing deletes.

`kept_until`: an action's evidence is held while its appeal window is open, while an appeal
of it waits for a decision and while its case is open; after the later of the window's end
and the appeal's decision it is kept `evidence_retention_days` more, then
`evidence_purge.purge_due` replaces the copies by a `{"purged_at": ...}` marker.
`review` gathers what the moderator reviewing an appeal reads: the copy, its pictures, the
signals and the reports (never who made them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.config import Settings
from plaza.media.access import ViewerChecks
from plaza.media.service import MediaRef, record_uses, refs_of
from plaza.moderation.models import Action, Appeal, Case, Decision, Notice, Report
from plaza.moderation.roles import is_moderator

# Media's surface for the pictures an action's frozen copy shows (item id: the action's id).
EVIDENCE = "evidence"
# The key a purged copy carries instead of the content: when it was purged.
PURGED = "purged_at"


async def keep_pictures(session: AsyncSession, action: Action) -> None:
    """Record the pictures of a just-flushed action's snapshot as in use by it, in the
    caller's transaction: they outlive the item that showed them until the purge."""
    media_ids = (action.snapshot or {}).get("media_ids") or []
    if media_ids:
        await record_uses(session, surface=EVIDENCE, uses=[(action.id, media_ids)])


async def may_see(session: AsyncSession, viewer_id: int, action_ids: Sequence[int]) -> bool:
    """Media's viewer check for evidence pictures: moderators, and the person one of these
    actions' notices was sent to."""
    viewer = await session.get(User, viewer_id)
    if viewer is None:
        return False
    if is_moderator(viewer):
        return True
    told = await session.scalar(
        select(Notice.id)
        .where(Notice.user_id == viewer_id, Notice.action_id.in_(list(action_ids)))
        .limit(1)
    )
    return told is not None


def install(access: ViewerChecks) -> None:
    """Moderation's media hook, called by create_app."""
    access.register(EVIDENCE, may_see)


def purged_at(action: Action) -> datetime | None:
    stamp = (action.snapshot or {}).get(PURGED)
    return datetime.fromisoformat(stamp) if stamp else None


def kept_until(
    *, window_closes: datetime, appeal: Appeal | None, case_open: bool, retention: timedelta
) -> datetime | None:
    """When the evidence may be purged; None while it must be held with no end in sight (an
    appeal or the case waits for a moderator)."""
    if case_open or (appeal is not None and appeal.decided_at is None):
        return None
    last = max(window_closes, appeal.decided_at) if appeal and appeal.decided_at else window_closes
    return last + retention


async def kept_untils(
    session: AsyncSession, actions: Sequence[Action], settings: Settings
) -> dict[int, datetime | None]:
    """`kept_until` of many actions, in three queries: action id -> when."""
    ids = [a.id for a in actions]
    closes = {
        action_id: until
        for action_id, until in await session.execute(
            select(Notice.action_id, Notice.appeal_until).where(
                Notice.action_id.in_(ids), Notice.kind == "enforcement"
            )
        )
    }
    appeals = {
        a.action_id: a
        for a in await session.scalars(select(Appeal).where(Appeal.action_id.in_(ids)))
    }
    case_ids = {a.case_id for a in actions if a.case_id is not None}
    open_cases = set(
        await session.scalars(select(Case.id).where(Case.id.in_(case_ids), Case.state != "closed"))
    )
    window = timedelta(days=settings.appeal_window_days)
    retention = timedelta(days=settings.evidence_retention_days)
    return {
        a.id: kept_until(
            window_closes=closes.get(a.id) or a.created_at + window,
            appeal=appeals.get(a.id),
            case_open=a.case_id in open_cases,
            retention=retention,
        )
        for a in actions
    }


@dataclass(frozen=True)
class Evidence:
    """What was decided on, as the reviewing moderator reads it. `snapshot` is the frozen
    copy (None once purged); `reports` are the case's, read without their reporter."""

    snapshot: dict[str, Any] | None
    pictures: list[MediaRef]
    signals: list[dict[str, Any]]
    reports: list[Report]
    kept_until: datetime | None
    purged_at: datetime | None

    @property
    def revision(self) -> int | None:
        """An article's revision number the decision was taken on."""
        if self.snapshot is None or self.snapshot.get("surface") != "article":
            return None
        revision = (self.snapshot.get("context") or {}).get("revision")
        return revision if isinstance(revision, int) else None


async def review(
    session: AsyncSession, actions: Sequence[Action], settings: Settings
) -> dict[int, Evidence]:
    """The evidence behind each action (action id -> evidence), in a few queries."""
    cases = {
        c.id: c
        for c in await session.scalars(
            select(Case).where(Case.id.in_({a.case_id for a in actions if a.case_id}))
        )
    }

    def decision_of(action: Action) -> int | None:
        case = cases.get(action.case_id) if action.case_id else None
        return action.decision_id or (case.decision_id if case else None)

    decision_ids = {d for d in map(decision_of, actions) if d is not None}
    decisions = {
        d.id: d
        for d in await session.scalars(select(Decision).where(Decision.id.in_(decision_ids)))
    }
    reports: dict[int, list[Report]] = {}
    for row in await session.scalars(
        select(Report).where(Report.case_id.in_(list(cases))).order_by(Report.id)
    ):
        reports.setdefault(row.case_id, []).append(row)
    frozen = {a.id: None if purged_at(a) else (a.snapshot or None) for a in actions}
    media_ids = [i for s in frozen.values() if s for i in s.get("media_ids") or []]
    pictures = await refs_of(session, media_ids=media_ids)
    until = await kept_untils(session, actions, settings)
    found: dict[int, Evidence] = {}
    for action in actions:
        snapshot = frozen[action.id]
        decision = decisions.get(decision_of(action) or 0)
        found[action.id] = Evidence(
            snapshot=snapshot,
            pictures=[
                pictures[i] for i in (snapshot or {}).get("media_ids") or [] if i in pictures
            ],
            signals=list(decision.signals) if decision else [],
            reports=reports.get(action.case_id, []) if action.case_id else [],
            kept_until=until[action.id],
            purged_at=purged_at(action),
        )
    return found
