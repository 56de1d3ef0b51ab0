"""`GET /api/v1/policies`: the catalogue, public, so anyone can read the rules before they are
cited against them (and reporters can pick one)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from plaza.moderation.schemas import PolicyList, PolicyOut
from plaza.moderation.setup import moderation_of

router = APIRouter(prefix="/api/v1", tags=["trust and safety"])


@router.get("/policies", response_model=PolicyList)
async def list_policies(request: Request) -> PolicyList:
    """Every content policy this server enforces, with its numbered clauses, the surfaces
    it covers and its severity (1 lowest, 4 gravest). Readable without signing in."""
    catalogue = moderation_of(request.app).catalogue
    return PolicyList(items=[PolicyOut.of(p) for p in catalogue.policies])
