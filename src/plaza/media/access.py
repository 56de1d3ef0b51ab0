"""Who may see a picture: the surfaces that use it say.

The media domain never imports chat or moments (design.md §1: domains depend one way). Each
surface registers a check under its name from its start-up hook; a viewer may see a picture if
they uploaded it or if some surface that uses it says they may see one of its items there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

# check(session, viewer_id, ref_ids) -> may this viewer see any of these items of my surface?
ViewerCheck = Callable[[AsyncSession, int, Sequence[int]], Awaitable[bool]]


class ViewerChecks:
    """The registry, one per app (`app.state.media_access`)."""

    def __init__(self) -> None:
        self._checks: dict[str, ViewerCheck] = {}

    def register(self, surface: str, check: ViewerCheck) -> None:
        if surface in self._checks:
            raise ValueError(f"a media viewer check for {surface!r} is already registered")
        self._checks[surface] = check

    async def may_see(
        self, session: AsyncSession, *, viewer_id: int, uses: dict[str, list[int]]
    ) -> bool:
        """Whether any registered surface lets the viewer see one of the items in `uses`
        (surface -> item ids). A surface with no check registered grants nothing."""
        for surface, ref_ids in uses.items():
            check = self._checks.get(surface)
            if check is not None and ref_ids and await check(session, viewer_id, ref_ids):
                return True
        return False
