"""`GET /api/v1/policies`: the catalogue, public, so anyone can read the rules before they are
cited against them (and reporters can pick one)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from plaza.moderation.catalogue import Policy
from plaza.moderation.setup import moderation_of

router = APIRouter(prefix="/api/v1", tags=["trust and safety"])


class ClauseOut(BaseModel):
    number: int
    text: str


class PolicyOut(BaseModel):
    id: str
    title: str
    description: str
    severity: int
    surfaces: list[str]
    clauses: list[ClauseOut]

    @classmethod
    def of(cls, policy: Policy) -> PolicyOut:
        return cls(
            id=policy.id,
            title=policy.title,
            description=policy.description,
            severity=policy.severity,
            surfaces=list(policy.surfaces),
            clauses=[ClauseOut(number=n, text=t) for n, t in sorted(policy.clauses.items())],
        )


class PolicyList(BaseModel):
    items: list[PolicyOut]
    next_cursor: None = None


@router.get("/policies", response_model=PolicyList)
async def list_policies(request: Request) -> PolicyList:
    """Every content policy this server enforces, with its numbered clauses, the surfaces
    it covers and its severity (1 lowest, 4 gravest). Readable without signing in."""
    catalogue = moderation_of(request.app).catalogue
    return PolicyList(items=[PolicyOut.of(p) for p in catalogue.policies])
