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
    ("status", "active", "role", "seen"),
    [
        ("published", True, None, True),
        ("published", True, "editor", True),
        ("published", False, None, False),
        ("published", False, "owner", False),
        ("draft", True, None, False),
        ("draft", True, "editor", True),
        ("draft", True, "owner", True),
        ("draft", False, "owner", False),
        ("removed", True, "owner", False),
        ("removed", True, None, False),
    ],
)
def test_who_sees_an_article(status, active, role, seen):
    assert policies.can_see_article(status=status, account_active=active, role=role) is seen
