"""How moderation reaches content it does not own: each surface registers its callbacks.

Moderation must hide, restore and copy messages, moments, comments, articles and public
accounts, yet it may not import chat, moments or public accounts (design.md §1: those depend
on moderation, not the other way). So each surface, from its start-up hook, registers a
`Surface` under its name ("message", "moment", ...): how to take a snapshot of an item, who
may see it (and so may report it), and how to set its moderation state. Moderation calls
them by the name stored with a case or an action; a name with nothing registered is a
programming error, reported as such.

A surface keeps the state in its own table (a nullable `moderation` column: None shown,
"held" awaiting review and seen by its author alone, "removed" replaced by a marker) and
honours it on every reading path; moderation only ever sets it through `set_state`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

ModerationState = Literal["held", "removed"] | None
# Work a surface wants done once the transaction that changed the state has committed (e.g.
# telling open sockets that a message is gone): never announce what may yet roll back.
AfterCommit = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An item as moderation keeps it: what was decided on, whatever happens to it later.

    `text` is what detectors and moderators read (an article's title and body, a message's
    text); `context` is what a moderator needs around it (the conversation's previous
    messages, the moment a comment answers, the article's revision number); `url` is where
    the item lives for its readers, when it has a page."""

    surface: str
    ref_id: int
    author_id: int | None
    text: str
    media_ids: Sequence[int] = ()
    title: str = ""
    url: str | None = None
    public: bool = False
    context: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "surface": self.surface,
            "ref_id": self.ref_id,
            "author_id": self.author_id,
            "title": self.title,
            "text": self.text,
            "media_ids": list(self.media_ids),
            "url": self.url,
            "public": self.public,
            "context": self.context,
        }


@dataclass(frozen=True, slots=True)
class Surface:
    """One surface's callbacks. Each runs inside the caller's transaction.

    - `snapshot(session, ref_id)`: the item, or None when it does not exist.
    - `can_view(session, viewer_id, ref_id)`: whether this person may see the item now
      (reporting what one cannot see is a 404, like reading it).
    - `set_state(session, ref_id, state)`: hide ("held" / "removed") or restore (None); may
      return work to run after commit."""

    name: str
    snapshot: Callable[[AsyncSession, int], Awaitable[Snapshot | None]]
    can_view: Callable[[AsyncSession, int, int], Awaitable[bool]]
    set_state: Callable[[AsyncSession, int, ModerationState], Awaitable[AfterCommit | None]]


class Surfaces:
    """The registry, one per app (held by `plaza.moderation.setup.Moderation`)."""

    def __init__(self) -> None:
        self._surfaces: dict[str, Surface] = {}

    def register(self, surface: Surface) -> None:
        if surface.name in self._surfaces:
            raise ValueError(f"moderation surface {surface.name!r} is already registered")
        self._surfaces[surface.name] = surface

    def get(self, name: str) -> Surface:
        try:
            return self._surfaces[name]
        except KeyError:
            raise LookupError(f"no moderation surface {name!r} is registered") from None

    def __contains__(self, name: object) -> bool:
        return name in self._surfaces

    @property
    def names(self) -> list[str]:
        return sorted(self._surfaces)
