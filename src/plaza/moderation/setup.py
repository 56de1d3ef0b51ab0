"""Moderation's per-process state, created by its start-up hook (design.md §1: the runtime
knows no surface, and a domain's state belongs to the domain).

`install(app, runtime)` puts a `Moderation` on `app.state.moderation` before any surface's
hook runs, so each surface can register its callbacks (`moderation.surfaces.register`).
"""

from __future__ import annotations

from fastapi import FastAPI

from plaza.moderation import catalogue
from plaza.moderation.surfaces import Surfaces
from plaza.runtime import Runtime


class Moderation:
    """What moderation holds for the life of the app. Building it reads the policy
    catalogue, so an invalid one stops start-up (`catalogue.CatalogueError`)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.catalogue = catalogue.load(runtime.settings.policies)
        self.surfaces = Surfaces()


def install(app: FastAPI, runtime: Runtime) -> Moderation:
    moderation = Moderation(runtime)
    app.state.moderation = moderation
    return moderation


def moderation_of(app: FastAPI) -> Moderation:
    moderation: Moderation = app.state.moderation
    return moderation
