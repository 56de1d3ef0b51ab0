"""People for the moderation tests: members registered through the API, moderators and
admins made as an operator makes them (plaza.accounts.service.users.register with a role),
then signed in through the API like anyone."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from plaza.accounts.models import User
from plaza.accounts.service import users
from plaza.moderation.models import Action, Notice
from plaza.moderation.service import appeals, enforcement
from plaza.moderation.setup import moderation_of
from plaza.runtime import Runtime
from tests.helpers import PASSWORD, log_in

Headers = dict[str, str]


async def member(client: httpx.AsyncClient, username: str) -> tuple[Headers, int]:
    """A member registered through the API: their headers and their id."""
    answer = await client.post(
        "/api/v1/accounts",
        json={"username": username, "password": PASSWORD, "display_name": f"{username} Name"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return {"Authorization": f"Bearer {body['session']['token']}"}, body["id"]


async def staff(
    app: FastAPI, client: httpx.AsyncClient, username: str, role: str = "moderator"
) -> Headers:
    """A moderator (or admin), created as `plaza user create NAME --role ...` does."""
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        await users.register(
            session,
            passwords=runtime.passwords,
            clock=runtime.clock,
            username=username,
            password=PASSWORD,
            display_name=f"{username} Name",
            role=role,
        )
    return await log_in(client, username)


async def report(
    client: httpx.AsyncClient,
    who: Headers,
    surface: str,
    ref_id: int,
    policy_id: str = "harassment",
    details: str = "",
) -> httpx.Response:
    body: dict[str, Any] = {"surface": surface, "id": ref_id, "policy_id": policy_id}
    if details:
        body["details"] = details
    return await client.post("/api/v1/reports", json=body, headers=who)


async def case_of(client: httpx.AsyncClient, moderator: Headers, surface: str, ref_id: int) -> dict:
    """The open or claimed case about this thing, as the queue shows it."""
    answer = await client.get("/api/v1/moderation/cases?state=all&limit=200", headers=moderator)
    assert answer.status_code == 200, answer.text
    found = [
        c
        for c in answer.json()["items"]
        if c["surface"] == surface and c["ref_id"] == ref_id and c["state"] != "closed"
    ]
    assert len(found) == 1, found
    return found[0]


async def claim(client: httpx.AsyncClient, moderator: Headers, case_id: int) -> httpx.Response:
    return await client.post(f"/api/v1/moderation/cases/{case_id}/claim", headers=moderator)


async def decide(
    client: httpx.AsyncClient, moderator: Headers, case_id: int, **body: Any
) -> httpx.Response:
    body.setdefault("explanation", "You broke the rule quoted here.")
    return await client.post(
        f"/api/v1/moderation/cases/{case_id}/decision", json=body, headers=moderator
    )


async def action_row(app: FastAPI, action_id: int) -> Action:
    """An enforcement as stored (its frozen snapshot, whether it was reversed)."""
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        found = await session.get(Action, action_id)
        assert found is not None
        return found


async def reverse(app: FastAPI, action_id: int) -> None:
    """Undo an enforcement as issue #12's reversals will: enforcement.reverse in a
    transaction, then its after-commit work."""
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        action = await session.get(Action, action_id)
        assert action is not None
        done = await enforcement.reverse(
            session,
            moderation=moderation_of(app),
            clock=runtime.clock,
            bus=runtime.bus,
            action=action,
        )
        await session.commit()
        await done.announce()


async def file_appeal(
    app: FastAPI, action_id: int, person_id: int, text: str = "I did nothing wrong."
) -> int:
    """The person appeals the notice of `action_id` through the appeals service: its id."""
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        notice_id = await session.scalar(
            select(Notice.id).where(Notice.action_id == action_id, Notice.kind == "enforcement")
        )
        assert notice_id is not None
        appellant = (await users.users_by_id(session, {person_id}))[person_id]
        filed = await appeals.file(
            session,
            moderation=moderation_of(app),
            clock=runtime.clock,
            user=appellant,
            notice_id=notice_id,
            text=text,
        )
        return filed.id


async def reviewer(app: FastAPI, username: str) -> User:
    """A moderator who decided nothing yet, to review appeals."""
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        return await users.register(
            session,
            passwords=runtime.passwords,
            clock=runtime.clock,
            username=username,
            password=PASSWORD,
            display_name=f"{username} Name",
            role="moderator",
        )


async def review(app: FastAPI, appeal_id: int, moderator: User, to: str) -> None:
    """Take the appeal as far as `to`: claimed, upheld or reversed (claiming first)."""
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        await appeals.claim(session, clock=runtime.clock, moderator=moderator, appeal_id=appeal_id)
        if to == "claimed":
            return
        await appeals.decide(
            session,
            moderation=moderation_of(app),
            clock=runtime.clock,
            bus=runtime.bus,
            moderator=moderator,
            appeal_id=appeal_id,
            outcome="reverse" if to == "reversed" else "uphold",
            explanation="Reviewed.",
        )
