"""Table-driven tests of the pure account rules."""

from __future__ import annotations

import pytest

from plaza.accounts import policies


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("abc", True),
        ("a_1", True),
        ("x" * 32, True),
        ("ab", False),
        ("x" * 33, False),
        ("Ab C", False),
        ("名字abc", False),
        ("dash-no", False),
    ],
)
def test_usernames(raw, ok):
    assert (policies.username_problem(policies.normalize_username(raw)) is None) is ok


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("李雷", True),
        ("Émile Zola", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("  ", False),
        ("bell\x07", False),
    ],
)
def test_display_names(name, ok):
    assert (policies.display_name_problem(name) is None) is ok


@pytest.mark.parametrize(("password", "ok"), [("x" * 9, False), ("x" * 10, True)])
def test_passwords(password, ok):
    assert (policies.password_problem(password) is None) is ok
