"""The policy catalogue: the rules every enforcement cites, read once at start-up.

Plaza ships `policies.toml` beside this module; an operator may point PLAZA_POLICIES at a
catalogue of their own. A catalogue that does not parse, or that breaks a rule below, stops
start-up with a message naming the line, because a server that enforced half a catalogue
would cite clauses nobody can read.

Rules beyond the shape (a `dsa_category`, optional, must be one of the DSA Transparency
Database's categories): policy ids unique; clause numbers unique within a policy; an
action's clause exists; surfaces, detectors and outcomes from the known sets; an action's
surfaces within its policy's.
"""

from __future__ import annotations

import re
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SHIPPED = Path(__file__).resolve().parent / "policies.toml"

Surface = Literal["message", "moment", "comment", "article", "profile", "public_account", "image"]
Detector = Literal[
    "keywords",
    "spam.rate",
    "spam.duplicate",
    "spam.links",
    "spam.strangers",
    "image.hash",
    "image.nudity",
]
ActionOutcome = Literal["hold", "remove", "restrict"]
# The categories of the EU DSA Transparency Database's statements of reasons: each policy
# names the one its enforcements are filed under in the public decision log.
DsaCategory = Literal[
    "STATEMENT_CATEGORY_ANIMAL_WELFARE",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR",
    "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "STATEMENT_CATEGORY_SELF_HARM",
    "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
    "STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS",
    "STATEMENT_CATEGORY_VIOLENCE",
]
# A policy that names none: content outside what the service is for.
DEFAULT_DSA_CATEGORY: DsaCategory = "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"
# How strong an outcome is, to pick the strongest of several signals' outcomes.
STRENGTH = {"allow": 0, "hold": 1, "remove": 2, "restrict": 3}
_POLICY_ID = r"^[a-z][a-z0-9_]{1,39}$"


class CatalogueError(ValueError):
    """An unusable catalogue; the message names the file and the line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Clause(_Strict):
    number: int = Field(ge=1, le=99)
    text: str = Field(min_length=1, max_length=1000)


class PolicyAction(_Strict):
    detector: Detector
    clause: int
    min_score: float = Field(ge=0.0, le=1.0)
    outcome: ActionOutcome
    surfaces: tuple[Surface, ...] | None = None


class Policy(_Strict):
    id: str = Field(pattern=_POLICY_ID)
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(min_length=1, max_length=2000)
    severity: int = Field(ge=1, le=4)
    surfaces: tuple[Surface, ...] = Field(min_length=1)
    dsa_category: DsaCategory = DEFAULT_DSA_CATEGORY
    # Named as in the TOML file ([[policy.clause]], [[policy.action]]).
    clause_list: tuple[Clause, ...] = Field(alias="clause", min_length=1)
    actions: tuple[PolicyAction, ...] = Field(alias="action", default=())
    # Whether a public account closed under this policy may still tell its subscribers where
    # it moved (issue #13): false where the new address would carry the harm on (a scam's
    # next site), true by default.
    allows_moved_notice: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        numbers = [c.number for c in self.clause_list]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"clause numbers repeat in policy {self.id!r}")
        for action in self.actions:
            if action.clause not in numbers:
                raise ValueError(
                    f"an action of policy {self.id!r} cites clause {action.clause}, "
                    f"which the policy does not have"
                )
            outside = set(action.surfaces or ()) - set(self.surfaces)
            if outside:
                raise ValueError(
                    f"an action of policy {self.id!r} names surfaces the policy does not "
                    f"cover: {', '.join(sorted(outside))}"
                )
        return self

    @cached_property
    def clauses(self) -> dict[int, str]:
        return {c.number: c.text for c in self.clause_list}

    def covers(self, surface: str) -> bool:
        return surface in self.surfaces

    def action_for(self, detector: str, score: float, surface: str) -> PolicyAction | None:
        """The strongest action this policy takes on a `detector` signal of `score` on
        `surface`, or None (the signal is recorded and allowed)."""
        best: PolicyAction | None = None
        for action in self.actions:
            if action.detector != detector or score < action.min_score:
                continue
            if surface not in (action.surfaces or self.surfaces):
                continue
            if best is None or STRENGTH[action.outcome] > STRENGTH[best.outcome]:
                best = action
        return best

    def clause_for(self, detector: str) -> int:
        """The clause a detector's signals are filed under (its first action's), else 1."""
        first = self.clause_list[0].number
        return next((a.clause for a in self.actions if a.detector == detector), first)


class Catalogue(_Strict):
    policies: tuple[Policy, ...] = Field(alias="policy", min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        ids = [p.id for p in self.policies]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"policy ids repeat: {', '.join(repeated)}")
        return self

    @cached_property
    def _by_id(self) -> dict[str, Policy]:
        return {p.id: p for p in self.policies}

    def policy(self, policy_id: str) -> Policy | None:
        return self._by_id.get(policy_id)


def load(path: Path | None = None) -> Catalogue:
    """Read and check a catalogue (the shipped one by default)."""
    path = path or SHIPPED
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueError(f"{path}: cannot read the policy catalogue: {error}") from None
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        # tomllib's message already says "(at line N, column M)".
        raise CatalogueError(f"{path}: not valid TOML: {error}") from None
    try:
        return Catalogue.model_validate(data)
    except ValidationError as error:
        raise CatalogueError(_explain(path, source, error)) from None


def _explain(path: Path, source: str, error: ValidationError) -> str:
    """The first problem, at the line of the table it is in (TOML keeps no positions, so
    find the n-th [[policy]] and, inside it, the n-th [[policy.clause]] / [[policy.action]]
    or the key by name)."""
    problem = error.errors()[0]
    location = [str(part) for part in problem["loc"]]
    line = _line_of(source, problem["loc"])
    where = " > ".join(location) or "the catalogue"
    return f"{path}, line {line}: {where}: {problem['msg']}"


def _line_of(source: str, loc: tuple[int | str, ...]) -> int:
    lines = source.splitlines()
    start, end = 0, len(lines)
    if len(loc) >= 2 and loc[0] == "policy" and isinstance(loc[1], int):
        start, end = _nth_table(lines, "policy", loc[1], 0, len(lines))
        rest = loc[2:]
        if len(rest) >= 2 and rest[0] in ("clause", "action") and isinstance(rest[1], int):
            start, end = _nth_table(lines, f"policy.{rest[0]}", rest[1], start, end)
            rest = rest[2:]
        if rest and isinstance(rest[0], str):
            key = re.compile(rf"^\s*{re.escape(rest[0])}\s*=")
            for number in range(start, end):
                if key.match(lines[number]):
                    return number + 1
    return start + 1


def _nth_table(lines: list[str], name: str, index: int, start: int, end: int) -> tuple[int, int]:
    """Where the index-th `[[name]]` array table between lines start and end begins and ends."""
    header = f"[[{name}]]"
    found = [n for n in range(start, end) if lines[n].strip() == header]
    if index >= len(found):
        return start, end
    begin = found[index]
    following = [n for n in found if n > begin]
    if name == "policy":
        return begin, following[0] if following else end
    # A sub-table ends at the next [[...]] header of any kind.
    for number in range(begin + 1, end):
        if lines[number].lstrip().startswith("[["):
            return begin, number
    return begin, end
