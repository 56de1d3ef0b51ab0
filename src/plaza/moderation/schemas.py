"""Request and answer shapes of the policies, reports, cases, audit and list APIs (the shapes
are fixed by the trust-and-safety contract; fields may grow).

No answer carries a reporter's identity: a case shows how many reported it and what each
said, never who.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from plaza.media.schemas import MediaOut
from plaza.moderation.catalogue import Policy
from plaza.moderation.models import AuditEntry
from plaza.moderation.service.audit import EntryView
from plaza.moderation.service.evidence import Evidence
from plaza.moderation.service.notices import NoticeView
from plaza.moderation.service.strikes import Standing, StrikeView
from plaza.moderation.service.views import CaseDetail, CaseView
from plaza.validation import Id, Text

# Edge bounds; the real limits are settings or the catalogue, checked by the service.
POLICY_ID_MAX = 40
DETAILS_MAX = 1000
EXPLANATION_EDGE_MAX = 20_000
CLAUSE_MAX = 99
DURATION_DAYS_MAX = 3650
TERM_MAX = 200
HASH_PATTERN = "^[0-9A-Fa-f]{64}$"

PolicyId = Annotated[Text, Field(min_length=1, max_length=POLICY_ID_MAX)]
Clause = Annotated[int, Field(strict=True, ge=1, le=CLAUSE_MAX)]
Reportable = Literal["message", "moment", "comment", "article", "public_account", "user"]
Decided = Literal["no_action", "remove_content", "strike", "restrict", "suspend", "close_account"]
CaseState = Literal["open", "claimed", "closed", "all"]


class ReportIn(BaseModel):
    surface: Reportable
    id: Id = Field(
        description="The id of the message, moment, comment, article, public "
        "account or person reported."
    )
    policy_id: PolicyId
    details: Annotated[Text, Field(max_length=DETAILS_MAX)] = ""


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    surface: str
    ref_id: int
    policy_id: str
    created_at: datetime


# -- my standing (GET /standing): strikes and what they led to ---------------------------------


class StrikeOut(BaseModel):
    """An active strike, as its person sees it (never who reported, nor who decided)."""

    id: int
    policy_id: str | None
    policy_title: str | None = Field(description="None if the catalogue no longer has it.")
    clause: int | None
    clause_text: str | None
    surface: str = Field(description="What the strike was for: message, moment, article, ...")
    ref_id: int
    excerpt: str = Field(description="The start of that content as it was when struck.")
    created_at: datetime
    expires_at: datetime = Field(description="When it stops counting towards a suspension.")

    @classmethod
    def of(cls, view: StrikeView) -> StrikeOut:
        a = view.action
        return cls(
            id=a.id,
            policy_id=a.policy_id,
            policy_title=view.policy_title,
            clause=a.clause,
            clause_text=view.clause_text,
            surface=a.surface,
            ref_id=a.ref_id,
            excerpt=view.excerpt,
            created_at=a.created_at,
            expires_at=view.expires_at,
        )


class StrikeRuleOut(BaseModel):
    strikes_to_suspend: int = Field(description="Active strikes that suspend; 0: never.")
    strike_expiry_days: int = Field(description="Days a strike stays active.")
    suspension_days: int
    text: str = Field(description="The rule in words.")


class EscalationOut(BaseModel):
    """A suspension in force for too many strikes, citing the strikes it counted."""

    id: int
    policy_id: str | None
    created_at: datetime
    ends_at: datetime | None
    explanation: str
    counted_strikes: list[int]


class StandingOut(BaseModel):
    status: Literal["active", "suspended", "closed"]
    suspended_until: datetime | None = Field(description="While a timed suspension runs.")
    restricted_until: datetime | None = Field(
        description="While I may not publish moments, comments or articles."
    )
    active_strikes: list[StrikeOut]
    expired_strikes: int = Field(description="Strikes that no longer count (not reversed).")
    rule: StrikeRuleOut
    escalations: list[EscalationOut]

    @classmethod
    def of(cls, standing: Standing) -> StandingOut:
        rule = standing.rule
        return cls(
            status=cast(Any, standing.status),
            suspended_until=standing.suspended_until,
            restricted_until=standing.restricted_until,
            active_strikes=[StrikeOut.of(v) for v in standing.active],
            expired_strikes=standing.expired_count,
            rule=StrikeRuleOut(
                strikes_to_suspend=rule.strikes_to_suspend,
                strike_expiry_days=rule.expiry_days,
                suspension_days=rule.suspension_days,
                text=rule.in_words(),
            ),
            escalations=[
                EscalationOut(
                    id=e.action.id,
                    policy_id=e.action.policy_id,
                    created_at=e.action.created_at,
                    ends_at=e.action.ends_at,
                    explanation=e.action.explanation,
                    counted_strikes=list(e.action.counted_strikes or ()),
                )
                for e in standing.escalations
            ],
        )


class SubjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    username: str
    display_name: str


class CaseSummaryOut(BaseModel):
    id: int
    surface: str
    ref_id: int
    state: str
    severity: int
    source: str
    report_count: int
    opened_at: datetime
    claimed_by: str | None = Field(description="The claiming moderator's username.")
    subject: SubjectOut | None = Field(
        description="Who the case is about (the author, the reported person, the account's owner)."
    )
    policies: list[str] = Field(description="The policies its reports and signals cite.")
    excerpt: str = Field(description="The first 140 characters of the content as it stands.")

    @classmethod
    def fields_of(cls, view: CaseView) -> dict[str, Any]:
        case = view.case
        return {
            "id": case.id,
            "surface": case.surface,
            "ref_id": case.ref_id,
            "state": case.state,
            "severity": case.severity,
            "source": case.source,
            "report_count": case.report_count,
            "opened_at": case.opened_at,
            "claimed_by": view.claimer.username if view.claimer else None,
            "subject": SubjectOut.model_validate(view.subject) if view.subject else None,
            "policies": list(view.policies),
            "excerpt": view.excerpt,
        }

    @classmethod
    def of(cls, view: CaseView) -> CaseSummaryOut:
        return cls(**cls.fields_of(view))


class CaseReportOut(BaseModel):
    """One report, without its reporter."""

    model_config = ConfigDict(from_attributes=True)

    policy_id: str
    details: str
    created_at: datetime


class ActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    action: str
    policy_id: str | None
    clause: int | None
    explanation: str
    ends_at: datetime | None
    created_at: datetime
    source: str
    reversed_at: datetime | None


class ScreeningOut(BaseModel):
    """What automated screening decided when the content was written."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    outcome: str
    policy_id: str | None
    clause: int | None
    created_at: datetime


