"""moderation: keyword and hash lists, screening decisions, cases, reports, actions, the audit
log and pending scans; a moderation state on messages, moments, comments, articles and public
accounts; timed suspension and publishing restriction on users

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 19:01:49.579603
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moderation_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("verb", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=80), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_moderation_audit_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_audit")),
    )
    with op.batch_alter_table("moderation_audit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_audit_actor_id"), ["actor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_moderation_audit_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "moderation_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("policy_id", sa.String(length=40), nullable=True),
        sa.Column("clause", sa.Integer(), nullable=True),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_moderation_decisions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_decisions")),
    )
    with op.batch_alter_table("moderation_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_decisions_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_moderation_decisions_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index("ix_moderation_decisions_ref", ["surface", "ref_id"], unique=False)

    op.create_table(
        "moderation_hashes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=40), nullable=False),
        sa.Column("clause", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by"],
            ["users.id"],
            name=op.f("fk_moderation_hashes_added_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_hashes")),
        sa.UniqueConstraint("policy_id", "hash", name=op.f("uq_moderation_hashes_policy_id")),
    )
    with op.batch_alter_table("moderation_hashes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_hashes_policy_id"), ["policy_id"], unique=False
        )

    op.create_table(
        "moderation_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=40), nullable=False),
        sa.Column("clause", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("exception", sa.Boolean(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by"],
            ["users.id"],
            name=op.f("fk_moderation_terms_added_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_terms")),
        sa.UniqueConstraint(
            "policy_id", "term", "exception", name=op.f("uq_moderation_terms_policy_id")
        ),
    )
    with op.batch_alter_table("moderation_terms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_terms_policy_id"), ["policy_id"], unique=False
        )

    op.create_table(
        "moderation_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["claimed_by"],
            ["users.id"],
            name=op.f("fk_moderation_cases_claimed_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["moderation_decisions.id"],
            name=op.f("fk_moderation_cases_decision_id_moderation_decisions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["users.id"],
            name=op.f("fk_moderation_cases_subject_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_cases")),
    )
    with op.batch_alter_table("moderation_cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_moderation_cases_queue", ["state", "severity", "opened_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_moderation_cases_subject_id"), ["subject_id"], unique=False
        )
        batch_op.create_index(
            "uq_moderation_cases_open_ref",
            ["surface", "ref_id"],
            unique=True,
            sqlite_where=sa.text("state != 'closed'"),
            postgresql_where=sa.text("state != 'closed'"),
        )

    op.create_table(
        "moderation_pending_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_moderation_pending_scans_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
            name=op.f("fk_moderation_pending_scans_media_id_media"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_pending_scans")),
    )
    with op.batch_alter_table("moderation_pending_scans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_pending_scans_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "moderation_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("policy_id", sa.String(length=40), nullable=True),
        sa.Column("clause", sa.Integer(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("automated_detection", sa.Boolean(), nullable=False),
        sa.Column("automated_decision", sa.Boolean(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["moderation_cases.id"],
            name=op.f("fk_moderation_actions_case_id_moderation_cases"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["moderation_decisions.id"],
            name=op.f("fk_moderation_actions_decision_id_moderation_decisions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["users.id"],
            name=op.f("fk_moderation_actions_moderator_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["users.id"],
            name=op.f("fk_moderation_actions_subject_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_actions")),
    )
    with op.batch_alter_table("moderation_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_actions_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_moderation_actions_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index("ix_moderation_actions_ref", ["surface", "ref_id"], unique=False)
        batch_op.create_index(
            "ix_moderation_actions_subject", ["subject_id", "created_at"], unique=False
        )

    op.create_table(
        "moderation_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=40), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["moderation_cases.id"],
            name=op.f("fk_moderation_reports_case_id_moderation_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_moderation_reports_reporter_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_reports")),
        sa.UniqueConstraint(
            "reporter_id", "surface", "ref_id", name=op.f("uq_moderation_reports_reporter_id")
        ),
    )
    with op.batch_alter_table("moderation_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_reports_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_moderation_reports_created_at"), ["created_at"], unique=False
        )

    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moderation", sa.String(length=16), nullable=True))

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moderation", sa.String(length=16), nullable=True))
        batch_op.create_index(
            "ix_messages_moderated",
            ["conversation_id", "seq"],
            unique=False,
            sqlite_where=sa.text("moderation IS NOT NULL"),
            postgresql_where=sa.text("moderation IS NOT NULL"),
        )

    with op.batch_alter_table("moment_comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moderation", sa.String(length=16), nullable=True))

    with op.batch_alter_table("moments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moderation", sa.String(length=16), nullable=True))

    with op.batch_alter_table("public_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moderation", sa.String(length=16), nullable=True))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("restricted_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("profile_moderation", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("hidden_display_name", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("hidden_display_name")
        batch_op.drop_column("profile_moderation")
        batch_op.drop_column("restricted_until")
        batch_op.drop_column("suspended_until")

    with op.batch_alter_table("public_accounts", schema=None) as batch_op:
        batch_op.drop_column("moderation")

    with op.batch_alter_table("moments", schema=None) as batch_op:
        batch_op.drop_column("moderation")

    with op.batch_alter_table("moment_comments", schema=None) as batch_op:
        batch_op.drop_column("moderation")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_messages_moderated",
            sqlite_where=sa.text("moderation IS NOT NULL"),
            postgresql_where=sa.text("moderation IS NOT NULL"),
        )
        batch_op.drop_column("moderation")

    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("moderation")

    with op.batch_alter_table("moderation_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_reports_created_at"))
        batch_op.drop_index(batch_op.f("ix_moderation_reports_case_id"))

    op.drop_table("moderation_reports")
    with op.batch_alter_table("moderation_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_actions_subject")
        batch_op.drop_index("ix_moderation_actions_ref")
        batch_op.drop_index(batch_op.f("ix_moderation_actions_created_at"))
        batch_op.drop_index(batch_op.f("ix_moderation_actions_case_id"))

    op.drop_table("moderation_actions")
    with op.batch_alter_table("moderation_pending_scans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_pending_scans_created_at"))

    op.drop_table("moderation_pending_scans")
    with op.batch_alter_table("moderation_cases", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_moderation_cases_open_ref",
            sqlite_where=sa.text("state != 'closed'"),
            postgresql_where=sa.text("state != 'closed'"),
        )
        batch_op.drop_index(batch_op.f("ix_moderation_cases_subject_id"))
        batch_op.drop_index("ix_moderation_cases_queue")

    op.drop_table("moderation_cases")
    with op.batch_alter_table("moderation_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_terms_policy_id"))

    op.drop_table("moderation_terms")
    with op.batch_alter_table("moderation_hashes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_hashes_policy_id"))

    op.drop_table("moderation_hashes")
    with op.batch_alter_table("moderation_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_decisions_ref")
        batch_op.drop_index(batch_op.f("ix_moderation_decisions_created_at"))
        batch_op.drop_index(batch_op.f("ix_moderation_decisions_author_id"))

    op.drop_table("moderation_decisions")
    with op.batch_alter_table("moderation_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_audit_created_at"))
        batch_op.drop_index(batch_op.f("ix_moderation_audit_actor_id"))

    op.drop_table("moderation_audit")
