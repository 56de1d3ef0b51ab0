"""The transparency report: what moderation did over a range of days, counted.

Pure aggregation over the tables moderation already keeps; nothing is stored. A range is
whole UTC days, both ends included (`Period`). Five statements whatever the range holds:

- actions: one GROUP BY over `moderation_actions` created in the range, by policy, action,
  surface, source and automated decision; the breakdowns are sums over its few rows. Counted
  are the enforcements (`ENFORCEMENTS`: holds, removals, strikes, restrictions, suspensions,
  closures). A moderator's "no action" is a decision, not an action, and any row of another
  kind (the bookkeeping a reversal may add) is left out; a reversed action still counts, as
  it was taken, and its appeal shows under appeals.
- reports: the reports filed in the range.
- appeals: those filed in the range, grouped by state (upheld, reversed, or still pending,
  claimed ones included).
- time to decision: for cases decided in the range that had reports, the hours from the
  first report to the decision; the median is computed by the database (count, then the
  middle row or two in duration order, LIMIT/OFFSET), so no durations are fetched in bulk,
  on SQLite (julianday) and PostgreSQL (extract epoch) alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from plaza.errors import Invalid
from plaza.moderation.catalogue import Catalogue
from plaza.moderation.models import ACTIONS, SOURCES, SURFACES, Action, Appeal, Case, Report
from plaza.moderation.setup import Moderation

ENFORCEMENTS = tuple(a for a in ACTIONS if a != "no_action")
# A range given without its start covers this many days up to its end.
DEFAULT_DAYS = 30
# Dates outside these bounds are mistakes, not questions: there are no records from before
# Plaza existed, and none from more than a year ahead.
EARLIEST = date(2000, 1, 1)
AHEAD = timedelta(days=366)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

ACTION_LABELS = {
    "hold": "Held for review",
    "remove_content": "Content removed",
    "strike": "Strike",
    "restrict": "Publishing restricted",
    "suspend": "Account suspended",
    "close_account": "Account closed",
}
SURFACE_LABELS = {
    "message": "Messages",
    "moment": "Moments",
    "comment": "Comments",
    "article": "Articles",
    "profile": "Profiles",
    "public_account": "Public accounts",
    "image": "Pictures",
    "user": "People",
}
SOURCE_LABELS = {
    "automated": "Automated detection",
    "report": "User report",
    "moderator": "Moderator's own initiative",
}
NO_POLICY = "No policy cited"


@dataclass(frozen=True)
class Period:
    """Whole UTC days from `first` to `last`, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the range."""
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=UTC)


def period(*, start: str | None, end: str | None, today: date, max_days: int) -> Period:
    """The range asked for (`YYYY-MM-DD` each, both optional: `end` defaults to today,
    `start` to DEFAULT_DAYS days up to `end`). 422 `invalid_date` for a date that does not
    parse or lies absurdly far away, `reversed_range`, `range_too_long` (PLAZA_TRANSPARENCY_
    MAX_DAYS)."""
    given = _day(start, "from", today) if start is not None else None
    last = _day(end, "to", today) if end is not None else today
    first = given or max(EARLIEST, last - timedelta(days=min(DEFAULT_DAYS, max_days) - 1))
    if first > last:
        raise Invalid(
            f"the range starts ({first}) after it ends ({last})",
            code="reversed_range",
            field="from",
        )
    chosen = Period(first, last)
    if chosen.days > max_days:
        raise Invalid(
            f"a report covers at most {max_days} days; this range has {chosen.days}",
            code="range_too_long",
            field="from",
        )
    return chosen


def _day(value: str, field: str, today: date) -> date:
    try:
        day = date.fromisoformat(value) if _DATE.match(value) else None
    except ValueError:
        day = None
    if day is None:
        raise Invalid(f"{field} must be a date as YYYY-MM-DD", code="invalid_date", field=field)
    latest = today + AHEAD
    if not EARLIEST <= day <= latest:
        raise Invalid(
            f"{field} must be between {EARLIEST} and {latest}", code="invalid_date", field=field
        )
    return day


@dataclass(frozen=True)
class Count:
    """One line of a breakdown: what (`key`, e.g. a policy id or "remove_content"; None for
    actions citing no policy), its name for people (`label`), how many."""

    key: str | None
    label: str
    count: int


@dataclass(frozen=True)
class Actions:
    total: int
    automated_decisions: int
    by_policy: list[Count]
    by_action: list[Count]
    by_surface: list[Count]
    by_source: list[Count]


@dataclass(frozen=True)
class Appeals:
    filed: int
    upheld: int
    reversed: int
    pending: int


@dataclass(frozen=True)
class TimeToDecision:
    """Cases decided in the range that had reports, and the median hours from each one's
    first report to its decision (None without such cases)."""

    cases: int
    median_hours: float | None


@dataclass(frozen=True)
class Figures:
    period: Period
    actions: Actions
    reports: int
    appeals: Appeals
    time_to_decision: TimeToDecision


async def for_range(
    session: AsyncSession, *, moderation: Moderation, start: str | None, end: str | None
) -> Figures:
    """The report for the range asked for, as the API and the web page take it (see
    `period`; today is the clock's, the longest range PLAZA_TRANSPARENCY_MAX_DAYS)."""
    runtime = moderation.runtime
    chosen = period(
        start=start,
        end=end,
        today=runtime.clock.now().date(),
        max_days=runtime.settings.transparency_max_days,
    )
    return await figures(session, catalogue=moderation.catalogue, period=chosen)


async def figures(session: AsyncSession, *, catalogue: Catalogue, period: Period) -> Figures:
    """The report for `period` (see the module docstring)."""
    return Figures(
        period=period,
        actions=await _actions(session, catalogue, period),
        reports=await _reports(session, period),
        appeals=await _appeals(session, period),
        time_to_decision=await _time_to_decision(session, period),
    )


def _within(column: InstrumentedAttribute[Any], period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


async def _actions(session: AsyncSession, catalogue: Catalogue, period: Period) -> Actions:
    grouped = await session.execute(
        select(
            Action.policy_id,
            Action.action,
            Action.surface,
            Action.source,
            Action.automated_decision,
            func.count(),
        )
        .where(_within(Action.created_at, period), Action.action.in_(ENFORCEMENTS))
        .group_by(
            Action.policy_id,
            Action.action,
            Action.surface,
            Action.source,
            Action.automated_decision,
        )
    )
    policies: dict[str | None, int] = {p.id: 0 for p in catalogue.policies}
    actions: dict[str | None, int] = dict.fromkeys(ENFORCEMENTS, 0)
    surfaces: dict[str | None, int] = dict.fromkeys(SURFACES, 0)
    sources: dict[str | None, int] = dict.fromkeys(SOURCES, 0)
    total = automated = 0
    for policy_id, action, surface, source, automated_decision, count in grouped:
        total += count
        automated += count if automated_decision else 0
        for tally, key in (
            (policies, policy_id),
            (actions, action),
            (surfaces, surface),
            (sources, source),
        ):
            tally[key] = tally.get(key, 0) + count

    def policy_title(policy_id: str | None) -> str:
        if policy_id is None:
            return NO_POLICY
        # A policy since dropped from the catalogue is still counted, under its id.
        found = catalogue.policy(policy_id)
        return found.title if found else policy_id

    return Actions(
        total=total,
        automated_decisions=automated,
        by_policy=[
            Count(key, policy_title(key), n) for key, n in policies.items() if key is not None or n
        ],
        by_action=_labelled(actions, ACTION_LABELS),
        by_surface=_labelled(surfaces, SURFACE_LABELS),
        by_source=_labelled(sources, SOURCE_LABELS),
    )


def _labelled(tally: dict[Any, int], labels: dict[str, str]) -> list[Count]:
    return [Count(key, labels.get(key, key), n) for key, n in tally.items()]


async def _reports(session: AsyncSession, period: Period) -> int:
    found = await session.scalar(
        select(func.count()).select_from(Report).where(_within(Report.created_at, period))
    )
    return int(found or 0)


async def _appeals(session: AsyncSession, period: Period) -> Appeals:
    grouped = await session.execute(
        select(Appeal.state, func.count())
        .where(_within(Appeal.created_at, period))
        .group_by(Appeal.state)
    )
    states: dict[str, int] = {state: count for state, count in grouped}
    return Appeals(
        filed=sum(states.values()),
        upheld=states.get("upheld", 0),
        reversed=states.get("reversed", 0),
        pending=states.get("pending", 0) + states.get("claimed", 0),
    )


def _seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


async def _time_to_decision(session: AsyncSession, period: Period) -> TimeToDecision:
    dialect = session.get_bind().dialect.name
    waited = (
        select(
            _seconds_between(dialect, Case.closed_at, func.min(Report.created_at)).label("seconds")
        )
        .select_from(Case)
        .join(Report, Report.case_id == Case.id)
        .where(_within(Case.closed_at, period))
        .group_by(Case.id, Case.closed_at)
        .subquery()
    )
    cases = int(await session.scalar(select(func.count()).select_from(waited)) or 0)
    if not cases:
        return TimeToDecision(0, None)
    # The middle duration, or the two middle ones of an even count.
    middle = await session.scalars(
        select(waited.c.seconds)
        .order_by(waited.c.seconds)
        .offset((cases - 1) // 2)
        .limit(2 - cases % 2)
    )
    seconds = [float(s) for s in middle]
    return TimeToDecision(cases, round(sum(seconds) / len(seconds) / 3600, 2))
