"""Strikes, and the suspension that too many of them bring (issue #12, design.md §6).

A strike is an `Action` whose action is "strike" and that was not reversed. It is *active*
for PLAZA_STRIKE_EXPIRY_DAYS after it was given, and only active strikes count. When a strike
brings a person's active strikes to PLAZA_STRIKES_TO_SUSPEND (0: strikes never escalate), the
account is suspended for PLAZA_STRIKE_SUSPENSION_DAYS by an automated action, an
*escalation*, that cites the strikes it counted (`Action.counted_strikes`) and says so in its
explanation. Each further strike while the count stays at or above the threshold escalates
again: the rule is "this many active strikes suspend", whatever came before.

Both hooks run inside enforcement, in the caller's transaction, so a strike and its
escalation (and their audit entries) commit together or not at all:
- `escalate`, at the end of `enforcement.enforce` for a strike;
- `lift_escalations`, at the end of `enforcement.reverse` for a strike: an escalation in
  force that counted it and no longer reaches the threshold without it is reversed too (its
  suspension lifted, unless another action still calls for one).

`standing` is what a person is shown of all this (`GET /api/v1/standing`, the "My standing"
page): never who reported them, nor which moderator decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts import policies as account_policies
from plaza.accounts.models import User
from plaza.bus import Bus
from plaza.clock import Clock
from plaza.config import Settings
from plaza.moderation.catalogue import Catalogue
from plaza.moderation.models import Action
from plaza.moderation.service import audit, enforcement
from plaza.moderation.setup import Moderation
from plaza.moderation.surfaces import AfterCommit

STRIKE = "strike"
ESCALATION = "suspend"
# How much of the struck content the standing quotes to its author, in characters.
EXCERPT_CHARS = 80


@dataclass(frozen=True)
class Rule:
    """How strikes escalate, from the settings."""

    strikes_to_suspend: int  # 0: never
    expiry_days: int
    suspension_days: int

    @classmethod
    def of(cls, settings: Settings) -> Rule:
        return cls(
            strikes_to_suspend=settings.strikes_to_suspend,
            expiry_days=settings.strike_expiry_days,
            suspension_days=settings.strike_suspension_days,
        )

    @property
    def escalates(self) -> bool:
        return self.strikes_to_suspend > 0

    @property
    def expiry(self) -> timedelta:
        return timedelta(days=self.expiry_days)

    def reached_by(self, count: int) -> bool:
        return self.escalates and count >= self.strikes_to_suspend

    def in_words(self) -> str:
        days = _plural(self.expiry_days, "day")
        lasts = f"A strike stays active for {days}."
        if not self.escalates:
            return f"{lasts} Strikes do not suspend an account by themselves."
        return (
            f"{lasts} "
            f"{_plural(self.strikes_to_suspend, 'active strike')} within {days} suspend the "
            f"account for {_plural(self.suspension_days, 'day')}."
        )


def expires_at(strike: Action, rule: Rule) -> datetime:
    return strike.created_at + rule.expiry


async def active_strikes(
    session: AsyncSession, *, user_id: int, now: datetime, expiry: timedelta
) -> list[Action]:
    """The person's strikes not reversed and given less than `expiry` ago, oldest first."""
    rows = await session.scalars(
        select(Action)
        .where(
            Action.subject_id == user_id,
            Action.action == STRIKE,
            Action.reversed_at.is_(None),
            Action.created_at > now - expiry,
        )
        .order_by(Action.created_at, Action.id)
    )
    return list(rows)


async def escalate(
    session: AsyncSession, *, moderation: Moderation, clock: Clock, bus: Bus, strike: Action
) -> enforcement.Enforced | None:
    """After `strike` (flushed, in the caller's transaction): suspend its person when their
    active strikes reach the threshold, citing them, and audit it. None when the rule does
    not call for it (or the account is closed already: a suspension would change nothing)."""
    rule = Rule.of(moderation.runtime.settings)
    user_id = strike.subject_id
    if not rule.escalates or user_id is None:
        return None
    # The person's row is locked first, so two strikes decided at once are counted one after
    # the other (on PostgreSQL the second waits, then sees the first).
    person = await session.scalar(select(User).where(User.id == user_id).with_for_update())
    if person is None or person.status == "closed":
        return None
    counted = await active_strikes(session, user_id=user_id, now=clock.now(), expiry=rule.expiry)
    if not rule.reached_by(len(counted)):
        return None
    ids = [s.id for s in counted]
    escalation = await enforcement.enforce(
        session,
        moderation=moderation,
        clock=clock,
        bus=bus,
        surface=enforcement.PERSON,
        ref_id=user_id,
        action=ESCALATION,
        policy_id=strike.policy_id,
        clause=strike.clause,
        explanation=_explanation(rule, counted),
        source="automated",
        automated_detection=strike.automated_detection,
        automated_decision=True,
        duration=timedelta(days=rule.suspension_days),
        subject_id=user_id,
        counted_strikes=ids,
    )
    audit.record(
        session,
        clock=clock,
        actor_id=None,
        verb="strikes.escalate",
        target=f"user:{user_id}",
        details={
            "action_id": escalation.action.id,
            "strike_id": strike.id,
            "counted_strikes": ids,
            "strikes_to_suspend": rule.strikes_to_suspend,
            "strike_expiry_days": rule.expiry_days,
            "suspension_days": rule.suspension_days,
        },
    )
    return escalation


