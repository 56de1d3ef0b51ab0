"""Handles of public accounts: their form, and their confusable skeleton.

A handle is 3 to 30 characters of a-z, 0-9 and _, compared regardless of case. Two handles
that look alike ("paypa1" and "paypal", "rnicrosoft" and "microsoft", "g00gle" and "google")
would let one account pass for another, so each handle is stored with its *skeleton*
(`plaza.confusables.skeleton`, after Unicode Technical Standard #39), and two handles with one
skeleton cannot both exist (a unique column).
"""

from __future__ import annotations

import re

from plaza.confusables import skeleton

__all__ = ["HANDLE_PATTERN", "handle_problem", "normalize_handle", "skeleton"]

HANDLE_PATTERN = "^[A-Za-z0-9_]{3,30}$"
_HANDLE = re.compile(HANDLE_PATTERN)


def normalize_handle(raw: str) -> str:
    return raw.strip().lower()


def handle_problem(handle: str) -> str | None:
    """Why `handle` (normalized) is not acceptable, or None."""
    if not _HANDLE.fullmatch(handle):
        return "handle must be 3 to 30 characters of a-z, 0-9 and _"
    return None
