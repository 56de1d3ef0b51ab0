"""The keyword and picture-hash lists, per policy: list, add, remove. Moderators only (a
member gets the 404 of an address that does not exist). A change acts at once, on every
node; each is in the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from plaza.deps import DbSession, PageLimit, RuntimeDep
from plaza.moderation.roles import CurrentModerator
from plaza.moderation.schemas import HashIn, HashOut, PolicyId, TermIn, TermOut
from plaza.moderation.service import lists
from plaza.moderation.setup import moderation_of
from plaza.pagination import Page
from plaza.validation import PathId, QueryCursor
from plaza.web.openapi import errors

router = APIRouter(prefix="/api/v1/moderation", tags=["trust and safety"])

PolicyFilter = Annotated[PolicyId | None, Query(description="Only this policy's entries.")]


@router.get("/terms", response_model=Page[TermOut], responses=errors(404))
async def list_terms(
    request: Request,
    moderator: CurrentModerator,
    session: DbSession,
    limit: PageLimit,
    policy_id: PolicyFilter = None,
    cursor: QueryCursor = None,
) -> Page[TermOut]:
    """Listed keywords and their exceptions, the newest first."""
    rows, next_cursor = await lists.page(
        session,
        lists.TERMS,
        moderation=moderation_of(request.app),
        policy_id=policy_id,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[TermOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/terms", status_code=201, response_model=TermOut, responses=errors(404, 409))
async def add_term(
    body: TermIn,
    request: Request,
    moderator: CurrentModerator,
    session: DbSession,
    runtime: RuntimeDep,
) -> TermOut:
    """List a keyword or phrase under a policy clause (422 `unknown_policy` /
    `unknown_clause`; 422 for a term with nothing to match once normalized); an exception
    suppresses the policy's hits inside it. 409 `already_listed`."""
    row = await lists.add(
        session,
        lists.TERMS,
        moderation=moderation_of(request.app),
        clock=runtime.clock,
        actor_id=moderator.id,
        policy_id=body.policy_id,
        clause=body.clause,
        value=body.term,
        exception=body.exception,
    )
    return TermOut.model_validate(row)


@router.delete("/terms/{term_id}", status_code=204)
async def remove_term(
    term_id: PathId,
    request: Request,
    moderator: CurrentModerator,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    await lists.remove(
        session,
        lists.TERMS,
        moderation=moderation_of(request.app),
        clock=runtime.clock,
        actor_id=moderator.id,
        entry_id=term_id,
    )
    return Response(status_code=204)


@router.get("/hashes", response_model=Page[HashOut], responses=errors(404))
async def list_hashes(
    request: Request,
    moderator: CurrentModerator,
    session: DbSession,
    limit: PageLimit,
    policy_id: PolicyFilter = None,
    cursor: QueryCursor = None,
) -> Page[HashOut]:
    """Listed PDQ picture hashes, the newest first."""
    rows, next_cursor = await lists.page(
        session,
        lists.HASHES,
        moderation=moderation_of(request.app),
        policy_id=policy_id,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[HashOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/hashes", status_code=201, response_model=HashOut, responses=errors(404, 409))
async def add_hash(
    body: HashIn,
    request: Request,
    moderator: CurrentModerator,
    session: DbSession,
    runtime: RuntimeDep,
) -> HashOut:
    """List a picture's PDQ hash (64 hex digits) under a policy clause: pictures within the
    matching distance of it are found on upload. 409 `already_listed`."""
    row = await lists.add(
        session,
        lists.HASHES,
        moderation=moderation_of(request.app),
        clock=runtime.clock,
        actor_id=moderator.id,
        policy_id=body.policy_id,
        clause=body.clause,
        value=body.hash,
    )
    return HashOut.model_validate(row)


@router.delete("/hashes/{hash_id}", status_code=204)
async def remove_hash(
    hash_id: PathId,
    request: Request,
    moderator: CurrentModerator,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    await lists.remove(
        session,
        lists.HASHES,
        moderation=moderation_of(request.app),
        clock=runtime.clock,
        actor_id=moderator.id,
        entry_id=hash_id,
    )
    return Response(status_code=204)
