"""The pure rules of public accounts, table-driven."""

from __future__ import annotations

import pytest

from plaza.public_accounts import policies

ROLES = ("owner", "editor", None)


@pytest.mark.parametrize(
    ("role", "edit", "manage"),
    [("owner", True, True), ("editor", True, False), (None, False, False)],
)
def test_roles(role, edit, manage):
    assert policies.can_edit(role) is edit
    assert policies.can_manage_editors(role) is manage


@pytest.mark.parametrize(
    ("site_role", "verify"), [("admin", True), ("moderator", False), ("member", False)]
)
def test_only_admins_verify(site_role, verify):
    assert policies.can_verify(site_role) is verify


@pytest.mark.parametrize(
    ("status", "moderation", "active", "role", "seen"),
    [
        ("published", None, True, None, True),
        ("published", None, True, "editor", True),
        ("published", None, False, None, False),
        ("published", None, False, "owner", False),
        ("draft", None, True, None, False),
        ("draft", None, True, "editor", True),
        ("draft", None, True, "owner", True),
        ("draft", None, False, "owner", False),
        ("removed", None, True, "owner", False),
        ("removed", None, True, None, False),
        ("published", "held", True, None, False),
        ("published", "held", True, "editor", True),
        ("published", "removed", True, None, False),
        ("published", "removed", True, "owner", True),
        ("published", "removed", False, "owner", False),
        ("removed", "removed", True, "owner", False),
    ],
)
def test_who_sees_an_article(status, moderation, active, role, seen):
    assert (
        policies.can_see_article(
            status=status, moderation=moderation, account_visible=active, role=role
        )
        is seen
    )


@pytest.mark.parametrize(
    ("status", "moderation", "role", "seen"),
    [
        ("active", None, None, True),
        ("active", "held", None, False),
        ("active", "held", "editor", True),
        ("active", "closed", None, False),
        ("active", "closed", "owner", True),
        ("closed", None, "owner", False),
    ],
)
def test_who_sees_an_account(status, moderation, role, seen):
    assert policies.can_see_account(status=status, moderation=moderation, role=role) is seen


def test_a_closed_account_publishes_nothing():
    assert policies.can_publish(moderation=None) and policies.can_publish(moderation="held")
    assert not policies.can_publish(moderation="closed")
