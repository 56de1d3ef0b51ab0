"""The pre-publication check: what publishing this text (and these pictures) on a surface
would meet, without publishing it.

It runs screening's own detection (`screening.detect`, with `remember=False`) and the
engine on the text exactly as publishing screens it (`verdicts.titled` for an item with a
title), and hashes the caller's pictures against the hash lists as the scan worker would
(PDQ, in a thread; the nudity classifier stays with the scan worker: it costs hundreds of
milliseconds of CPU per picture). It stores nothing, enforces nothing and feeds no spam
memory.

It must not become a way to read the lists: every piece of evidence is about the submitted
text or the caller's own pictures. A keyword finding says what the caller wrote where
(`matched` as written, offsets into the field), never the listed term; a picture finding
says which of the caller's uploads matched and how closely, never the listed hash. The
route is rate-limited per person (PLAZA_POLICY_CHECKS_PER_PERSON) and the text is bounded by
the surface's own limit.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.policies import DISPLAY_NAME_MAX
from plaza.config import Settings
from plaza.errors import Invalid
from plaza.media import service as media_service
from plaza.media.storage import Storage
from plaza.moderation import engine
from plaza.moderation.detectors.images import pdq_hashes
from plaza.moderation.detectors.signals import Evidence, Signal
from plaza.moderation.service.screening import checks_for, detect
from plaza.moderation.setup import Moderation
from plaza.moderation.verdicts import Content, Outcome, titled
from plaza.ratelimit import Rate, enforce

log = logging.getLogger(__name__)

CheckSurface = Literal["article", "moment", "comment", "profile", "public_account"]
TITLED: frozenset[str] = frozenset({"article", "public_account"})
# A paragraph ends at a blank line (Markdown's paragraphs; a moment's too).
_PARAGRAPH_BREAK = re.compile(r"\n(?:[ \t]*\n)+")
_HASH = "image.hash"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing publishing would act on: the policy clause, what it would do, and the
    evidence in the caller's own text or pictures."""

    policy_id: str
    policy_title: str
    clause: int
    clause_text: str
    detector: str
    outcome: Outcome
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class CheckResult:
    outcome: Outcome
    findings: list[Finding]


@dataclass(frozen=True, slots=True)
class Limits:
    """The surface's own limits: the longest text, the longest title, the most pictures."""

    text: int
    title: int
    pictures: int


def limits_for(settings: Settings, surface: str) -> Limits:
    pictures = settings.media_max_per_item
    if surface == "article":
        return Limits(
            settings.article_body_max_chars,
            settings.article_title_max_chars,
            settings.article_max_pictures,
        )
    if surface == "public_account":
        return Limits(settings.public_account_description_max_chars, DISPLAY_NAME_MAX, 1)
    if surface == "moment":
        return Limits(settings.moments_text_max_chars, 0, pictures)
    if surface == "comment":
        return Limits(settings.moments_comment_max_chars, 0, 0)
    return Limits(DISPLAY_NAME_MAX, 0, 1)  # profile: the display name


async def check_rate(moderation: Moderation, user_id: int) -> None:
    """PLAZA_POLICY_CHECKS_PER_PERSON: 429 with Retry-After beyond."""
    runtime = moderation.runtime
    rate = Rate.parse(runtime.settings.policy_checks_per_person)
    await enforce(runtime.limiter, f"moderation:policy-check:{user_id}", rate, "policy checks")


