"""Trust and safety: policies, detectors, reports, cases and enforcement (design.md §6)."""
