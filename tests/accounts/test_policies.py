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
        ("Алиса", True),  # all Cyrillic: a Russian name
        ("Аlice", False),  # Cyrillic А with Latin lice
        ("Σocrates", False),  # Greek Σ with Latin
        ("Alice Алиса", True),  # two words, each one script
        ("Alice\u202egnp.exe", False),  # right-to-left override
        ("Al\u200bice", False),  # zero-width space
        ("Alice\u2066", False),  # bidi isolate
        ("\ue000Alice", False),  # private use
        ("👨\u200d👩\u200d👧 family", True),  # ZWJ inside an emoji sequence
        ("Al\u200dice", False),  # ZWJ between letters
        ("Ａｌｉｃｅ", True),  # full-width: stored as plain "Alice"
        ("王\u00a0小明", True),
    ],
)
def test_display_names(name, ok):
    assert (policies.display_name_problem(name) is None) is ok


def test_display_names_are_stored_in_one_form():
    assert policies.clean_display_name("  Ａｌｉｃｅ   Liddell ") == "Alice Liddell"


@pytest.mark.parametrize(("password", "ok"), [("x" * 9, False), ("x" * 10, True)])
def test_passwords(password, ok):
    assert (policies.password_problem(password) is None) is ok
