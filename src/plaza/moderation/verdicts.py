"""What a surface hands to screening, and what it gets back.

A surface screens each new or edited item inside the transaction that writes it, after the
row has its id and before commit: `plaza.moderation.service.screening.screen(session,
moderation=..., content=Content(...))`. The verdict says which moderation state to store
with the item (`Verdict.state`), so held or removed content is never seen by anyone but its
author, not even for an instant; the decision, the case and the action are written in the
same transaction, so either all of it is there after a crash or none of it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from plaza.moderation.surfaces import AfterCommit, ModerationState

Outcome = Literal["allow", "hold", "remove", "restrict"]


@dataclass(frozen=True, slots=True)
class Content:
    """An item to screen. `public` is true for what reaches beyond a chosen few (moments,
    comments, articles, profiles, public accounts); private messages get the spam checks and
    known-hash picture matching only, unless the operator's settings say otherwise.
    `strangers` counts the recipients who are not the author's friends (spam: a brand-new
    account messaging many strangers)."""

    surface: str
    ref_id: int
    author_id: int
    text: str
    media_ids: Sequence[int] = ()
    public: bool = False
    strangers: int = 0


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    policy_id: str | None = None
    clause: int | None = None
    decision_id: int | None = None
    # What must follow the commit (a surface retracting an edited item others had seen).
    after_commit: tuple[AfterCommit, ...] = ()

    def with_work(self, work: Iterable[AfterCommit]) -> Verdict:
        return replace(self, after_commit=tuple(work))

    async def announce(self) -> None:
        """Run once the surface's transaction has committed."""
        for work in self.after_commit:
            await work()

    @property
    def state(self) -> ModerationState:
        """The moderation state the surface stores with the item."""
        if self.outcome == "hold":
            return "held"
        if self.outcome in ("remove", "restrict"):
            return "removed"
        return None


ALLOW = Verdict("allow")


def titled(title: str, body: str) -> str:
    """The text screened of an item with a title (an article; a public account's name and
    description): the title, a blank line, the body. One definition, so that the
    pre-publication check reads exactly what publishing screens."""
    return f"{title}\n\n{body}"