class CaseOut(CaseSummaryOut):
    snapshot: dict[str, Any] | None = Field(
        description="The content as it stands now (null once it is gone)."
    )
    signals: list[dict[str, Any]] = Field(description="What the detectors found, with evidence.")
    reports: list[CaseReportOut]
    actions: list[ActionOut]
    decision: ScreeningOut | None = Field(
        description="The screening decision that opened the case, if a detector did."
    )

    @classmethod
    def of_detail(cls, detail: CaseDetail) -> CaseOut:
        view = detail.view
        return cls(
            **cls.fields_of(view),
            snapshot=view.snapshot.as_json() if view.snapshot else None,
            signals=detail.signals,
            reports=[CaseReportOut.model_validate(r) for r in detail.reports],
            actions=[ActionOut.model_validate(a) for a in detail.actions],
            decision=ScreeningOut.model_validate(detail.screening) if detail.screening else None,
        )


class DecisionIn(BaseModel):
    action: Decided
    policy_id: PolicyId | None = None
    clause: Clause | None = None
    explanation: Annotated[Text, Field(min_length=1, max_length=EXPLANATION_EDGE_MAX)] = Field(
        description="Written for the author: their notice quotes it."
    )
    duration_days: Annotated[int, Field(strict=True, ge=1, le=DURATION_DAYS_MAX)] | None = Field(
        None, description="restrict (required) and suspend (without it: until reinstated)."
    )


