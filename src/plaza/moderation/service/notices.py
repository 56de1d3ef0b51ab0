"""Notices: what a person is told about every enforcement that concerns them.

`issue` is called by `enforcement.enforce` for every action but `no_action`, inside the same
transaction, so an action never exists without its notice. The notice's `statement` is a
statement of reasons with the fields of the EU Digital Services Act, Article 17(3), frozen at
that moment:

- `content`: a copy of what was acted on (the text, the title, the pictures' ids, its
  address), kept for its author however the content changes later;
- `action`: what was done (`type`, a sentence saying it, `ends_at` and `duration_days` for a
  timed restriction or suspension);
- `policy`: id, title, the clause's number and text;
- `facts`: the source (automated detection, user reports, a moderator's own initiative), the
  detectors' signals with their evidence (the matched term, the hash distance), the number of
  reports (never who made them), the moderator's explanation, and for an escalation the
  strikes it counted;
- `automated_detection`, `automated_decision`: whether automated means found the content
  and whether they decided;
- `redress`: whether and until when it can be appealed, and how.

The person hears of a new notice at once on their stream (`notice.new`, with the count of
unread notices for a badge); `notices` lists theirs and `read` marks one read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.bus import Bus
from plaza.clock import Clock
from plaza.errors import NotFound
from plaza.live.envelope import pack, user_topic
from plaza.moderation.models import Action, Appeal, Decision, Notice
from plaza.moderation.setup import Moderation
from plaza.moderation.surfaces import AfterCommit
from plaza.pagination import newest_first

ENFORCEMENT = "enforcement"

# What each action did, in the words a notice uses ("{what}" is "your moment", ...).
_SAYS = {
    "hold": "{what} is hidden from others until a moderator has reviewed it",
    "remove_content": "{what} was removed: others no longer see it",
    "strike": "a strike was recorded against your account, and {what} was removed",
    "restrict": "you may not post or publish until {until}",
    "suspend": "your account is suspended {until_words}",
    "close_account": "{closed} was closed",
}
_SOURCES = {
    "automated": "automated detection",
    "report": "reports by users",
    "moderator": "a moderator's own initiative",
}
_NAMES = {
    "message": "your message",
    "moment": "your moment",
    "comment": "your comment",
    "article": "your article",
    "profile": "your profile",
    "public_account": "your public account",
    "image": "your picture",
    "user": "your account",
}


def statement(
    moderation: Moderation, action: Action, decision: Decision | None, appeal_until: datetime
) -> dict[str, Any]:
    """The statement of reasons for `action` (see the module docstring)."""
    policy = moderation.catalogue.policy(action.policy_id) if action.policy_id else None
    clause_text = policy.clauses.get(action.clause) if policy and action.clause else None
    signals = [
        _public_evidence(s) for s in (decision.signals if decision else []) if _cited(s, action)
    ]
    snapshot = action.snapshot or {}
    return {
        "content": {
            "surface": action.surface,
            "ref_id": action.ref_id,
            "title": snapshot.get("title", ""),
            "text": snapshot.get("text", ""),
            "media_ids": snapshot.get("media_ids", []),
            "url": snapshot.get("url"),
        },
        "action": {
            "type": action.action,
            "says": _says(action),
            "ends_at": action.ends_at.isoformat() if action.ends_at else None,
            "duration_days": (
                round((action.ends_at - action.created_at) / timedelta(days=1))
                if action.ends_at
                else None
            ),
        },
        "policy": {
            "id": action.policy_id,
            "title": policy.title if policy else None,
            "clause": action.clause,
            "clause_text": clause_text,
        },
        "facts": {
            "source": action.source,
            "source_says": _SOURCES.get(action.source, action.source),
            "signals": signals,
            "report_count": action.report_count,
            "explanation": action.explanation or _generated(action, signals, policy is not None),
            "counted_strikes": action.counted_strikes or [],
        },
        "automated_detection": action.automated_detection,
        "automated_decision": action.automated_decision,
        "redress": {
            "appeal_until": appeal_until.isoformat(),
            "how": "Appeal this notice from its page (or POST /api/v1/notices/{id}/appeal) "
            "with your reasons; a moderator other than the one who decided reviews it.",
        },
    }


def _cited(signal: dict[str, Any], action: Action) -> bool:
    """The signals behind the cited policy (a decision may hold others, weaker ones)."""
    return action.policy_id is None or signal.get("policy_id") == action.policy_id


def _says(action: Action) -> str:
    what = _NAMES.get(action.surface, "your content")
    until = action.ends_at.strftime("%Y-%m-%d %H:%M UTC") if action.ends_at else "further notice"
    closed = "your public account" if action.surface == "public_account" else "your account"
    text = _SAYS.get(action.action, action.action).format(
        what=what,
        until=until,
        until_words=f"until {until}" if action.ends_at else "until a moderator reinstates it",
        closed=closed,
    )
    return text[0].upper() + text[1:] + "."


def _generated(action: Action, signals: Sequence[dict[str, Any]], cited: bool) -> str:
    """The facts in words when no moderator wrote any (an automated action)."""
    if action.counted_strikes:
        return (
            f"{len(action.counted_strikes)} active strikes reached the limit that suspends an "
            "account."
        )
    found = [_finding(s.get("detector", ""), s.get("evidence") or {}) for s in signals]
    if not found:
        return ""
    rule = "which the cited policy forbids" if cited else "which our rules forbid"
    listed = found[0] if len(found) == 1 else f"{', '.join(found[:-1])} and {found[-1]}"
    return f"Automated detection found {listed}, {rule}."


def _finding(detector: str, evidence: dict[str, Any]) -> str:
    """One signal's evidence as a phrase."""
    if detector == "keywords":
        return f"the listed term \u201c{evidence.get('term')}\u201d"
    if detector == "image.hash":
        return f"a picture within hash distance {evidence.get('distance')} of a listed one"
    if detector == "image.nudity":
        return "a picture classified as explicit"
    if detector == "spam.rate":
        return f"{evidence.get('count')} sends within {evidence.get('window_seconds')} seconds"
    if detector == "spam.duplicate":
        return f"nearly the same text from {evidence.get('authors')} other accounts"
    if detector == "spam.links":
        return f"{evidence.get('links')} links in one text"
    if detector == "spam.strangers":
        return f"a new account writing to {evidence.get('strangers')} people it does not know"
    return f"a {detector} signal"


