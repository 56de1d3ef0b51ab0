"""The audit log's hash chain: every entry links to the one before it and hashes its own
fields; an edited or deleted row is found by the walk, naming the entry; entries from before
the chain are skipped as unchained; concurrent appends never fork the chain."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from sqlalchemy import select, text

from plaza.moderation.models import AuditEntry
from plaza.moderation.service import audit, audit_chain
from plaza.runtime import Runtime
from tests.moderation.helpers import case_of, claim, member, report, staff


async def _steps(app: FastAPI, client, count: int) -> None:
    """`count` audited steps: listing keywords through the API."""
    moderator = await staff(app, client, "chain_mod")
    for n in range(count):
        listed = await client.post(
            "/api/v1/moderation/terms",
            json={"policy_id": "spam", "clause": 1, "term": f"chained term {n}"},
            headers=moderator,
        )
        assert listed.status_code == 201, listed.text


async def _rows(runtime: Runtime) -> list[AuditEntry]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def _verify(runtime: Runtime) -> audit_chain.Verdict:
    async with runtime.sessions() as session:
        return await audit_chain.verify(session)


async def test_each_entry_links_to_the_one_before(app: FastAPI, client) -> None:
    runtime: Runtime = app.state.runtime
    await _steps(app, client, 3)
    rows = await _rows(runtime)
    assert [r.verb for r in rows] == ["terms.add"] * 3
    assert rows[0].prev_hash is None
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert all(r.hash == audit_chain.digest(r) for r in rows)
    assert await _verify(runtime) == audit_chain.Verdict(entries=3, unchained=0, broken=None)


async def test_an_edited_entry_is_named(app: FastAPI, client) -> None:
    runtime: Runtime = app.state.runtime
    await _steps(app, client, 4)
    second = (await _rows(runtime))[1]
    async with runtime.engine.begin() as connection:
        await connection.execute(
            text("UPDATE moderation_audit SET details = :d WHERE id = :id"),
            {"d": '{"policy_id": "spam", "clause": 1, "term": "nothing to see"}', "id": second.id},
        )
    verdict = await _verify(runtime)
    assert verdict.broken is not None
    assert verdict.broken.entry_id == second.id
    assert "does not match its contents" in verdict.broken.reason


async def test_a_deleted_entry_breaks_the_link_of_the_next(app: FastAPI, client) -> None:
    runtime: Runtime = app.state.runtime
    await _steps(app, client, 4)
    rows = await _rows(runtime)
    async with runtime.engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM moderation_audit WHERE id = :id"), {"id": rows[1].id}
        )
    verdict = await _verify(runtime)
    assert verdict.broken is not None
    assert verdict.broken.entry_id == rows[2].id
    assert f"does not link to entry {rows[0].id}" in verdict.broken.reason


async def test_entries_from_before_the_chain_are_skipped_as_unchained(app: FastAPI, client) -> None:
    runtime: Runtime = app.state.runtime
    async with runtime.engine.begin() as connection:
        for n in range(2):
            await connection.execute(
                text(
                    "INSERT INTO moderation_audit (verb, target, details, created_at) "
                    "VALUES ('terms.add', :target, '{}', :at)"
                ),
                {"target": f"term:{900 + n}", "at": runtime.clock.now()},
            )
    await _steps(app, client, 2)
    rows = await _rows(runtime)
    assert [r.hash is None for r in rows] == [True, True, False, False]
    assert rows[2].prev_hash is None  # the chain starts after them
    assert await _verify(runtime) == audit_chain.Verdict(entries=4, unchained=2, broken=None)


async def test_a_rolled_back_step_leaves_no_entry(app: FastAPI) -> None:
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        audit.record(
            session,
            clock=runtime.clock,
            actor_id=None,
            verb="user.role",
            target="user:x",
            details={},
        )
        await session.rollback()
        await session.commit()
    assert await _rows(runtime) == []


async def test_concurrent_appends_do_not_fork_the_chain(app: FastAPI) -> None:
    """Many transactions recording at once (PostgreSQL: each on its own connection): one
    chain, in id order, every prev_hash used once."""
    runtime: Runtime = app.state.runtime

    async def step(n: int) -> None:
        async with runtime.sessions() as session:
            for part in range(2):
                audit.record(
                    session,
                    clock=runtime.clock,
                    actor_id=None,
                    verb="terms.add",
                    target=f"term:{n}",
                    details={"part": part},
                )
            await session.commit()

    await asyncio.gather(*(step(n) for n in range(12)))
    rows = await _rows(runtime)
    assert len(rows) == 24
    assert len({r.prev_hash for r in rows}) == 24
    # A transaction's two entries are next to each other.
    assert all(rows[i].target == rows[i + 1].target for i in range(0, 24, 2))
    assert (await _verify(runtime)).broken is None


async def test_the_verify_walk_streams_in_batches(app: FastAPI, client, monkeypatch) -> None:
    runtime: Runtime = app.state.runtime
    monkeypatch.setattr(audit_chain, "VERIFY_BATCH", 2)
    await _steps(app, client, 5)
    seen: list[int] = []
    async with runtime.sessions() as session:
        verdict = await audit_chain.verify(session, total=seen.append, progress=seen.append)
    assert verdict == audit_chain.Verdict(entries=5, unchained=0, broken=None)
    assert seen == [5, 2, 2, 1]


async def test_a_claim_and_its_release_chain_like_any_step(app: FastAPI, client) -> None:
    runtime: Runtime = app.state.runtime
    moderator = await staff(app, client, "release_chain_mod")
    reporter, _ = await member(client, "chain_reporter")
    _, person = await member(client, "chain_subject")
    assert (await report(client, reporter, "user", person, "spam")).status_code == 201
    case = await case_of(client, moderator, "user", person)
    assert (await claim(client, moderator, case["id"])).status_code == 200
    released = await client.post(
        f"/api/v1/moderation/cases/{case['id']}/release", headers=moderator
    )
    assert released.status_code == 200, released.text
    rows = await _rows(runtime)
    assert [r.verb for r in rows] == ["case.claim", "case.release"]
    assert rows[1].prev_hash == rows[0].hash
    assert (await _verify(runtime)).broken is None
