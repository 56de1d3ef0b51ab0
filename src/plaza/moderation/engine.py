"""The engine: what the catalogue says to do with a piece of content's signals.

Pure, like the detectors: signals and the catalogue in, an outcome out. Each signal is
weighed by its own policy's actions (detector, score threshold, surface); the strongest
outcome wins (restrict > remove > hold > allow) and, among equals, the gravest policy, so
the decision cites the rule that matters most. A signal of a policy the catalogue no longer
has, or that does not cover the surface, is recorded and allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from plaza.moderation.catalogue import STRENGTH, Catalogue, Policy, PolicyAction
from plaza.moderation.detectors.signals import Signal
from plaza.moderation.verdicts import Outcome

IMAGE_DETECTORS = ("image.hash", "image.nudity")


@dataclass(frozen=True, slots=True)
class Ruling:
    """The engine's answer: the outcome, and the signal and clause it rests on (None when
    allowed)."""

    outcome: Outcome
    signal: Signal | None = None
    clause: int | None = None
    severity: int = 0


ALLOWED = Ruling("allow")


def rule(signals: Sequence[Signal], catalogue: Catalogue, surface: str) -> Ruling:
    best = ALLOWED
    for signal in signals:
        found = action_of(signal, catalogue, surface)
        if found is None:
            continue
        policy, action = found
        candidate = Ruling(action.outcome, signal, signal.clause, policy.severity)
        if (STRENGTH[candidate.outcome], candidate.severity) > (
            STRENGTH[best.outcome],
            best.severity,
        ):
            best = candidate
    return best


def action_of(
    signal: Signal, catalogue: Catalogue, surface: str
) -> tuple[Policy, PolicyAction] | None:
    """The policy of `signal` and the action it takes on `surface`, or None when it takes
    none (a policy the catalogue no longer has, one not covering the surface, a score below
    every action's)."""
    policy = catalogue.policy(signal.policy_id)
    if policy is None:
        return None
    # A picture's signals count where the picture is shown, or under the image surface.
    covered = policy.covers(surface) or (
        signal.detector in IMAGE_DETECTORS and policy.covers("image")
    )
    if not covered:
        return None
    action = policy.action_for(signal.detector, signal.score, surface)
    return None if action is None else (policy, action)
