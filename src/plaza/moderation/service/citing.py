"""What a report, a decision or a list entry cites: a policy of the catalogue, and a clause
of it. Anything else is a 422 naming the field, before anything is written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from plaza.errors import Invalid

if TYPE_CHECKING:
    from plaza.moderation.catalogue import Policy
    from plaza.moderation.setup import Moderation

# A report's subject as the catalogue names what a policy covers: a person is reported for
# what their profile shows or how they behave.
COVERED_AS = {"user": ("profile", "user")}


def policy(moderation: Moderation, policy_id: str | None) -> Policy:
    found = moderation.catalogue.policy(policy_id) if policy_id else None
    if found is None:
        raise Invalid(
            f"no policy {policy_id!r}: GET /api/v1/policies lists them",
            code="unknown_policy",
            field="policy_id",
        )
    return found


def clause(cited: Policy, number: int | None) -> int:
    if number is None or number not in cited.clauses:
        known = ", ".join(str(n) for n in sorted(cited.clauses))
        raise Invalid(
            f"policy {cited.id!r} has no clause {number}; its clauses are {known}",
            code="unknown_clause",
            field="clause",
        )
    return number


def covering(moderation: Moderation, policy_id: str, surface: str) -> Policy:
    """The policy, if it covers `surface` (a 422 `policy_not_for_surface` otherwise)."""
    cited = policy(moderation, policy_id)
    if not any(cited.covers(name) for name in COVERED_AS.get(surface, (surface,))):
        raise Invalid(
            f"policy {cited.id!r} does not cover a {surface.replace('_', ' ')}",
            code="policy_not_for_surface",
            field="policy_id",
        )
    return cited
