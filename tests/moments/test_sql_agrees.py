"""The timeline's SQL (plaza.moments.service.queries) and the rule
(plaza.moments.policies.can_view_moment) agree, on generated worlds: random friendships,
blocks both ways, labels with random members, moments of every mode naming random people and
labels (anyone's, to cover more than the API allows), some held or removed by moderation. A
seeded generator, so a failure names its world and reproduces."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import delete, insert

from plaza.accounts.models import Block, FriendLabel, FriendLabelMember, Friendship, User
from plaza.moments.models import MODES, Moment, MomentAudienceLabel, MomentAudienceUser
from plaza.moments.policies import can_view_moment
from plaza.moments.service import queries
from plaza.moments.service.facts import moment_facts, viewer_facts

WORLDS = 12
PEOPLE = 9
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _world(rng: random.Random) -> dict[str, list[dict]]:
    ids = list(range(1, PEOPLE + 1))
    rows: dict[str, list[dict]] = {"friendships": [], "blocks": [], "labels": [], "members": []}
    for a in ids:
        for b in ids:
            if a < b and rng.random() < 0.5:
                rows["friendships"] += [
                    {"user_id": a, "friend_id": b, "created_at": NOW},
                    {"user_id": b, "friend_id": a, "created_at": NOW},
                ]
            if a != b and rng.random() < 0.08:
                rows["blocks"].append({"blocker_id": a, "blocked_id": b, "created_at": NOW})
    for label_id in range(1, 7):
        rows["labels"].append(
            {"id": label_id, "owner_id": rng.choice(ids), "name": f"l{label_id}", "created_at": NOW}
        )
        for member in rng.sample(ids, rng.randint(0, 4)):
            rows["members"].append({"label_id": label_id, "user_id": member})
    rows["moments"], rows["users"], rows["audience_labels"] = [], [], []
    for moment_id in range(1, 61):
        mode = rng.choice(MODES)
        rows["moments"].append(
            {
                "id": moment_id,
                "author_id": rng.choice(ids),
                "text": "",
                "visibility": mode,
                "created_at": NOW,
                "moderation": rng.choice((None, None, None, "held", "removed")),
            }
        )
        if mode in ("only", "except") or rng.random() < 0.1:  # stray lists must not matter
            for user_id in rng.sample(ids, rng.randint(0, 3)):
                rows["users"].append({"moment_id": moment_id, "user_id": user_id})
            for label_id in rng.sample(range(1, 7), rng.randint(0, 2)):
                rows["audience_labels"].append({"moment_id": moment_id, "label_id": label_id})
    return rows


TABLES = (
    ("friendships", Friendship),
    ("blocks", Block),
    ("labels", FriendLabel),
    ("members", FriendLabelMember),
    ("moments", Moment),
    ("users", MomentAudienceUser),
    ("audience_labels", MomentAudienceLabel),
)


async def test_timeline_sql_agrees_with_the_rule(app):
    sessions = app.state.runtime.sessions
    async with sessions() as session:
        await session.execute(
            insert(User),
            [
                {
                    "id": i,
                    "username": f"p{i}x",
                    "display_name": f"P{i}",
                    "password_hash": "-",
                    "role": "member",
                    "status": "active",
                    "created_at": NOW,
                }
                for i in range(1, PEOPLE + 1)
            ],
        )
        await session.commit()
    checked = 0
    for seed in range(WORLDS):
        rows = _world(random.Random(seed))
        async with sessions() as session:
            for _, model in reversed(TABLES):
                await session.execute(delete(model))
            for key, model in TABLES:
                if rows[key]:
                    await session.execute(insert(model), rows[key])
            await session.commit()
            every = [Moment(**m) for m in rows["moments"]]
            facts = await moment_facts(session, every)
            for viewer_id in range(1, PEOPLE + 1):
                viewer = await viewer_facts(session, viewer_id)
                by_rule = sorted(
                    (m.id for m in every if can_view_moment(viewer, facts[m.id])), reverse=True
                )
                dialect = session.get_bind().dialect.name
                query = queries.timeline_query(viewer, before=None, limit=1000, dialect=dialect)
                by_sql = [row.id for row in await session.execute(*query)]
                assert by_sql == by_rule, f"world {seed}, viewer {viewer_id}"
                for author_id in range(1, PEOPLE + 1):
                    if author_id in viewer.blocked:
                        continue  # decided before the query (reading.person_moments)
                    query = queries.person_query(
                        viewer, author_id, before=None, limit=1000, dialect=dialect
                    )
                    by_sql = [row.id for row in await session.execute(*query)]
                    preview = {m.id for m in every if m.author_id == author_id}
                    by_rule = sorted(
                        (
                            m.id
                            for m in every
                            if m.author_id == author_id
                            and can_view_moment(viewer, facts[m.id], in_stranger_preview=True)
                            and m.id in preview
                        ),
                        reverse=True,
                    )
                    assert by_sql == by_rule, f"world {seed}, {viewer_id} on {author_id}'s page"
                    checked += 1
    assert checked > WORLDS * PEOPLE * 4  # the worlds were not all blocks
