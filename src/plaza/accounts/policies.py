"""Pure rules about people, tested table-driven."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

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


# Letters of these scripts look alike ("а" is Cyrillic, "a" Latin): one word must not mix them.
CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
ZERO_WIDTH_JOINER = "\u200d"


def clean_display_name(name: str) -> str:
    """The form a display name is stored in: NFKC (full-width "Ａｌｉｃｅ" becomes "Alice"),
    runs of spaces collapsed, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def _invisible(name: str, index: int) -> bool:
    """Characters that change how a name reads without showing: controls, format characters
    (right-to-left overrides, zero-width spaces), private-use and unassigned code points.
    A zero-width joiner between two symbols (emoji sequences such as 👨‍👩‍👧) is allowed."""
    ch = name[index]
    category = unicodedata.category(ch)
    if ch == ZERO_WIDTH_JOINER:
        inside = 0 < index < len(name) - 1
        return not (inside and _symbol(name[index - 1]) and _symbol(name[index + 1]))
    return category in {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def _symbol(ch: str) -> bool:
    """Part of an emoji: a symbol, or the emoji presentation selector."""
    return unicodedata.category(ch)[0] == "S" or ch == "\ufe0f"


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    first = unicodedata.name(ch, "").split(" ", 1)[0]
    return first if first in CONFUSABLE_SCRIPTS else None


def display_name_problem(name: str) -> str | None:
    """Any script is welcome; blank names, invisible characters and words that mix look-alike
    scripts (a Cyrillic "А" in "Аlice") are not: they let one person pass for another."""
    name = clean_display_name(name)
    if not name:
        return "display name must not be blank"
    if len(name) > DISPLAY_NAME_MAX:
        return f"display name must be at most {DISPLAY_NAME_MAX} characters"
    if any(_invisible(name, i) for i in range(len(name))):
        return "display name must not contain control or invisible characters"
    for word in name.split():
        scripts = {s for s in map(_script, word) if s}
        if len(scripts) > 1:
            mixed = " and ".join(sorted(s.title() for s in scripts))
            return f"display name mixes {mixed} letters in one word ({word!r})"
    return None


def password_problem(password: str) -> str | None:
    if len(password) < PASSWORD_MIN:
        return f"password must be at least {PASSWORD_MIN} characters"
    if len(password) > 1024:
        return "password must be at most 1024 characters"
    return None


def status_in_force(status: str, suspended_until: datetime | None, now: datetime) -> str:
    """The status that applies at `now`: a timed suspension whose end has passed is lifted.

    Compared when asked rather than written back by a timer: every node agrees at the same
    instant, nothing has to run when the suspension ends, and the stored row still says what
    was decided (an operator or moderator reinstating someone sets "active" for good)."""
    if status == "suspended" and suspended_until is not None and suspended_until <= now:
        return "active"
    return status


def suspension_in_force(
    status: str, suspended_until: datetime | None, now: datetime
) -> datetime | None:
    """When a timed suspension in force ends (None: not suspended, or until reinstated)."""
    if status_in_force(status, suspended_until, now) != "suspended":
        return None
    return suspended_until


def restriction_in_force(restricted_until: datetime | None, now: datetime) -> datetime | None:
    """When a publishing restriction in force ends, or None when there is none now."""
    if restricted_until is not None and restricted_until > now:
        return restricted_until
    return None
