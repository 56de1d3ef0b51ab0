"""Moderation acting on a surface the way moderation does: through the callbacks the surface
registered on the real app (`plaza.moderation.surfaces`), in a transaction of the app's
own database, running the surface's after-commit work once committed."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

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
