"""Enforcement: the one place where moderation changes what people see or may do.

`enforce` applies one action to one thing and records it: it freezes the content as it was
(the surface's snapshot goes into `Action.snapshot`, kept whatever happens to the content
later, its pictures with it: plaza.moderation.service.evidence), applies the effect (the
surface's `set_state` for content, the accounts service for a person) and adds the
`Action`, all inside the caller's transaction. It returns the work that
must wait for the commit (a surface telling open sockets that a message is gone, the person's
sessions ending), so nothing is announced that could still roll back. The caller commits,
records its audit entry in the same transaction (it knows the verb: a moderator's
`case.decide`, screening's automated removal), then runs `Enforced.announce()`.

Every enforcement is reversible and nothing is deleted: `reverse` undoes an action's effect
(content shown again, a restriction or suspension lifted, an account reopened) unless another
action still in force calls for it, and stamps `reversed_at`. (The frozen copy alone goes,
long after anyone may appeal: plaza.moderation.service.evidence_purge.)

Effects:
- hold / remove_content: the content's state becomes "held" / "removed".
- strike: a strike against the person, and the content removed (for a person, only the strike).
- restrict: publishing refused until `now + duration` (the later of this and any current one).
- suspend: the account suspended until `now + duration`, or until reinstated without one; its
  sessions end. A closed account stays closed.
- close_account: a public account's state becomes closed (its surface's "removed"); a
  person's account closes and its sessions end.
- no_action: held content is shown again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.accounts.service.sessions import end_sessions
from plaza.accounts.service.status import apply_restriction, apply_status
from plaza.accounts.service.users import users_by_id
from plaza.bus import Bus
from plaza.clock import Clock
from plaza.errors import Conflict, Invalid
from plaza.moderation.models import Action, Case, Decision
from plaza.moderation.service import evidence, notices, strikes
from plaza.moderation.setup import Moderation
from plaza.moderation.surfaces import AfterCommit, ModerationState, Snapshot

# A person, as reports name them (the accounts surface registers it).
PERSON = "user"
PUBLIC_ACCOUNT = "public_account"
# Subjects that are not content one could remove: a person, and a public account (which is
# closed instead).
NOT_CONTENT = (PERSON, PUBLIC_ACCOUNT)
TIMED = ("restrict", "suspend")
# The status each account action leaves a person in.
_STATUS_OF = {"suspend": "suspended", "close_account": "closed"}
# The actions that hide content, strongest first: the state they leave it in.
HIDING: dict[str, ModerationState] = {
    "remove_content": "removed",
    "strike": "removed",
    "hold": "held",
}


@dataclass(frozen=True)
class Enforced:
    action: Action
    after_commit: Sequence[AfterCommit] = ()

    async def announce(self) -> None:
        """Run once the transaction has committed."""
        for work in self.after_commit:
            await work()


def is_content(surface: str) -> bool:
    return surface not in NOT_CONTENT


def acts_on_person(action: str, surface: str) -> bool:
    """Whether the action changes the person's account (closing a public account does not:
    the account's state changes, its owner's standing does not)."""
    if action == "close_account":
        return surface != PUBLIC_ACCOUNT
    return action in ("restrict", "suspend")


async def enforce(
    session: AsyncSession,
    *,
    moderation: Moderation,
    clock: Clock,
    bus: Bus,
    surface: str,
    ref_id: int,
    action: str,
    policy_id: str | None,
    clause: int | None,
    explanation: str,
    source: str,
    automated_detection: bool = False,
    automated_decision: bool = False,
    moderator_id: int | None = None,
    decision_id: int | None = None,
    case: Case | None = None,
    duration: timedelta | None = None,
    subject_id: int | None = None,
    counted_strikes: Sequence[int] | None = None,
) -> Enforced:
    """Apply `action` to (`surface`, `ref_id`) and add its `Action` and the notice that tells
    its person (`notices.issue`); see the module docstring. `subject_id` defaults to the
    content's author (the case's subject when the content is gone); `counted_strikes` are
    the strikes an escalation counted. Refusals (422 `not_content`, `no_subject`,
    `duration_days`; 409 `content_gone`) come before any change."""
    snapshot = await moderation.surfaces.get(surface).snapshot(session, ref_id)
    if subject_id is None:
        subject_id = snapshot.author_id if snapshot else (case.subject_id if case else None)
    _check(action, surface, snapshot, subject_id, duration)
    now = clock.now()
    ends_at = now + duration if duration is not None else None
    row = Action(
        case_id=case.id if case else None,
        decision_id=decision_id,
        surface=surface,
        ref_id=ref_id,
        subject_id=subject_id,
        action=action,
        policy_id=policy_id,
        clause=clause,
        explanation=explanation,
        source=source,
        automated_detection=automated_detection,
        automated_decision=automated_decision,
        moderator_id=moderator_id,
        report_count=case.report_count if case else 0,
        ends_at=ends_at,
        snapshot=snapshot.as_json() if snapshot else {},
        counted_strikes=list(counted_strikes) if counted_strikes else None,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    await evidence.keep_pictures(session, row)
    issued = await notices.issue(session, moderation=moderation, bus=bus, action=row)
    work: list[AfterCommit] = [issued[1]] if issued else []
    if action == "no_action":
        if case is not None and snapshot is not None and is_content(surface):
            await _release_hold(session, moderation, case, work, now)
    elif action in HIDING and is_content(surface) and snapshot is not None:
        await _set_state(session, moderation, surface, ref_id, HIDING[action], work)
    elif action == "close_account" and surface == PUBLIC_ACCOUNT:
        await _set_state(session, moderation, surface, ref_id, "removed", work)
    if acts_on_person(action, surface):
        assert subject_id is not None  # _check
        person = await _person(session, subject_id)
        _punish(person, action, ends_at)
        if action != "restrict":
            work.append(_ending_sessions(session, clock, bus, person.id, person.status))
    if action == "strike":  # too many strikes suspend the account (strikes.py)
        escalation = await strikes.escalate(
            session, moderation=moderation, clock=clock, bus=bus, strike=row
        )
        work.extend(escalation.after_commit if escalation else ())
    return Enforced(row, work)


def _check(
    action: str,
    surface: str,
    snapshot: Snapshot | None,
    subject_id: int | None,
    duration: timedelta | None,
) -> None:
    if action == "remove_content" and not is_content(surface):
        what = "close the account instead" if surface == PUBLIC_ACCOUNT else "act on the person"
        raise Invalid(f"a {surface.replace('_', ' ')} is not content: {what}", code="not_content")
    if action == "remove_content" and snapshot is None:
        raise Conflict("the content no longer exists", code="content_gone")
    if (action == "strike" or acts_on_person(action, surface)) and subject_id is None:
        raise Invalid("there is no person to act on", code="no_subject", field="action")
    if action == "restrict" and duration is None:
        raise Invalid("a restriction needs duration_days", field="duration_days")
    if duration is not None and action not in TIMED:
        raise Invalid("only restrict and suspend take duration_days", field="duration_days")


async def _person(session: AsyncSession, user_id: int) -> User:
    person = (await users_by_id(session, {user_id})).get(user_id)
    if person is None:
        raise Invalid("there is no person to act on", code="no_subject", field="action")
    return person


def _punish(person: User, action: str, ends_at: datetime | None) -> None:
    """The stronger of what the person is under already and the new action."""
    if action == "restrict":
        current = person.restricted_until
        apply_restriction(
            person, ends_at if current is None or ends_at is None else max(current, ends_at)
        )
    elif action == "close_account":
        apply_status(person, "closed")
    elif person.status != "closed":
        until = ends_at
        if person.status == "suspended":
            current = person.suspended_until
            until = None if current is None or ends_at is None else max(current, ends_at)
        apply_status(person, "suspended", suspended_until=until)


def _ending_sessions(
    session: AsyncSession, clock: Clock, bus: Bus, user_id: int, reason: str
) -> AfterCommit:
    async def end() -> None:
        await end_sessions(session, clock=clock, bus=bus, user_id=user_id, reason=reason)

    return end


async def _set_state(
    session: AsyncSession,
    moderation: Moderation,
    surface: str,
    ref_id: int,
    state: ModerationState,
    work: list[AfterCommit],
) -> None:
    after = await moderation.surfaces.get(surface).set_state(session, ref_id, state)
    if after is not None:
        work.append(after)


async def _release_hold(
    session: AsyncSession,
    moderation: Moderation,
    case: Case,
    work: list[AfterCommit],
    now: datetime,
) -> None:
    """No action on held content: the holds end (stamped reversed) and it is shown again,
    unless a removal still in force covers it."""
    holds = await _in_force(session, case.surface, case.ref_id, ("hold",))
    for hold in holds:
        hold.reversed_at = now
    screening = await session.get(Decision, case.decision_id) if case.decision_id else None
    if holds or (screening is not None and screening.outcome == "hold"):
        await session.flush()
        state = await _content_state(session, case.surface, case.ref_id)
        await _set_state(session, moderation, case.surface, case.ref_id, state, work)


async def _in_force(
    session: AsyncSession, surface: str, ref_id: int, actions: Sequence[str]
) -> list[Action]:
    rows = await session.scalars(
        select(Action).where(
            Action.surface == surface,
            Action.ref_id == ref_id,
            Action.action.in_(actions),
            Action.reversed_at.is_(None),
        )
    )
    return list(rows)


async def _content_state(session: AsyncSession, surface: str, ref_id: int) -> ModerationState:
    """What the actions still in force on this content call for."""
    kinds = {a.action for a in await _in_force(session, surface, ref_id, tuple(HIDING))}
    for action, state in HIDING.items():
        if action in kinds:
            return state
    return None


async def reverse(
    session: AsyncSession, *, moderation: Moderation, clock: Clock, bus: Bus, action: Action
) -> Enforced:
    """Undo `action`'s effect and stamp `reversed_at`, in the caller's transaction (the caller
    audits and commits, then runs `announce()`). What another action still in force calls
    for stays: reversing a hold does not show content that was removed since, lifting one
    suspension leaves a longer one. 409 `already_reversed` for an action reversed before."""
    if action.reversed_at is not None:
        raise Conflict("this action was already reversed", code="already_reversed")
    now = clock.now()
    action.reversed_at = now
    await session.flush()
    work: list[AfterCommit] = []
    if action.surface == PUBLIC_ACCOUNT and action.action == "close_account":
        closes = await _in_force(session, PUBLIC_ACCOUNT, action.ref_id, ("close_account",))
        if not closes:
            await _set_state(session, moderation, PUBLIC_ACCOUNT, action.ref_id, None, work)
    elif action.action in HIDING and is_content(action.surface):
        state = await _content_state(session, action.surface, action.ref_id)
        await _set_state(session, moderation, action.surface, action.ref_id, state, work)
    if action.subject_id is not None and acts_on_person(action.action, action.surface):
        person = (await users_by_id(session, {action.subject_id})).get(action.subject_id)
        if person is not None and action.action == "restrict":
            apply_restriction(person, await _restricted_until(session, person.id, now))
        elif person is not None and person.status == _STATUS_OF[action.action]:
            await _restore_standing(session, person, now)
    if action.action == "strike":  # an escalation it no longer justifies is lifted
        work += await strikes.lift_escalations(
            session, moderation=moderation, clock=clock, bus=bus, strike=action
        )
    return Enforced(action, work)


async def _person_actions(
    session: AsyncSession, user_id: int, actions: Sequence[str]
) -> list[Action]:
    rows = await session.scalars(
        select(Action).where(
            Action.subject_id == user_id,
            Action.action.in_(actions),
            Action.reversed_at.is_(None),
        )
    )
    return [a for a in rows if acts_on_person(a.action, a.surface)]


async def _restricted_until(session: AsyncSession, user_id: int, now: datetime) -> datetime | None:
    ends = [
        a.ends_at
        for a in await _person_actions(session, user_id, ("restrict",))
        if a.ends_at is not None and a.ends_at > now
    ]
    return max(ends, default=None)


async def _restore_standing(session: AsyncSession, person: User, now: datetime) -> None:
    """The status the person's actions still in force call for: closed, suspended (until the
    latest end, or indefinitely), or active again."""
    standing = await _person_actions(session, person.id, ("suspend", "close_account"))
    if any(a.action == "close_account" for a in standing):
        apply_status(person, "closed")
        return
    suspensions = [a for a in standing if a.ends_at is None or a.ends_at > now]
    if not suspensions:
        apply_status(person, "active")
    elif any(a.ends_at is None for a in suspensions):
        apply_status(person, "suspended")
    else:
        apply_status(
            person, "suspended", suspended_until=max(a.ends_at for a in suspensions if a.ends_at)
        )