class DecisionOut(BaseModel):
    case: CaseOut
    action: ActionOut


class AuditOut(BaseModel):
    id: int
    actor: str | None = Field(
        description="The moderator's username; null for the operator's "
        "command line or an automated step."
    )
    verb: str
    target: str
    details: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, view: EntryView) -> AuditOut:
        entry: AuditEntry = view.entry
        return cls(
            id=entry.id,
            actor=view.actor.username if view.actor else None,
            verb=entry.verb,
            target=entry.target,
            details=entry.details,
            created_at=entry.created_at,
        )


class TermIn(BaseModel):
    policy_id: PolicyId
    clause: Clause
    term: Annotated[Text, Field(min_length=1, max_length=TERM_MAX)]
    exception: bool = Field(
        False, description="An exception suppresses the policy's hits inside it."
    )


class TermOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    policy_id: str
    clause: int
    term: str
    exception: bool
    created_at: datetime


class HashIn(BaseModel):
    policy_id: PolicyId
    clause: Clause
    hash: Annotated[str, Field(pattern=HASH_PATTERN, description="A PDQ hash: 64 hex digits.")]


class HashOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    policy_id: str
    clause: int
    hash: str
    created_at: datetime


class ClauseOut(BaseModel):
    number: int
    text: str


class PolicyOut(BaseModel):
    id: str
    title: str
    description: str
    severity: int
    surfaces: list[str]
    clauses: list[ClauseOut]

    @classmethod
    def of(cls, policy: Policy) -> PolicyOut:
        return cls(
            id=policy.id,
            title=policy.title,
            description=policy.description,
            severity=policy.severity,
            surfaces=list(policy.surfaces),
            clauses=[ClauseOut(number=n, text=t) for n, t in sorted(policy.clauses.items())],
        )


class PolicyList(BaseModel):
    items: list[PolicyOut]
    next_cursor: None = None


# Notices and appeals (issue #12): what a person is told, and how they contest it.
AppealStateOut = Literal["pending", "claimed", "upheld", "reversed"]
NoticeKind = Literal["enforcement", "appeal_upheld", "appeal_reversed"]


