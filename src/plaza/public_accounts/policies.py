"""Pure rules of public accounts: who may do what, tested table-driven.

A person's role in an account is "owner", "editor" or None (a reader). An account and its
published articles are public: anyone, signed out too, may read them. Drafts, revisions and
statistics are for the owner and editors; to anyone else a draft does not exist (404).
Publishing into an account one can see but does not edit is a 403. What moderation held,
removed or closed is for the owner and editors alone.
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


def can_see_account(*, status: str, moderation: str | None, role: Role) -> bool:
    """A live account is for everyone. One moderation held or closed is for its owner and
    editors alone (marked; a closed one's public pages are a tombstone, for them too); one
    whose status is not active, for nobody."""
    if status != "active":
        return False
    return moderation is None or can_edit(role)


def can_see_article(
    *, status: str, moderation: str | None, account_visible: bool, role: Role
) -> bool:
    """Published articles of an account the viewer may see are for everyone; drafts, and
    articles moderation held or removed, for its owner and editors (marked); an article its
    account removed, for nobody through reading paths."""
    if not account_visible or status == "removed":
        return False
    if status == "draft" or moderation is not None:
        return can_edit(role)
    return status == "published"


def can_publish(*, moderation: str | None) -> bool:
    """A public account moderation closed publishes nothing more, and changes nothing."""
    return moderation != "closed"


# How far moderation hides something: an edit never lessens it (a moderator's review does).
_REACH = {None: 0, "held": 1, "removed": 2, "closed": 2}


def account_state(state: str | None) -> str | None:
    """Moderation's state as an account stores it: removing an account is closing it."""
    return "closed" if state in ("removed", "closed") else state


def after_edit(current: str | None, screened: str | None) -> str | None:
    """The state of an article or account after an edit screened as `screened`: what a
    moderator held or removed stays so until they decide, whatever the new text says."""
    return screened if _REACH[screened] > _REACH[current] else current
