"""Who sees what of moments: every visibility decision of the domain, as pure predicates.

The timeline, a person's page, a single moment, a picture's access check and the stream's
events all decide with these functions; the timeline's SQL only narrows the rows first
(plaza.moments.service.queries) and a test proves it agrees with `can_view_moment` on
generated worlds.

The rules (WeChat's):
- The author sees all their moments.
- Anyone blocked by the author, or who blocked the author, sees nothing of theirs.
- A friend of the author sees a moment by its mode: "friends" yes; "only" if named in its
  list, in person or through one of its labels; "except" unless so named; "private" no.
  Labels are read when the moment is shown, not when it was posted: moving someone out of
  a label (or unfriending them) hides at once what the rule hides.
- A stranger sees nothing, unless the operator allows a preview
  (PLAZA_MOMENTS_STRANGER_PREVIEW = N): then the author's latest N "friends" moments.
- A moment or comment held or removed by moderation is its author's alone (they see it
  marked); for everyone else it is not there.
- Likes and comments: a viewer sees those of people who are themselves or their own friends
  (never of someone blocked either way); a reply is shown only when the person it answers
  passes the same test, so the author's replies appear inside the threads the viewer can see
  and nobody learns of a stranger through a reply's "to".
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MomentFacts:
    """What the rules need to know about one moment."""

    author_id: int
    mode: str  # friends | only | except | private
    users: frozenset[int] = frozenset()  # people named in the list
    labels: frozenset[int] = frozenset()  # labels named in the list
    moderation: str | None = None  # "held" or "removed" by moderation


@dataclass(frozen=True, slots=True)
class ViewerFacts:
    """What the rules need to know about the person looking.

    `friends`: the viewer's friends. `blocked`: people the viewer blocked or who blocked the
    viewer. `labels`: the ids of every label (anyone's) the viewer is in."""

    user_id: int
    friends: Set[int]
    blocked: Set[int]
    labels: Set[int]


def _named(moment: MomentFacts, viewer: ViewerFacts) -> bool:
    """Whether the moment's list names the viewer, in person or through a label."""
    if viewer.user_id in moment.users:
        return True
    return not moment.labels.isdisjoint(viewer.labels)


def can_view_moment(
    viewer: ViewerFacts, moment: MomentFacts, *, in_stranger_preview: bool = False
) -> bool:
    """Whether `viewer` may see `moment`. `in_stranger_preview`: the moment is among the
    author's latest "friends" moments a stranger may preview (false when the setting is 0)."""
    author = moment.author_id
    if viewer.user_id == author:
        return True
    if moment.moderation is not None:
        return False
    if author in viewer.blocked:
        return False
    if author not in viewer.friends:
        return in_stranger_preview and moment.mode == "friends"
    if moment.mode == "friends":
        return True
    if moment.mode == "only":
        return _named(moment, viewer)
    if moment.mode == "except":
        return not _named(moment, viewer)
    return False


def can_interact(viewer: ViewerFacts, moment: MomentFacts) -> bool:
    """Whether `viewer` may like or comment on `moment`: they may see it as its author or a
    friend (a stranger's preview is for looking only)."""
    if viewer.user_id != moment.author_id and moment.author_id not in viewer.friends:
        return False
    return can_view_moment(viewer, moment)


def _known(viewer: ViewerFacts, person_id: int) -> bool:
    """The viewer themself, or a friend of theirs neither side has blocked."""
    if person_id == viewer.user_id:
        return True
    return person_id in viewer.friends and person_id not in viewer.blocked


def can_see_interaction(
    viewer: ViewerFacts,
    *,
    actor_id: int,
    reply_to_user_id: int | None = None,
    moderation: str | None = None,
) -> bool:
    """Whether `viewer` (who may see the moment) sees a like or comment by `actor_id`, which
    may answer a comment by `reply_to_user_id`; a comment `moderation` held or removed is
    its writer's alone."""
    if moderation is not None and actor_id != viewer.user_id:
        return False
    if not _known(viewer, actor_id):
        return False
    return reply_to_user_id is None or _known(viewer, reply_to_user_id)


def can_delete_comment(*, user_id: int, commenter_id: int, moment_author_id: int) -> bool:
    """The commenter may delete their comment, and so may the moment's author (as in
    WeChat: the author keeps their own moment tidy)."""
    return user_id in (commenter_id, moment_author_id)


def hears_of(
    recipient: ViewerFacts,
    moment: MomentFacts,
    *,
    actor_id: int,
    reply_to_user_id: int | None = None,
    moderation: str | None = None,
) -> bool:
    """Whether `recipient` (the moment's author or the person replied to) is told live of a
    like or comment: only if they could see the moment and the interaction themselves, and
    not of their own doing."""
    if recipient.user_id == actor_id:
        return False
    if not can_view_moment(recipient, moment):
        return False
    return can_see_interaction(
        recipient, actor_id=actor_id, reply_to_user_id=reply_to_user_id, moderation=moderation
    )


def timeline_authors(viewer: ViewerFacts) -> set[int]:
    """Whose moments can appear on the viewer's timeline: their own and their friends',
    minus anyone blocked either way."""
    return ({viewer.user_id} | set(viewer.friends)) - set(viewer.blocked)