def _explanation(rule: Rule, counted: Sequence[Action]) -> str:
    dates = _listed([s.created_at.strftime("%Y-%m-%d") for s in counted])
    return (
        f"Your account is suspended for {_plural(rule.suspension_days, 'day')} because it has "
        f"{_plural(len(counted), 'active strike')} within the last "
        f"{_plural(rule.expiry_days, 'day')} (given on {dates}), and "
        f"{_plural(rule.strikes_to_suspend, 'active strike')} within "
        f"{_plural(rule.expiry_days, 'day')} suspend an account. Each strike has its own "
        "notice, which you may appeal; a strike reversed on appeal no longer counts."
    )


async def lift_escalations(
    session: AsyncSession, *, moderation: Moderation, clock: Clock, bus: Bus, strike: Action
) -> list[AfterCommit]:
    """After `strike` was reversed (in the caller's transaction): reverse each escalation
    in force that counted it and whose other counted strikes, still standing, no longer reach
    the threshold; audit each. Returns the work to run once committed."""
    if strike.subject_id is None:
        return []
    rule = Rule.of(moderation.runtime.settings)
    work: list[AfterCommit] = []
    for escalation in await _escalations(session, strike.subject_id):
        counted = escalation.counted_strikes or []
        if strike.id not in counted:
            continue
        standing = list(
            await session.scalars(
                select(Action.id).where(Action.id.in_(counted), Action.reversed_at.is_(None))
            )
        )
        if rule.reached_by(len(standing)):
            continue
        lifted = await enforcement.reverse(
            session, moderation=moderation, clock=clock, bus=bus, action=escalation
        )
        work.extend(lifted.after_commit)
        audit.record(
            session,
            clock=clock,
            actor_id=None,
            verb="strikes.lift",
            target=f"user:{strike.subject_id}",
            details={
                "action_id": escalation.id,
                "strike_id": strike.id,
                "strikes_standing": sorted(standing),
                "strikes_to_suspend": rule.strikes_to_suspend,
            },
        )
    return work


async def _escalations(session: AsyncSession, user_id: int) -> list[Action]:
    """The person's escalations not reversed, oldest first (whether or not still running)."""
    rows = await session.scalars(
        select(Action)
        .where(
            Action.subject_id == user_id,
            Action.action == ESCALATION,
            Action.source == "automated",
            Action.reversed_at.is_(None),
        )
        .order_by(Action.id)
    )
    # counted_strikes tells an escalation from any other automated suspension.
    return [a for a in rows if a.counted_strikes]


# -- what a person is shown --------------------------------------------------------------------


@dataclass(frozen=True)
class StrikeView:
    action: Action
    expires_at: datetime
    policy_title: str | None  # None: the catalogue no longer has the policy
    clause_text: str | None
    # The start of what was struck, as it was then (its title, else its text): the person's
    # own words, so they know which message or article it was.
    excerpt: str


@dataclass(frozen=True)
class EscalationView:
    action: Action
    # The strikes it counted, as given (a counted strike may have expired since).
    counted: Sequence[Action]


@dataclass(frozen=True)
class Standing:
    status: str  # active | suspended | closed, as it applies now
    suspended_until: datetime | None
    restricted_until: datetime | None
    active: Sequence[StrikeView]
    expired_count: int
    rule: Rule
    escalations: Sequence[EscalationView]


async def standing(
    session: AsyncSession, *, moderation: Moderation, user: User, now: datetime
) -> Standing:
    """`user`'s standing at `now`: status, restriction, strikes and escalations in force."""
    rule = Rule.of(moderation.runtime.settings)
    strikes = list(
        await session.scalars(
            select(Action)
            .where(
                Action.subject_id == user.id,
                Action.action == STRIKE,
                Action.reversed_at.is_(None),
            )
            .order_by(Action.created_at, Action.id)
        )
    )
    active = [s for s in strikes if expires_at(s, rule) > now]
    by_id = {s.id: s for s in strikes}
    escalations = [
        EscalationView(e, [by_id[i] for i in e.counted_strikes or () if i in by_id])
        for e in await _escalations(session, user.id)
        if e.ends_at is None or e.ends_at > now
    ]
    return Standing(
        status=account_policies.status_in_force(user.status, user.suspended_until, now),
        suspended_until=account_policies.suspension_in_force(
            user.status, user.suspended_until, now
        ),
        restricted_until=account_policies.restriction_in_force(user.restricted_until, now),
        active=[_view(moderation.catalogue, s, rule) for s in active],
        expired_count=len(strikes) - len(active),
        rule=rule,
        escalations=escalations,
    )


def _view(catalogue: Catalogue, strike: Action, rule: Rule) -> StrikeView:
    policy = catalogue.policy(strike.policy_id) if strike.policy_id else None
    clause = policy.clauses.get(strike.clause) if policy and strike.clause else None
    frozen = strike.snapshot or {}
    words = str(frozen.get("title") or frozen.get("text") or "")
    excerpt = words if len(words) <= EXCERPT_CHARS else words[: EXCERPT_CHARS - 1] + "…"
    title = policy.title if policy else None
    return StrikeView(strike, expires_at(strike, rule), title, clause, excerpt)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _listed(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