async def check(
    session: AsyncSession,
    *,
    moderation: Moderation,
    storage: Storage,
    user_id: int,
    surface: str,
    text: str,
    title: str | None,
    media_ids: Sequence[int],
) -> CheckResult:
    """What publishing `text` (with `title`, and pictures `media_ids`, the caller's own
    uploads: 422 `unknown_media` otherwise) on `surface` would meet. Call `check_rate`
    first. Reads only; the caller's transaction has nothing to commit."""
    limits = limits_for(moderation.runtime.settings, surface)
    _check_lengths(surface, text, title, limits)
    await media_service.check_owned(
        session, owner_id=user_id, media_ids=media_ids, limit=limits.pictures
    )
    title = title or ""
    screened = titled(title, text) if surface in TITLED else text
    content = Content(
        surface=surface,
        ref_id=0,  # nothing is stored, so nothing has an id
        author_id=user_id,
        text=screened,
        media_ids=media_ids,
        public=True,
    )
    signals = await detect(session, moderation=moderation, content=content, remember=False)
    located = [_locate(s, title if surface in TITLED else None, text) for s in signals]
    if _HASH in checks_for(moderation, public=True):
        located += await _picture_signals(session, moderation, storage, media_ids)
    ruling = engine.rule(located, moderation.catalogue, surface)
    findings = []
    for signal in located:
        found = engine.action_of(signal, moderation.catalogue, surface)
        if found is None:
            continue
        policy, action = found
        findings.append(
            Finding(
                policy_id=policy.id,
                policy_title=policy.title,
                clause=signal.clause,
                clause_text=policy.clauses.get(signal.clause, ""),
                detector=signal.detector,
                outcome=action.outcome,
                evidence=signal.evidence,
            )
        )
    return CheckResult(ruling.outcome, findings)


def _check_lengths(surface: str, text: str, title: str | None, limits: Limits) -> None:
    if len(text) > limits.text:
        raise Invalid(
            f"a {surface} text is at most {limits.text} characters, not {len(text)}",
            code="too_long",
            field="text",
        )
    if title is None:
        return
    if surface not in TITLED:
        raise Invalid(
            f"a {surface} has no title (only an article and a public account's name)",
            code="no_title",
            field="title",
        )
    if len(title) > limits.title:
        raise Invalid(
            f"a {surface} title is at most {limits.title} characters, not {len(title)}",
            code="too_long",
            field="title",
        )


def _locate(signal: Signal, title: str | None, text: str) -> Signal:
    """The signal with evidence about the submitted fields only. A keyword hit becomes
    where it is in which field (and paragraph) and what was written there; the listed
    term, which may differ from what was written (another script, another case), is
    dropped. Spam signals are counts about the caller's own text and sending."""
    evidence = dict(signal.evidence)
    if signal.detector == "keywords":
        start, end = int(evidence["start"]), int(evidence["end"])
        field = "text"
        if title is not None:
            body_at = len(titled(title, ""))
            if start < body_at:
                field = "title"
            else:
                start, end = start - body_at, end - body_at
        evidence = {
            "field": field,
            "matched": str(evidence["matched"]),
            "start": start,
            "end": end,
            "count": int(evidence["count"]),
        }
        if field == "text":
            evidence["paragraph"] = len(_PARAGRAPH_BREAK.findall(text, 0, start))
    return Signal(signal.policy_id, signal.clause, signal.detector, signal.score, evidence)


async def _picture_signals(
    session: AsyncSession, moderation: Moderation, storage: Storage, media_ids: Sequence[int]
) -> list[Signal]:
    """The hash-list matches of the caller's pictures: which upload, how close; never the
    listed hash. A picture that cannot be read is left out (the scan would record that)."""
    if not media_ids:
        return []
    hash_list = await moderation.lists.hash_list(session)
    if not len(hash_list):
        return []
    signals = []
    for media_id in media_ids:
        key = await media_service.blob_key(session, media_id=media_id)
        data = await storage.get(key) if key is not None else None
        if data is None:
            continue
        try:
            hashes = await asyncio.to_thread(pdq_hashes, data)
        except Exception:  # an unreadable picture is not a finding (the scan records it)
            log.warning("policy check: picture %s could not be hashed", media_id)
            continue
        for signal in hash_list.match(hashes):
            evidence = {"media_id": media_id, "distance": int(signal.evidence["distance"])}
            signals.append(
                Signal(signal.policy_id, signal.clause, signal.detector, signal.score, evidence)
            )
    return signals
