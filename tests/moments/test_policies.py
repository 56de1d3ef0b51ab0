"""The pure visibility rules, table-driven (plaza.moments.policies).

The world: the author A (id 1); F a friend of A's (2); S a stranger to A (3); B a friend A
blocked (4); R a friend who blocked A (5). Label 10 holds F; label 11 holds nobody here.
"""

from __future__ import annotations

import pytest

from plaza.moments.policies import (
    MomentFacts,
    ViewerFacts,
    can_delete_comment,
    can_interact,
    can_see_interaction,
    can_view_moment,
    hears_of,
    timeline_authors,
)

A, F, S, B, R, G = 1, 2, 3, 4, 5, 6
VIEWERS = {
    "author": ViewerFacts(A, friends={F, B, R}, blocked={B, R}, labels=set()),
    "friend": ViewerFacts(F, friends={A}, blocked=set(), labels={10}),
    "stranger": ViewerFacts(S, friends=set(), blocked=set(), labels=set()),
    "blocked by author": ViewerFacts(B, friends={A}, blocked={A}, labels={10}),
    "blocker of author": ViewerFacts(R, friends={A}, blocked={A}, labels=set()),
}


def moment(mode: str, users=(), labels=()) -> MomentFacts:
    return MomentFacts(A, mode, frozenset(users), frozenset(labels))


# mode, named users, named labels -> who sees it (author, friend, stranger, blocked, blocker)
VIEW_TABLE = [
    ("friends", (), (), (True, True, False, False, False)),
    ("private", (), (), (True, False, False, False, False)),
    ("only", (F,), (), (True, True, False, False, False)),
    ("only", (S,), (), (True, False, False, False, False)),
    ("only", (), (10,), (True, True, False, False, False)),
    ("only", (), (11,), (True, False, False, False, False)),
    ("only", (B, R), (10,), (True, True, False, False, False)),
    ("except", (F,), (), (True, False, False, False, False)),
    ("except", (), (10,), (True, False, False, False, False)),
    ("except", (), (11,), (True, True, False, False, False)),
    ("except", (S,), (), (True, True, False, False, False)),
]


@pytest.mark.parametrize(("mode", "users", "labels", "expected"), VIEW_TABLE)
def test_who_sees_a_moment(mode, users, labels, expected):
    facts = moment(mode, users, labels)
    got = tuple(can_view_moment(v, facts) for v in VIEWERS.values())
    assert got == expected


@pytest.mark.parametrize(
    ("mode", "preview", "expected"),
    [
        ("friends", True, True),
        ("friends", False, False),
        ("only", True, False),
        ("except", True, False),
        ("private", True, False),
    ],
)
def test_stranger_preview_shows_only_friends_moments_in_the_preview(mode, preview, expected):
    facts = moment(mode, (S,) if mode in ("only", "except") else ())
    assert can_view_moment(VIEWERS["stranger"], facts, in_stranger_preview=preview) is expected


def test_the_preview_never_lifts_a_block():
    facts = moment("friends")
    blocked = ViewerFacts(B, friends=set(), blocked={A}, labels=set())
    assert not can_view_moment(blocked, facts, in_stranger_preview=True)


@pytest.mark.parametrize(
    ("viewer", "preview", "expected"),
    [("author", False, True), ("friend", False, True), ("stranger", True, False)],
)
def test_interacting_needs_friendship_not_just_a_view(viewer, preview, expected):
    facts = moment("friends")
    assert can_view_moment(VIEWERS[viewer], facts, in_stranger_preview=preview)
    assert can_interact(VIEWERS[viewer], facts) is expected


# The viewer V (7) has friends A (the author), F; G is A's friend but not V's; B is V's friend
# V blocked.
V = 7
VIEWER = ViewerFacts(V, friends={A, F, B}, blocked={B}, labels=set())
INTERACTION_TABLE = [
    # actor, replied-to person -> seen
    (V, None, True),  # mine
    (F, None, True),  # a friend's
    (A, None, True),  # the author is a friend
    (G, None, False),  # not my friend
    (B, None, False),  # blocked
    (A, F, True),  # the author answering my friend
    (A, G, False),  # the author answering a stranger to me: not shown
    (F, G, False),  # my friend answering a stranger to me
    (G, F, False),  # a stranger to me answering my friend
    (F, V, True),  # my friend answering me
    (A, B, False),  # the author answering someone blocked
]


@pytest.mark.parametrize(("actor", "reply_to", "expected"), INTERACTION_TABLE)
def test_who_sees_a_like_or_comment(actor, reply_to, expected):
    assert can_see_interaction(VIEWER, actor_id=actor, reply_to_user_id=reply_to) is expected


@pytest.mark.parametrize(
    ("user", "commenter", "expected"),
    [(F, F, True), (A, F, True), (G, F, False), (F, A, False)],
)
def test_who_may_delete_a_comment(user, commenter, expected):
    assert can_delete_comment(user_id=user, commenter_id=commenter, moment_author_id=A) is expected


@pytest.mark.parametrize(
    ("recipient", "facts", "actor", "reply_to", "expected"),
    [
        # the author hears of a friend's like
        (VIEWERS["author"], moment("friends"), F, None, True),
        # ... not of their own
        (VIEWERS["author"], moment("friends"), A, None, False),
        # the person answered hears, if they still see the moment
        (VIEWERS["friend"], moment("friends"), A, F, True),
        (VIEWERS["friend"], moment("except", (F,)), A, F, False),
        # the author does not hear of a friend answering someone they blocked
        (VIEWERS["author"], moment("friends"), F, B, False),
    ],
)
def test_who_hears_of_it_live(recipient, facts, actor, reply_to, expected):
    assert hears_of(recipient, facts, actor_id=actor, reply_to_user_id=reply_to) is expected


def test_timeline_authors_are_me_and_friends_minus_blocks():
    assert timeline_authors(VIEWERS["author"]) == {A, F}
    assert timeline_authors(VIEWERS["blocked by author"]) == {B}
