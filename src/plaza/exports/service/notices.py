"""The section of an archive about moderation: the person's notices and appeals, with
every trace of who reported them or which moderator decided taken out."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plaza.accounts.models import User
from plaza.exports.service.common import Json, iso
from plaza.moderation.models import Appeal, Notice

# Keys of a frozen statement of reasons that would name a person other than its subject:
# dropped wherever they appear, so an archive never tells who reported or who decided.
_IDENTITY_KEY = re.compile(
    r"^(moderator|reporter|reviewer|decider|actor|decided_by|reviewed_by|reported_by)s?"
    r"(_(id|ids|username|usernames|name|names))?$"
)


def without_identities(value: Any) -> Any:
    """`value` with every key that names a reporter or a moderator dropped, at any depth."""
    if isinstance(value, dict):
        return {
            k: without_identities(v) for k, v in value.items() if not _IDENTITY_KEY.match(str(k))
        }
    if isinstance(value, list):
        return [without_identities(v) for v in value]
    return value


async def moderation(session: AsyncSession, user: User) -> Json:
    """The person's notices (each with its frozen statement of reasons) and their appeals:
    their text, state and the reviewer's explanation, never the reviewer."""
    notices = list(
        await session.scalars(select(Notice).where(Notice.user_id == user.id).order_by(Notice.id))
    )
    appeals = list(
        await session.scalars(
            select(Appeal).where(Appeal.appellant_id == user.id).order_by(Appeal.id)
        )
    )
    return {
        "notices": [
            {
                "id": n.id,
                "kind": n.kind,
                "statement": without_identities(n.statement),
                "appeal_until": iso(n.appeal_until),
                "created_at": iso(n.created_at),
            }
            for n in notices
        ],
        "appeals": [
            {
                "id": a.id,
                "notice_id": a.notice_id,
                "text": a.text,
                "state": a.state,
                "explanation": a.explanation,
                "created_at": iso(a.created_at),
                "decided_at": iso(a.decided_at),
            }
            for a in appeals
        ],
    }
