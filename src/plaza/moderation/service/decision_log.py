"""The public decision log: every enforcement on public content as one statement of reasons
with the fields of the EU DSA Transparency Database, for anyone to read and download.

Which actions: the enforcements (`transparency.ENFORCEMENTS`: holds, removals, strikes,
restrictions, suspensions, closures; never a moderator's "no action") on every surface but
private messages. Actions on a person ("user": a suspension, a closure) are included, as the
DSA database includes account suspensions and terminations, but nothing in a record says
who: a record is built from the action's kind, policy, clause, dates, source and automation
only, never from its frozen content, its subject, its moderator, its explanation or its
reports' authors.

What a record holds (DSA names and values; `Record`):

- the decision: `decision_visibility` (removal, or access disabled while held, or "other"
  for a strike against an account), `decision_provision` (a restriction on publishing is a
  partial suspension of the service), `decision_account` (suspended, terminated),
  `decision_monetary` (always null: Plaza pays nobody), each restriction's end date;
- the ground: always content incompatible with the terms (`incompatible_content_ground`
  names the policy and clause, `incompatible_content_explanation` quotes the clause's public
  text; legality is not assessed, so the illegal-content fields are null), and the policy's
  `category` (its `dsa_category` in the catalogue);
- `content_type` (text, image, or "other: account"), `content_date` (when the content was
  posted, where the snapshot or the screening decision tells; null otherwise),
  `application_date`;
- `decision_facts`: a sentence generated from the source, the detectors' names, the number of
  reports, the policy and the action; never the moderator's words, nor a matched term;
- `source_type` (a user's report is an Article 16 notice; detection and a moderator's own
  initiative are voluntary), `automated_detection`, `automated_decision` (fully when
  automated means decided, partially when they found it and a moderator decided);
- `platform_uid`: "plaza-" and the action's id, stable and meaningless outside the log;
- our additions: the policy id and clause, the surface ("moment", "article", ...), the action,
  and whether it was later reversed (an appeal granted, a hold released) and on which day.

Dates are whole UTC days, as in the DSA database; the records carry no URL (an address
would name an account or lead to its author). A page is in action order (oldest first) and
its cursor is the last action's id, so paging is stable while the log grows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.moderation.catalogue import DEFAULT_DSA_CATEGORY, Catalogue
from plaza.moderation.models import Action, Decision
from plaza.moderation.service import transparency
from plaza.moderation.service.transparency import ENFORCEMENTS, Period
from plaza.moderation.setup import Moderation
from plaza.pagination import Position, decode_cursor, encode_cursor
from plaza.validation import Id

# Private messages never enter the log.
PRIVATE_SURFACES = ("message",)
PUBLIC_SURFACES = ("moment", "comment", "article", "profile", "public_account", "image", "user")
PERSON = "user"
PUBLIC_ACCOUNT = "public_account"
# How many records the daily file reads at a time.
BATCH = 500

GROUND = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
_VISIBILITY = {
    "hold": "DECISION_VISIBILITY_CONTENT_DISABLED",
    "remove_content": "DECISION_VISIBILITY_CONTENT_REMOVED",
    "strike": "DECISION_VISIBILITY_CONTENT_REMOVED",
}
_ACCOUNT = {"suspend": "DECISION_ACCOUNT_SUSPENDED", "close_account": "DECISION_ACCOUNT_TERMINATED"}
_SOURCE_TYPE = {
    "report": "SOURCE_ARTICLE_16",
    "automated": "SOURCE_VOLUNTARY",
    "moderator": "SOURCE_VOLUNTARY",
}
_THING = {
    "moment": "a moment",
    "comment": "a comment",
    "article": "an article",
    "profile": "a profile",
    "public_account": "a public account",
    "image": "a picture",
    "user": "an account",
}
_DETECTORS = {
    "keywords": "a listed keyword",
    "image.hash": "a listed picture",
    "image.nudity": "a picture classifier",
    "spam.rate": "the sending-rate check",
    "spam.duplicate": "the duplicate-content check",
    "spam.links": "the link check",
    "spam.strangers": "the new-account contact check",
}


class AfterAction(Position):
    """Oldest first, by action id: the page after `after`."""

    after: Id


@dataclass(frozen=True)
class Filters:
    """What the web page and the API may narrow a range to (None: any)."""

    policy_id: str | None = None
    surface: str | None = None
    automated: bool | None = None


@dataclass(frozen=True)
class Record:
    """One statement of reasons, as published (see the module docstring)."""

    platform_uid: str
    decision_visibility: list[str]
    decision_visibility_other: str | None
    end_date_visibility_restriction: date | None
    decision_monetary: str | None
    end_date_monetary_restriction: date | None
    decision_provision: str | None
    end_date_service_restriction: date | None
    decision_account: str | None
    end_date_account_restriction: date | None
    account_type: str | None
    decision_ground: str
    incompatible_content_ground: str
    incompatible_content_explanation: str
    illegal_content_legal_ground: str | None
    illegal_content_explanation: str | None
    category: str
    content_type: list[str]
    content_type_other: str | None
    content_date: date | None
    application_date: date
    decision_facts: str
    source_type: str
    automated_detection: str
    automated_decision: str
    policy_id: str | None
    clause: int | None
    surface: str
    action: str
    reversed: bool
    reversed_at: date | None


def period(moderation: Moderation, *, start: str | None, end: str | None) -> Period:
    """The range asked for, read exactly as the transparency report reads it (422
    `invalid_date`, `reversed_range`, `range_too_long`)."""
    runtime = moderation.runtime
    return transparency.period(
        start=start,
        end=end,
        today=runtime.clock.now().date(),
        max_days=runtime.settings.transparency_max_days,
    )


def one_day(moderation: Moderation, day: str) -> Period:
    """One day given as YYYY-MM-DD (422 `invalid_date` otherwise)."""
    return period(moderation, start=day, end=day)


async def page(
    session: AsyncSession,
    *,
    catalogue: Catalogue,
    period: Period,
    filters: Filters | None = None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Record], str | None]:
    """The records of `period` matching `filters`, oldest first, and the next page's cursor
    (None on the last page). A cursor not given out here is a 422."""
    after = decode_cursor(cursor, AfterAction)
    rows = await _rows(
        session,
        period,
        filters or Filters(),
        after=after.after if after else None,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    records = [record(catalogue, action, decision) for action, decision in rows]
    next_cursor = encode_cursor(AfterAction(after=rows[-1][0].id)) if more else None
    return records, next_cursor


async def day_records(
    moderation: Moderation, *, period: Period, batch: int = BATCH
) -> AsyncIterator[Record]:
    """Every record of `period`, oldest first, read `batch` at a time, each batch in a
    session of its own: the daily file streams while it is sent, after the request's own
    session is gone."""
    after: int | None = None
    while True:
        async with moderation.runtime.sessions() as session:
            rows = await _rows(session, period, Filters(), after=after, limit=batch)
        for action, decision in rows:
            yield record(moderation.catalogue, action, decision)
        if len(rows) < batch:
            return
        after = rows[-1][0].id


async def _rows(
    session: AsyncSession, period: Period, filters: Filters, *, after: int | None, limit: int
) -> Sequence[tuple[Action, Decision | None]]:
    query: Select[Action, Decision] = (
        select(Action, Decision)
        .outerjoin(Decision, Decision.id == Action.decision_id)
        .where(
            Action.created_at >= period.start,
            Action.created_at < period.end,
            Action.action.in_(ENFORCEMENTS),
            Action.surface.not_in(PRIVATE_SURFACES),
        )
        .order_by(Action.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Action.id > after)
    if filters.policy_id is not None:
        query = query.where(Action.policy_id == filters.policy_id)
    if filters.surface is not None:
        query = query.where(Action.surface == filters.surface)
    if filters.automated is not None:
        query = query.where(Action.automated_decision.is_(filters.automated))
    found = await session.execute(query)
    return [(action, decision) for action, decision in found]


def record(catalogue: Catalogue, action: Action, decision: Decision | None) -> Record:
    """The statement of reasons for one enforcement (see the module docstring): from the
    action's kind, policy, dates, source and automation, and the detectors' names."""
    policy = catalogue.policy(action.policy_id) if action.policy_id else None
    clause_text = policy.clauses.get(action.clause or 0, "") if policy else ""
    on_person = action.surface == PERSON
    visibility = _VISIBILITY.get(action.action) if not on_person else None
    visibility_other = None
    if action.action == "strike" and on_person:
        visibility, visibility_other = "DECISION_VISIBILITY_OTHER", "A strike against the account"
    ends = _day(action.ends_at)
    account = _ACCOUNT.get(action.action)
    provision = "DECISION_PROVISION_PARTIAL_SUSPENSION" if action.action == "restrict" else None
    content_type, content_type_other = _content_type(action)
    return Record(
        platform_uid=f"plaza-{action.id}",
        decision_visibility=[visibility] if visibility else [],
        decision_visibility_other=visibility_other,
        end_date_visibility_restriction=None,
        decision_monetary=None,
        end_date_monetary_restriction=None,
        decision_provision=provision,
        end_date_service_restriction=ends if provision else None,
        decision_account=account,
        end_date_account_restriction=ends if account else None,
        account_type=_account_type(action) if account or provision else None,
        decision_ground=GROUND,
        incompatible_content_ground=(
            f"Plaza policy {action.policy_id} ({policy.title if policy else action.policy_id}), "
            f"clause {action.clause}"
            if action.policy_id
            else "Plaza's terms of service"
        ),
        incompatible_content_explanation=clause_text,
        illegal_content_legal_ground=None,
        illegal_content_explanation=None,
        category=policy.dsa_category if policy else DEFAULT_DSA_CATEGORY,
        content_type=content_type,
        content_type_other=content_type_other,
        content_date=_content_date(action, decision),
        application_date=action.created_at.date(),
        decision_facts=facts(action, decision, policy.title if policy else None),
        source_type=_SOURCE_TYPE.get(action.source, "SOURCE_VOLUNTARY"),
        automated_detection="Yes" if action.automated_detection else "No",
        automated_decision=(
            "AUTOMATED_DECISION_FULLY"
            if action.automated_decision
            else "AUTOMATED_DECISION_PARTIALLY"
            if action.automated_detection
            else "AUTOMATED_DECISION_NOT_AUTOMATED"
        ),
        policy_id=action.policy_id,
        clause=action.clause,
        surface=action.surface,
        action=action.action,
        reversed=action.reversed_at is not None,
        reversed_at=_day(action.reversed_at),
    )


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment else None


def _account_type(action: Action) -> str:
    """A public account publishes for an organisation or a brand; a person's account is
    theirs."""
    return "ACCOUNT_TYPE_BUSINESS" if action.surface == PUBLIC_ACCOUNT else "ACCOUNT_TYPE_PRIVATE"


def _content_type(action: Action) -> tuple[list[str], str | None]:
    """Text and/or image, from what the snapshot held (never what it said); an account is
    "other"."""
    if action.surface == PERSON:
        return ["CONTENT_TYPE_OTHER"], "Account"
    snapshot = action.snapshot or {}
    kinds = []
    if action.surface == "image" or snapshot.get("media_ids"):
        kinds.append("CONTENT_TYPE_IMAGE")
    if snapshot.get("text") or snapshot.get("title"):
        kinds.append("CONTENT_TYPE_TEXT")
    if not kinds:
        return ["CONTENT_TYPE_OTHER"], "Content no longer available"
    return sorted(kinds), None


def _content_date(action: Action, decision: Decision | None) -> date | None:
    """When the content was posted: the snapshot's own date where the surface keeps one,
    else the day screening looked at it (on posting or editing); none for an account."""
    if action.surface == PERSON:
        return None
    posted = (action.snapshot or {}).get("context", {}).get("created_at")
    if isinstance(posted, str):
        try:
            return datetime.fromisoformat(posted).date()
        except ValueError:
            pass
    return decision.created_at.date() if decision else None


def facts(action: Action, decision: Decision | None, policy_title: str | None) -> str:
    """The facts and circumstances in one or two generated sentences: how it was found, what
    it broke, who decided and what was done."""
    thing = _THING.get(action.surface, "content")
    found = _found(action, decision)
    broke = (
        f"policy \u201c{policy_title}\u201d, clause {action.clause}"
        if policy_title
        else "the terms of service"
    )
    if action.counted_strikes:
        first = (
            f"{len(action.counted_strikes)} active strikes against an account reached the "
            "limit that suspends it"
        )
    else:
        first = f"{found} {thing} that breaks {broke}"
    decided = "Decided automatically" if action.automated_decision else "Decided by a moderator"
    return f"{first}. {decided}: {_done(action)}."


def _found(action: Action, decision: Decision | None) -> str:
    if action.source == "report":
        count = action.report_count
        return (
            f"{count} user report{'' if count == 1 else 's'} pointed to"
            if count
            else ("User reports pointed to")
        )
    if action.source == "moderator":
        return "A moderator, on their own initiative, found"
    detectors = sorted(
        {
            _DETECTORS.get(str(s.get("detector")), "an automated check")
            for s in (decision.signals if decision else [])
            if action.policy_id is None or s.get("policy_id") == action.policy_id
        }
    )
    return (
        f"Automated detection ({', '.join(detectors)}) found"
        if detectors
        else ("Automated detection found")
    )


def _done(action: Action) -> str:
    days = _duration_days(action)
    lasting = f" for {days} day{'' if days == 1 else 's'}" if days else ""
    if action.action == "hold":
        return "the content was hidden until a moderator reviews it"
    if action.action == "remove_content":
        return "the content was removed"
    if action.action == "strike":
        if action.surface == PERSON:
            return "a strike was recorded against the account"
        return "the content was removed and a strike recorded against its author's account"
    if action.action == "restrict":
        return f"the author may not post or publish{lasting}"
    if action.action == "suspend":
        return f"the account was suspended{lasting or ' until a moderator reinstates it'}"
    if action.action == "close_account":
        return (
            "the public account was closed"
            if action.surface == PUBLIC_ACCOUNT
            else ("the account was closed")
        )
    return action.action


def _duration_days(action: Action) -> int | None:
    if action.ends_at is None:
        return None
    return round((action.ends_at - action.created_at).total_seconds() / 86400)


def labels(record_: Record) -> dict[str, Any]:
    """Readable names of a record's coded values, for the web page."""
    return {
        "action": transparency.ACTION_LABELS.get(record_.action, record_.action),
        "surface": transparency.SURFACE_LABELS.get(record_.surface, record_.surface),
        "category": _humanised(record_.category, "STATEMENT_CATEGORY_"),
        "source": {
            "SOURCE_ARTICLE_16": "A user's report",
            "SOURCE_VOLUNTARY": "Own initiative",
        }.get(record_.source_type, record_.source_type),
        "automated": {
            "AUTOMATED_DECISION_FULLY": "Fully automated",
            "AUTOMATED_DECISION_PARTIALLY": "Partially automated",
            "AUTOMATED_DECISION_NOT_AUTOMATED": "Not automated",
        }[record_.automated_decision],
        "content_type": ", ".join(
            record_.content_type_other or _humanised(t, "CONTENT_TYPE_")
            for t in record_.content_type
        ),
    }


def _humanised(code: str, prefix: str) -> str:
    words = code.removeprefix(prefix).replace("_", " ").lower()
    return words[:1].upper() + words[1:]
