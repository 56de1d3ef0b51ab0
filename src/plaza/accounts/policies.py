"""Pure rules about people, tested table-driven."""

from __future__ import annotations

import re
import unicodedata

USERNAME_RE = re.compile(r"^[a-z0-9_]{3,32}$")
PASSWORD_MIN = 10
DISPLAY_NAME_MAX = 64
GREETING_MAX = 200


def normalize_username(raw: str) -> str:
    """Usernames are case-insensitive: "Alice" and "alice" are one person."""
    return raw.strip().lower()


def username_problem(username: str) -> str | None:
    """Why `username` (already normalized) is not acceptable, or None."""
    if not USERNAME_RE.fullmatch(username):
        return "username must be 3 to 32 characters of a-z, 0-9 and _"
    return None


def display_name_problem(name: str) -> str | None:
    """Any script is welcome; control characters and blank names are not."""
    if not name.strip():
        return "display name must not be blank"
    if len(name) > DISPLAY_NAME_MAX:
        return f"display name must be at most {DISPLAY_NAME_MAX} characters"
    if any(unicodedata.category(ch) in {"Cc", "Cs"} for ch in name):
        return "display name must not contain control characters"
    return None


def password_problem(password: str) -> str | None:
    if len(password) < PASSWORD_MIN:
        return f"password must be at least {PASSWORD_MIN} characters"
    if len(password) > 1024:
        return "password must be at most 1024 characters"
    return None
