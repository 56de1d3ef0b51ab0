"""What detectors say: a Signal names the policy clause it concerns and the evidence for it.

The engine turns signals into decisions by policy; the evidence is stored with the decision
and shown to moderators and, in the notice, to the author ("the term X at characters 12-19",
"a picture within distance 12 of a listed hash"). Detectors never know the shipped policy
ids: the caller hands them `Rule`s (or list entries carrying their policy and clause).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

Evidence = Mapping[str, str | int | float]


@dataclass(frozen=True, slots=True)
class Rule:
    """Where a detector's hits are filed: which policy and which of its numbered clauses."""

    policy_id: str
    clause: int


@dataclass(frozen=True, slots=True)
class Signal:
    """One finding of one detector about one piece of content.

    `score` is the detector's confidence from 0.0 to 1.0; `evidence` holds JSON-able facts
    (offsets are into the original text, so what the author wrote can be highlighted).
    """

    policy_id: str
    clause: int
    detector: str
    score: float
    evidence: Evidence

    def as_json(self) -> dict[str, object]:
        return {
            "policy_id": self.policy_id,
            "clause": self.clause,
            "detector": self.detector,
            "score": self.score,
            "evidence": dict(self.evidence),
        }
