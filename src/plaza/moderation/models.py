"""Tables of the trust-and-safety domain.

Moderation acts on content it does not own: a piece of content is named by its surface and
its id there (`surface`, `ref_id`, e.g. ("moment", 42)), never by a foreign key into a
surface's table, so moderation imports no surface (design.md §1). Nothing here is ever
deleted by an enforcement: actions are reversible and the audit log is append-only.

- `ModerationTerm`, `ModerationHash`: the operator's keyword and PDQ hash lists, per policy.
- `Decision`: what screening found in one piece of content (its signals and evidence) and
  what the engine made of it, stored whenever a detector said anything, whatever the outcome.
- `Case`, `Report`: reports and held content about one piece of content (or a person, or a
  public account) merge into one open case in the moderator queue.
- `Action`: an enforcement (remove, strike, restrict, suspend, close, or a reversal's
  undoing), with what it cited and the frozen copy of the content it acted on.
- `AuditEntry`: who did what, when and why; rows are only ever added.
- `PendingScan`: slow checks (image classification) recorded with the content before the
  worker takes them, so a crash between upload and verdict loses none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from plaza.db import Base, UTCDateTime

# What can be screened, reported or enforced on. A person ("user") and a public account are
# subjects as well as authors: reporting one opens a case about them.
SURFACES = (
    "message",
    "moment",
    "comment",
    "article",
    "profile",
    "public_account",
    "image",
    "user",
)
OUTCOMES = ("allow", "hold", "remove", "restrict")
CASE_STATES = ("open", "claimed", "closed")
ACTIONS = (
    "no_action",
    "hold",
    "remove_content",
    "strike",
    "restrict",
    "suspend",
    "close_account",
)
SOURCES = ("automated", "report", "moderator")


class ModerationTerm(Base):
    __tablename__ = "moderation_terms"
    __table_args__ = (UniqueConstraint("policy_id", "term", "exception"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(40), index=True)
    clause: Mapped[int] = mapped_column(Integer)
    term: Mapped[str] = mapped_column(String(200))
    # An exception suppresses the policy's hits inside it ("cocaine" listed, "cocaine bust"
    # excepted in news).
    exception: Mapped[bool] = mapped_column(Boolean, default=False)
    added_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ModerationHash(Base):
    __tablename__ = "moderation_hashes"
    __table_args__ = (UniqueConstraint("policy_id", "hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(40), index=True)
    clause: Mapped[int] = mapped_column(Integer)
    # 64 hex digits of a PDQ hash (256 bits).
    hash: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Decision(Base):
    __tablename__ = "moderation_decisions"
    __table_args__ = (Index("ix_moderation_decisions_ref", "surface", "ref_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    surface: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # allow | hold | remove | restrict
    outcome: Mapped[str] = mapped_column(String(16))
    # The policy and clause the outcome rests on (the strongest signal), if any.
    policy_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    clause: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # [Signal.as_json(), ...]: detector, policy, clause, score, evidence.
    signals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Case(Base):
    __tablename__ = "moderation_cases"
    __table_args__ = (
        # One open case per thing: reports and detections about it merge into it.
        Index(
            "uq_moderation_cases_open_ref",
            "surface",
            "ref_id",
            unique=True,
            sqlite_where=sql("state != 'closed'"),
            postgresql_where=sql("state != 'closed'"),
        ),
        # The queue: open cases by severity, then age.
        Index("ix_moderation_cases_queue", "state", "severity", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    surface: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column(Integer)
    # The person the case is about (the content's author, the reported person, the account's
    # owner): who would receive the notice.
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # open | claimed | closed
    state: Mapped[str] = mapped_column(String(16), default="open")
    # The highest severity among the policies cited by its reports and signals (1 low .. 4).
    severity: Mapped[int] = mapped_column(Integer, default=1)
    # automated | report: what opened it.
    source: Mapped[str] = mapped_column(String(16))
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    # The screening decision that held the content, if a detector opened the case.
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_decisions.id", ondelete="SET NULL"), nullable=True
    )
    claimed_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Indexed: the public transparency report reads the cases closed in its period.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)


class Report(Base):
    __tablename__ = "moderation_reports"
    __table_args__ = (
        # A reporter reports a thing once; a second report of it is an idempotent repeat.
        UniqueConstraint("reporter_id", "surface", "ref_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_cases.id", ondelete="CASCADE"), index=True
    )
    # Never shown to the reported person, nor in any public record.
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    surface: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column(Integer)
    policy_id: Mapped[str] = mapped_column(String(40))
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Action(Base):
    """One enforcement. `snapshot` is the content as it was decided on (text, revision,
    picture ids), kept however the content changes later."""

    __tablename__ = "moderation_actions"
    __table_args__ = (
        Index("ix_moderation_actions_ref", "surface", "ref_id"),
        Index("ix_moderation_actions_subject", "subject_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_cases.id", ondelete="SET NULL"), nullable=True, index=True
    )
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_decisions.id", ondelete="SET NULL"), nullable=True
    )
    surface: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column(Integer)
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # no_action | hold | remove_content | strike | restrict | suspend | close_account
    action: Mapped[str] = mapped_column(String(16))
    policy_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    clause: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Written for the author: the statement of reasons quotes it.
    explanation: Mapped[str] = mapped_column(Text, default="")
    # automated | report | moderator: what brought it about.
    source: Mapped[str] = mapped_column(String(16))
    automated_detection: Mapped[bool] = mapped_column(Boolean, default=False)
    automated_decision: Mapped[bool] = mapped_column(Boolean, default=False)
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # How many reports the case held when decided (never who made them).
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    # A timed restriction or suspension ends then; None for content actions and closures.
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # An escalation (a suspension for too many strikes): the strike actions it counted.
    counted_strikes: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)


class AuditEntry(Base):
    """Append-only: the service adds rows and nothing updates or deletes them."""

    __tablename__ = "moderation_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # e.g. case.claim, case.decide, terms.add, terms.remove, hashes.import
    verb: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # A chain: each entry's `hash` covers its own fields and the previous entry's hash, so
    # an edited or deleted row breaks every hash after it (`plaza audit verify`).
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class PendingScan(Base):
    """A slow check owed to a piece of content: written in the same transaction as the
    content, removed in the same transaction as its verdict."""

    __tablename__ = "moderation_pending_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    surface: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Notice(Base):
    """What a person is told about an enforcement that concerns them, and later about their
    appeal's outcome. `statement` is the statement of reasons frozen when the notice is
    issued (EU DSA Art. 17: the content, the action and its duration, the policy and the
    clause's text, the facts, the automation used, how to appeal): it reads the same however
    the catalogue or the content change afterwards."""

    __tablename__ = "moderation_notices"
    __table_args__ = (
        # One notice of each kind per action: issuing twice is a no-op.
        UniqueConstraint("action_id", "kind"),
        Index("ix_moderation_notices_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    action_id: Mapped[int] = mapped_column(ForeignKey("moderation_actions.id", ondelete="CASCADE"))
    # enforcement | appeal_upheld | appeal_reversed
    kind: Mapped[str] = mapped_column(String(16))
    statement: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Enforcement notices: the last moment an appeal may be filed (None: not appealable).
    appeal_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Appeal(Base):
    """One appeal per enforcement notice, decided by a moderator other than the one who
    decided the action."""

    __tablename__ = "moderation_appeals"
    __table_args__ = (Index("ix_moderation_appeals_queue", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_notices.id", ondelete="CASCADE"), unique=True
    )
    action_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_actions.id", ondelete="CASCADE"), index=True
    )
    appellant_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    # pending | claimed | upheld | reversed
    state: Mapped[str] = mapped_column(String(16), default="pending")
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The reviewer's explanation, written for the appellant.
    explanation: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
