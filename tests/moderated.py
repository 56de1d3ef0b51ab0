"""Moderation acting on a surface the way moderation does: through the callbacks the surface
registered on the real app (`plaza.moderation.surfaces`), in a transaction of the app's
own database, running the surface's after-commit work once committed."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import insert

from plaza.config import Settings
from plaza.moderation.models import ModerationTerm
from plaza.moderation.setup import moderation_of
from plaza.moderation.surfaces import ModerationState, Snapshot


async def set_state(app: FastAPI, surface: str, ref_id: int, state: ModerationState) -> None:
    callbacks = moderation_of(app).surfaces.get(surface)
    async with app.state.runtime.sessions() as session:
        after = await callbacks.set_state(session, ref_id, state)
        await session.commit()
    if after is not None:
        await after()


async def snapshot(app: FastAPI, surface: str, ref_id: int) -> Snapshot | None:
    async with app.state.runtime.sessions() as session:
        return await moderation_of(app).surfaces.get(surface).snapshot(session, ref_id)


async def can_view(app: FastAPI, surface: str, viewer_id: int, ref_id: int) -> bool:
    async with app.state.runtime.sessions() as session:
        return await moderation_of(app).surfaces.get(surface).can_view(session, viewer_id, ref_id)


async def user_id(client: Any, headers: dict[str, str]) -> int:
    me = await client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200, me.text
    return int(me.json()["id"])


async def add_term(app: FastAPI, policy_id: str, clause: int, term: str) -> None:
    """List a keyword, as `plaza moderation keywords import` does, from outside the serving
    code (the app's settings must look at the lists on every write:
    PLAZA_MODERATION_LISTS_CHECK_SECONDS=0)."""
    async with app.state.runtime.sessions() as session:
        await session.execute(
            insert(ModerationTerm).values(
                policy_id=policy_id,
                clause=clause,
                term=term,
                exception=False,
                created_at=app.state.runtime.clock.now(),
            )
        )
        await session.commit()


# In the shipped catalogue, a listed violent term is held for review and an illegal-goods
# term removed at once, on public surfaces (moments, comments, articles, profiles, public
# accounts; in private messages only the spam checks act).
HELD_TERM, REMOVED_TERM = "smashface", "methx"


async def list_terms(app: FastAPI) -> None:
    await add_term(app, "violence", 2, HELD_TERM)
    await add_term(app, "illegal_goods", 1, REMOVED_TERM)


def screening_settings(settings: Settings, **more: Any) -> Settings:
    """Lists read on every write (a term listed acts on the next one)."""
    return settings.model_copy(update={"moderation_lists_check_seconds": 0, **more})
