"""Reports: a member tells the moderators about a message, moment, comment, article, public
account or person, citing a policy.

Every report of one thing merges into that thing's one open case (its report count grows, its
severity is the highest of the policies cited), so the queue holds one entry per thing however
many report it. The reporter is stored with the report and never shown to anyone, moderators
included: cases show how many reported and what they said, not who.

One report per person per thing: a repeat answers with the first report (the caller sees 200
instead of 201) and is not counted against the reporter's hourly allowance.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.clock import Clock
from plaza.errors import Invalid, NotFound
from plaza.moderation.models import Report
from plaza.moderation.service import cases, citing
from plaza.moderation.setup import Moderation
from plaza.ratelimit import Rate, RateLimiter, enforce

REPORTABLE = ("message", "moment", "comment", "article", "public_account", "user")
HOUR = 3600


@dataclass(frozen=True)
class Filed:
    report: Report
    created: bool  # False: the reporter had already reported this thing


@dataclass(frozen=True)
class ReportLimits:
    limiter: RateLimiter
    rate: Rate

    async def check(self, reporter_id: int) -> None:
        await enforce(self.limiter, f"moderation:report:{reporter_id}", self.rate, "reports")


def limits_of(moderation: Moderation) -> ReportLimits:
    runtime = moderation.runtime
    return ReportLimits(runtime.limiter, Rate(runtime.settings.reports_per_hour, HOUR))


async def file(
    session: AsyncSession,
    *,
    moderation: Moderation,
    clock: Clock,
    limits: ReportLimits,
    reporter: User,
    surface: str,
    ref_id: int,
    policy_id: str,
    details: str,
) -> Filed:
    """Report a thing the reporter can see (404 otherwise, as reading it would be), citing a
    policy that covers it (422). One's own content or oneself: 422 `own_content`."""
    if surface not in REPORTABLE or surface not in moderation.surfaces:
        raise NotFound(f"no such {surface.replace('_', ' ')}")
    cited = citing.covering(moderation, policy_id, surface)
    registered = moderation.surfaces.get(surface)
    snapshot = await registered.snapshot(session, ref_id)
    if snapshot is None or not await registered.can_view(session, reporter.id, ref_id):
        raise NotFound(f"no such {surface.replace('_', ' ')}")
    if snapshot.author_id == reporter.id:
        raise Invalid("you cannot report yourself or what you wrote", code="own_content")
    earlier = await _earlier(session, reporter.id, surface, ref_id)
    if earlier is not None:
        return Filed(earlier, created=False)
    await limits.check(reporter.id)
    now = clock.now()
    try:
        async with session.begin_nested():
            case = await cases.open_case(
                session,
                surface=surface,
                ref_id=ref_id,
                subject_id=snapshot.author_id,
                source="report",
                severity=cited.severity,
                reports=1,
                now=now,
            )
            report = Report(
                case_id=case.id,
                reporter_id=reporter.id,
                surface=surface,
                ref_id=ref_id,
                policy_id=cited.id,
                details=details.strip(),
                created_at=now,
            )
            session.add(report)
            await session.flush()
    except IntegrityError:
        # The same person's report of the same thing, committed meanwhile (a double click):
        # the case's count goes back with it.
        earlier = await _earlier(session, reporter.id, surface, ref_id)
        if earlier is None:
            raise
        return Filed(earlier, created=False)
    await session.commit()
    return Filed(report, created=True)


async def _earlier(
    session: AsyncSession, reporter_id: int, surface: str, ref_id: int
) -> Report | None:
    return await session.scalar(
        select(Report).where(
            Report.reporter_id == reporter_id, Report.surface == surface, Report.ref_id == ref_id
        )
    )
