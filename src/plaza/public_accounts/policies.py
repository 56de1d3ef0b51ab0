"""Pure rules of public accounts: who may do what, tested table-driven.

A person's role in an account is "owner", "editor" or None (a reader). An account and its
published articles are public: anyone, signed out too, may read them. Drafts, revisions and
statistics are for the owner and editors; to anyone else a draft does not exist (404).
Publishing into an account one can see but does not edit is a 403.
"""

from __future__ import annotations

from typing import Literal

Role = Literal["owner", "editor"] | None


def can_edit(role: Role) -> bool:
    """Draft, publish, edit and remove articles; read drafts, revisions and statistics."""
    return role in ("owner", "editor")


def can_manage_editors(role: Role) -> bool:
    return role == "owner"


def can_verify(user_role: str) -> bool:
    """Mark an account verified (a person's site role, not their role in the account)."""
    return user_role == "admin"


def can_see_article(*, status: str, account_active: bool, role: Role) -> bool:
    """Published articles of a live account are for everyone; drafts for its editors; a
    removed article (and everything of a closed account) for nobody through reading paths."""
    if status == "published" and account_active:
        return True
    return status == "draft" and account_active and can_edit(role)
