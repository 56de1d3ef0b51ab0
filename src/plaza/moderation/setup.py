"""Moderation's per-process state, created by its start-up hook (design.md §1: the runtime
knows no surface, and a domain's state belongs to the domain).

`install(app, runtime)` puts a `Moderation` on `app.state.moderation` before any surface's
hook runs, so each surface can register its callbacks (`moderation.surfaces.register`).
"""

from __future__ import annotations

from fastapi import FastAPI

from plaza.config import Settings
from plaza.moderation import catalogue
from plaza.moderation.catalogue import Catalogue, Policy
from plaza.moderation.detectors.spam import SpamThresholds
from plaza.moderation.list_cache import ListCache
from plaza.moderation.spam_memory import SpamMemory
from plaza.moderation.surfaces import Surfaces
from plaza.runtime import Runtime

CHECKS = ("keywords", "spam", "image.hash", "image.nudity")


class Moderation:
    """What moderation holds for the life of the app. Building it reads the policy
    catalogue, so an invalid one stops start-up (`catalogue.CatalogueError`)."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.catalogue = catalogue.load(settings.policies)
        self.surfaces = Surfaces()
        self.lists = ListCache(check_seconds=settings.moderation_lists_check_seconds)
        self.private_checks = private_checks(settings)
        self.spam_policy = spam_policy(self.catalogue)
        self.spam_thresholds = SpamThresholds(
            rate_sends=settings.spam_sends_per_window,
            rate_window_seconds=settings.spam_window_seconds,
            duplicate_authors=settings.spam_duplicate_authors,
            links=settings.spam_links,
            new_account_seconds=settings.spam_new_account_seconds,
            new_account_strangers=settings.spam_new_account_strangers,
        )
        self.spam = SpamMemory(
            window_seconds=settings.spam_window_seconds,
            texts_remembered=settings.spam_texts_remembered,
        )

    async def start(self) -> None:
        await self.lists.subscribe(self.runtime.bus)


def private_checks(settings: Settings) -> frozenset[str]:
    """PLAZA_MODERATION_PRIVATE_CHECKS as a set; an unknown name stops start-up."""
    names = {n.strip() for n in settings.moderation_private_checks.split(",") if n.strip()}
    unknown = names - set(CHECKS)
    if unknown:
        raise ValueError(
            f"PLAZA_MODERATION_PRIVATE_CHECKS: unknown {', '.join(sorted(unknown))} "
            f"(choose from {', '.join(CHECKS)})"
        )
    return frozenset(names)


def spam_policy(catalogue: Catalogue) -> Policy | None:
    """The policy the spam checks file their signals under: the first with spam actions."""
    return next(
        (p for p in catalogue.policies if any(a.detector.startswith("spam.") for a in p.actions)),
        None,
    )


def install(app: FastAPI, runtime: Runtime) -> Moderation:
    moderation = Moderation(runtime)
    app.state.moderation = moderation
    return moderation


def moderation_of(app: FastAPI) -> Moderation:
    moderation: Moderation = app.state.moderation
    return moderation