def _public_evidence(signal: dict[str, Any]) -> dict[str, Any]:
    """A signal as its author may read it: a listed hash itself stays with the moderators."""
    evidence = {k: v for k, v in (signal.get("evidence") or {}).items() if k != "hash"}
    return {**signal, "evidence": evidence}


async def issue(
    session: AsyncSession,
    *,
    moderation: Moderation,
    bus: Bus,
    action: Action,
) -> tuple[Notice, AfterCommit] | None:
    """The enforcement notice of a just-flushed `action`, in the caller's transaction, and
    the work that tells its person once committed. None for `no_action` or an action on
    nobody."""
    if action.action == "no_action" or action.subject_id is None:
        return None
    decision = await session.get(Decision, action.decision_id) if action.decision_id else None
    window = timedelta(days=moderation.runtime.settings.appeal_window_days)
    appeal_until = action.created_at + window
    notice = Notice(
        user_id=action.subject_id,
        action_id=action.id,
        kind=ENFORCEMENT,
        statement=statement(moderation, action, decision, appeal_until),
        appeal_until=appeal_until,
        created_at=action.created_at,
    )
    session.add(notice)
    await session.flush()
    return notice, await announcing(session, bus, notice)


_OUTCOME_SAYS = {
    "appeal_upheld": "Your appeal was reviewed and the decision stands.",
    "appeal_reversed": "Your appeal was granted: the decision was reversed and its effects undone.",
}


async def outcome(
    session: AsyncSession,
    *,
    bus: Bus,
    notice: Notice,
    kind: str,
    explanation: str,
    now: datetime,
) -> AfterCommit:
    """The notice telling a person how their appeal of `notice` ended (`appeal_upheld` or
    `appeal_reversed`), with the reviewer's explanation and what was contested; in the
    caller's transaction. Not itself appealable."""
    told = Notice(
        user_id=notice.user_id,
        action_id=notice.action_id,
        kind=kind,
        statement={
            "content": notice.statement.get("content", {}),
            "action": notice.statement.get("action", {}),
            "policy": notice.statement.get("policy", {}),
            "appeal": {
                "notice_id": notice.id,
                "outcome": "reversed" if kind == "appeal_reversed" else "upheld",
                "says": _OUTCOME_SAYS[kind],
                "explanation": explanation,
                "decided_at": now.isoformat(),
            },
        },
        appeal_until=None,
        created_at=now,
    )
    session.add(told)
    await session.flush()
    return await announcing(session, bus, told)


async def announcing(session: AsyncSession, bus: Bus, notice: Notice) -> AfterCommit:
    """Tell the person's open pages of a new (flushed) notice: `notice.new`, with the unread
    count. The count is taken now, in the transaction that adds the notice: after the commit
    the session may be gone (screening's, joined to chat's connection, is)."""
    user_id, notice_id, kind = notice.user_id, notice.id, notice.kind
    says = (notice.statement.get("appeal") or notice.statement.get("action") or {}).get("says", "")
    unread = await unread_count(session, user_id=user_id)

    async def tell() -> None:
        event = {"type": "notice.new", "id": notice_id, "kind": kind, "says": says,
                 "unread": unread}  # fmt: skip
        await bus.publish(user_topic(user_id), pack(event))

    return tell


async def unread_count(session: AsyncSession, *, user_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notice)
        .where(Notice.user_id == user_id, Notice.read_at.is_(None))
    )
    return count or 0


@dataclass(frozen=True)
class NoticeView:
    """A notice as its person reads it: with whether its action is still in force and its
    appeal, if any."""

    notice: Notice
    action: Action
    appeal: Appeal | None


async def mine(
    session: AsyncSession, *, user_id: int, cursor: str | None, limit: int
) -> tuple[list[NoticeView], str | None]:
    """The person's notices, the newest first."""
    statement = select(Notice).where(Notice.user_id == user_id)
    rows, next_cursor = await newest_first(
        session, statement, Notice.id, cursor=cursor, limit=limit
    )
    return await _views(session, rows), next_cursor


async def _views(session: AsyncSession, rows: Sequence[Notice]) -> list[NoticeView]:
    action_ids = {n.action_id for n in rows}
    actions = {
        a.id: a for a in await session.scalars(select(Action).where(Action.id.in_(action_ids)))
    }
    appeals = {
        a.action_id: a
        for a in await session.scalars(select(Appeal).where(Appeal.action_id.in_(action_ids)))
    }
    return [NoticeView(n, actions[n.action_id], appeals.get(n.action_id)) for n in rows]


async def get(session: AsyncSession, *, user_id: int, notice_id: int) -> NoticeView:
    """The person's notice (someone else's is a 404, like one that does not exist)."""
    found = await session.get(Notice, notice_id)
    if found is None or found.user_id != user_id:
        raise NotFound("no such notice")
    return (await _views(session, [found]))[0]


async def read(session: AsyncSession, *, clock: Clock, view: NoticeView) -> None:
    """Mark the notice read (the first reading counts) and commit."""
    if view.notice.read_at is None:
        view.notice.read_at = clock.now()
        await session.commit()