class AppealOut(BaseModel):
    """An appeal as its person sees it (never who reviews it)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    notice_id: int
    state: AppealStateOut
    text: str
    explanation: str = Field(description="The reviewer's explanation, once decided.")
    created_at: datetime
    decided_at: datetime | None


class NoticeOut(BaseModel):
    id: int
    kind: NoticeKind
    statement: dict[str, Any] = Field(
        description="The statement of reasons, frozen when the notice was issued: content, "
        "action, policy, facts, automated_detection, automated_decision, redress (see the "
        "README); an appeal outcome's carries `appeal` instead of `facts` and `redress`."
    )
    in_force: bool = Field(description="Whether the action is still in force (not reversed).")
    appeal_until: datetime | None = Field(description="Until when it can be appealed.")
    appealable: bool = Field(description="Whether I can appeal it now.")
    appeal: AppealOut | None
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, view: NoticeView, now: datetime) -> NoticeOut:
        notice = view.notice
        return cls(
            id=notice.id,
            kind=cast(NoticeKind, notice.kind),
            statement=notice.statement,
            in_force=view.action.reversed_at is None,
            appeal_until=notice.appeal_until,
            appealable=view.appeal is None
            and notice.appeal_until is not None
            and now <= notice.appeal_until,
            appeal=AppealOut.model_validate(view.appeal) if view.appeal else None,
            created_at=notice.created_at,
            read_at=notice.read_at,
        )


class AppealIn(BaseModel):
    text: Annotated[Text, Field(min_length=1, max_length=EXPLANATION_EDGE_MAX)] = Field(
        description="Why the decision was wrong, in my own words."
    )


class EvidenceOut(BaseModel):
    """What the decision was taken on, kept through the appeal (PLAZA_EVIDENCE_RETENTION_DAYS
    after it): the content as frozen, its pictures, the detectors' signals and the reports
    (what each said and when, never who made it)."""

    snapshot: dict[str, Any] | None = Field(
        description="The content exactly as decided on (title, text, media_ids, and a context "
        "such as an article's revision number), however it was edited or deleted since; null "
        "once purged."
    )
    revision: int | None = Field(description="For an article: the revision number decided on.")
    pictures: list[MediaOut] = Field(description="The pictures of the snapshot.")
    signals: list[dict[str, Any]] = Field(description="What the detectors found, with evidence.")
    reports: list[CaseReportOut] = Field(description="The reports of the case, without reporter.")
    kept_until: datetime | None = Field(
        description="When the copy will be purged; null while an appeal or the case awaits a "
        "decision."
    )
    purged_at: datetime | None = Field(description="When the copy was purged, if it was.")

    @classmethod
    def of(cls, found: Evidence) -> EvidenceOut:
        return cls(
            snapshot=found.snapshot,
            revision=found.revision,
            pictures=[MediaOut.of(p) for p in found.pictures],
            signals=found.signals,
            reports=[CaseReportOut.model_validate(r) for r in found.reports],
            kept_until=found.kept_until,
            purged_at=found.purged_at,
        )


class AppealReviewOut(BaseModel):
    """An appeal as a reviewing moderator sees it: the person's text, the action contested,
    the statement of reasons they received, and the evidence the decision was taken on."""

    id: int
    state: AppealStateOut
    text: str
    explanation: str
    appellant: str | None
    reviewer: str | None
    action: ActionOut
    statement: dict[str, Any]
    evidence: EvidenceOut
    created_at: datetime
    claimed_at: datetime | None
    decided_at: datetime | None


class AppealDecisionIn(BaseModel):
    outcome: Literal["uphold", "reverse"]
    explanation: Annotated[Text, Field(min_length=1, max_length=EXPLANATION_EDGE_MAX)] = Field(
        description="Written for the person who appealed: their outcome notice quotes it."
    )


# The pre-publication check (issue #13): what publishing a text would meet, storing nothing.
CHECK_TEXT_EDGE_MAX = 100_000
CHECK_TITLE_EDGE_MAX = 1000
CHECK_MEDIA_EDGE_MAX = 100


class PolicyCheckIn(BaseModel):
    surface: Literal["article", "moment", "comment", "profile", "public_account"] = Field(
        description="Where it would be published; decides which checks and actions apply."
    )
    text: Annotated[Text, Field(max_length=CHECK_TEXT_EDGE_MAX)] = Field(
        description="An article's Markdown body, a moment or comment, a display name, a public "
        "account's description. At most the surface's own limit (422 `too_long`)."
    )
    title: Annotated[Text, Field(max_length=CHECK_TITLE_EDGE_MAX)] | None = Field(
        None,
        description="An article's title or a public account's name (422 `no_title` elsewhere).",
    )
    media_ids: list[Id] = Field(
        default_factory=list,
        max_length=CHECK_MEDIA_EDGE_MAX,
        description="My own uploads it would show (422 `unknown_media` otherwise).",
    )


class FindingOut(BaseModel):
    policy_id: str
    policy_title: str
    clause: int
    clause_text: str
    detector: str
    outcome: Literal["allow", "hold", "remove", "restrict"]
    evidence: dict[str, str | int | float] = Field(
        description="About what I submitted only. Keywords: `field` (text or title), "
        "`matched` as I wrote it, `start`/`end` (character offsets into that field), `count`, "
        "`paragraph` (0-based, blank-line separated, in the text). Pictures: `media_id` (mine) "
        "and `distance`. Never a listed term or hash."
    )


class PolicyCheckOut(BaseModel):
    outcome: Literal["allow", "hold", "remove", "restrict"] = Field(
        description="What publishing it now would lead to (the gravest finding)."
    )
    findings: list[FindingOut]
