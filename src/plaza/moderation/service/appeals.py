"""Appeals: a person contests an enforcement notice; another moderator upholds or reverses.

- `file`: one appeal per enforcement notice, by its person, with their own text, while the
  notice's window is open (`appeal_window_days`). Suspended and closed people may appeal.
- `queue`, `claim`, `decide`: the moderators' side. The moderator who decided the action may
  not review its appeal (403 `own_decision`), nor may anyone review their own appeal. A
  claim is one conditional update (pending -> claimed by me), as for cases.
- A reversal undoes the action through `enforcement.reverse` (content shown again, an
  account reopened, a strike no longer counted); either way the person gets a notice of the
  outcome with the reviewer's explanation, and the audit log records the decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.bus import Bus
from plaza.clock import Clock
from plaza.errors import Conflict, Forbidden, Invalid, NotFound
from plaza.moderation.models import Action, Appeal, Notice
from plaza.moderation.service import audit, notices
from plaza.moderation.service.decisions import explained
from plaza.moderation.service.enforcement import reverse
from plaza.moderation.setup import Moderation
from plaza.moderation.surfaces import AfterCommit
from plaza.pagination import AfterId, decode_cursor, encode_cursor

Outcome = Literal["uphold", "reverse"]
AppealState = Literal["pending", "claimed", "upheld", "reversed"]
_DECIDED: dict[str, AppealState] = {"uphold": "upheld", "reverse": "reversed"}
_OUTCOME_NOTICE = {"uphold": "appeal_upheld", "reverse": "appeal_reversed"}


async def file(
    session: AsyncSession,
    *,
    moderation: Moderation,
    clock: Clock,
    user: User,
    notice_id: int,
    text: str,
) -> Appeal:
    """Appeal my enforcement notice. 404 for a notice that is not mine; 422 `empty_appeal`,
    `appeal_too_long`, `not_appealable` (an outcome notice); 409 `already_appealed`,
    `appeal_window_closed`."""
    view = await notices.get(session, user_id=user.id, notice_id=notice_id)
    notice = view.notice
    text = text.strip()
    limit = moderation.runtime.settings.appeal_max_chars
    if not text:
        raise Invalid("say why the decision was wrong", code="empty_appeal", field="text")
    if len(text) > limit:
        raise Invalid(
            f"an appeal is at most {limit} characters", code="appeal_too_long", field="text"
        )
    if notice.kind != notices.ENFORCEMENT or notice.appeal_until is None:
        raise Invalid(
            "this notice is an appeal's outcome: it cannot be appealed", code="not_appealable"
        )
    if view.appeal is not None:
        raise Conflict("this notice was appealed already", code="already_appealed")
    now = clock.now()
    if now > notice.appeal_until:
        raise Conflict(
            f"the appeal window closed on {notice.appeal_until:%Y-%m-%d}",
            code="appeal_window_closed",
        )
    appeal = Appeal(
        notice_id=notice.id,
        action_id=notice.action_id,
        appellant_id=user.id,
        text=text,
        state="pending",
        created_at=now,
    )
    session.add(appeal)
    try:
        await session.commit()
    except IntegrityError as error:  # the unique notice_id: a concurrent twin won
        await session.rollback()
        if await session.scalar(select(Appeal.id).where(Appeal.notice_id == notice.id)):
            raise Conflict("this notice was appealed already", code="already_appealed") from error
        raise
    return appeal


@dataclass(frozen=True)
class AppealView:
    """An appeal as a reviewer sees it: with the action it contests and the notice the
    person received (the statement of reasons, and the content as it was decided on)."""

    appeal: Appeal
    action: Action
    notice: Notice


async def queue(
    session: AsyncSession, *, state: str, cursor: str | None, limit: int
) -> tuple[list[AppealView], str | None]:
    """Appeals in a state (`all` for every one), the oldest first."""
    after = decode_cursor(cursor, AfterId)
    statement = select(Appeal).order_by(Appeal.id).limit(limit + 1)
    if state != "all":
        statement = statement.where(Appeal.state == state)
    if after is not None:
        statement = statement.where(Appeal.id > after.after)
    rows = list(await session.scalars(statement))
    more = len(rows) > limit
    rows = rows[:limit]
    views = await _views(session, rows)
    return views, encode_cursor(AfterId(after=rows[-1].id)) if more else None


async def _views(session: AsyncSession, rows: Sequence[Appeal]) -> list[AppealView]:
    action_ids = {r.action_id for r in rows}
    notice_ids = {r.notice_id for r in rows}
    actions = {
        a.id: a for a in await session.scalars(select(Action).where(Action.id.in_(action_ids)))
    }
    found = {
        n.id: n for n in await session.scalars(select(Notice).where(Notice.id.in_(notice_ids)))
    }
    return [AppealView(r, actions[r.action_id], found[r.notice_id]) for r in rows]


async def get(session: AsyncSession, appeal_id: int) -> AppealView:
    found = await session.scalar(
        select(Appeal).where(Appeal.id == appeal_id).execution_options(populate_existing=True)
    )
    if found is None:
        raise NotFound("no such appeal")
    return (await _views(session, [found]))[0]


def _may_review(view: AppealView, moderator: User) -> None:
    if view.appeal.appellant_id == moderator.id:
        raise Forbidden("this is your own appeal: another moderator reviews it", code="own_case")
    if view.action.moderator_id == moderator.id:
        raise Forbidden(
            "you decided this action: another moderator reviews its appeal", code="own_decision"
        )


async def claim(
    session: AsyncSession, *, clock: Clock, moderator: User, appeal_id: int
) -> AppealView:
    """Take a pending appeal (claiming my own claim again changes nothing). 403
    `own_decision` for the moderator who decided the action; 409 `already_claimed`,
    `appeal_decided`."""
    view = await get(session, appeal_id)
    _may_review(view, moderator)
    won = await session.execute(
        update(Appeal)
        .where(Appeal.id == appeal_id, Appeal.state == "pending")
        .values(state="claimed", reviewer_id=moderator.id, claimed_at=clock.now())
    )
    if cast(CursorResult[Any], won).rowcount == 1:
        audit.record(
            session,
            clock=clock,
            actor_id=moderator.id,
            verb="appeal.claim",
            target=f"appeal:{appeal_id}",
            details={"action_id": view.action.id},
        )
        await session.commit()
        return await get(session, appeal_id)
    view = await get(session, appeal_id)
    if view.appeal.state in ("upheld", "reversed"):
        raise Conflict("this appeal is already decided", code="appeal_decided")
    if view.appeal.reviewer_id != moderator.id:
        raise Conflict("another moderator has claimed this appeal", code="already_claimed")
    return view


async def decide(
    session: AsyncSession,
    *,
    moderation: Moderation,
    clock: Clock,
    bus: Bus,
    moderator: User,
    appeal_id: int,
    outcome: Outcome,
    explanation: str,
) -> AppealView:
    """Uphold or reverse an appeal I have claimed (409 `not_claimed`, `appeal_decided`),
    explaining it to the person (422 `explanation`). One transaction: the appeal, the
    reversal, the outcome notice and the audit entry; the effects are announced after."""
    explanation = explained(
        explanation,
        moderation.runtime.settings.moderation_explanation_max_chars,
        missing="explain the outcome to the person",
    )
    view = await get(session, appeal_id)
    _may_review(view, moderator)
    appeal = view.appeal
    if appeal.state in ("upheld", "reversed"):
        raise Conflict("this appeal is already decided", code="appeal_decided")
    if appeal.state != "claimed" or appeal.reviewer_id != moderator.id:
        raise Conflict("claim the appeal before deciding it", code="not_claimed")
    now = clock.now()
    state = _DECIDED[outcome]
    mine = (Appeal.id == appeal_id, Appeal.state == "claimed", Appeal.reviewer_id == moderator.id)
    closed = await session.execute(
        update(Appeal).where(*mine).values(state=state, explanation=explanation, decided_at=now)
    )
    if cast(CursorResult[Any], closed).rowcount != 1:
        raise Conflict("this appeal is already decided", code="appeal_decided")
    after: list[AfterCommit] = []
    if outcome == "reverse" and view.action.reversed_at is None:
        undone = await reverse(
            session, moderation=moderation, clock=clock, bus=bus, action=view.action
        )
        after.extend(undone.after_commit)
    told = await notices.outcome(
        session,
        bus=bus,
        notice=view.notice,
        kind=_OUTCOME_NOTICE[outcome],
        explanation=explanation,
        now=now,
    )
    after.append(told)
    audit.record(
        session,
        clock=clock,
        actor_id=moderator.id,
        verb="appeal.decide",
        target=f"appeal:{appeal_id}",
        details={
            "outcome": outcome,
            "action_id": view.action.id,
            "action": view.action.action,
            "subject_id": view.action.subject_id,
            "explanation": explanation,
        },
    )
    await session.commit()
    for work in after:
        await work()
    return await get(session, appeal_id)
