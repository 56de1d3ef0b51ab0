"""Trust and safety: policies, detectors, screening, reports, cases, enforcement."""
