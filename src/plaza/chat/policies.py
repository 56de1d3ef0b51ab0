"""Pure rules of chat: who may do what in a conversation. Tested table-driven."""

from __future__ import annotations

from datetime import datetime, timedelta

MANAGER_ROLES = {"owner", "admin"}


def can_manage_members(actor_role: str) -> bool:
    return actor_role in MANAGER_ROLES


def can_remove(actor_role: str, target_role: str, *, is_self: bool) -> bool:
    """Anyone may leave; owners remove anyone; admins remove plain members only."""
    if is_self:
        return True
    if actor_role == "owner":
        return True
    return actor_role == "admin" and target_role == "member"


def can_rename(actor_role: str) -> bool:
    return actor_role in MANAGER_ROLES


def can_set_roles(actor_role: str) -> bool:
    return actor_role == "owner"


def can_recall(*, is_sender: bool, sent_at: datetime, now: datetime, window_seconds: int) -> bool:
    return is_sender and now - sent_at <= timedelta(seconds=window_seconds)


def direct_key(a: int, b: int) -> str:
    low, high = sorted((a, b))
    return f"{low}:{high}"
