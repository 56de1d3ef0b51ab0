"""`plaza audit verify` as an operator runs it, on the test's database: an intact chain exits 0
with its count; a row whose details were edited with raw SQL, or a deleted row, exits 1
naming the entry where the chain breaks. And the operator's own commands that change a
person's role or status are in the log, with no actor (the command line)."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import select, text

from plaza.config import Settings
from plaza.moderation.models import AuditEntry
from plaza.runtime import Runtime
from tests import helpers
from tests.moderation.helpers import staff
from tests.processes import plaza_command

pytestmark = pytest.mark.slow


plaza = plaza_command


def said(result: subprocess.CompletedProcess[str]) -> str:
    return " ".join(result.stderr.split())


async def _rows(runtime: Runtime) -> list[AuditEntry]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def test_verify_finds_an_edited_and_a_deleted_entry(app, client, settings: Settings) -> None:
    runtime: Runtime = app.state.runtime
    empty = plaza(settings, "audit", "verify")
    assert empty.returncode == 0, empty.stderr
    assert "0 entries, chain intact" in said(empty)

    moderator = await staff(app, client, "verify_mod")
    for term in ("first", "second", "third", "fourth"):
        listed = await client.post(
            "/api/v1/moderation/terms",
            json={"policy_id": "spam", "clause": 1, "term": f"{term} term"},
            headers=moderator,
        )
        assert listed.status_code == 201, listed.text
    intact = plaza(settings, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert "4 entries, chain intact" in said(intact)

    rows = await _rows(runtime)
    async with runtime.engine.begin() as connection:
        await connection.execute(
            text("UPDATE moderation_audit SET details = :d WHERE id = :id"),
            {"d": '{"policy_id": "spam", "clause": 1, "term": "harmless"}', "id": rows[2].id},
        )
    edited = plaza(settings, "audit", "verify")
    assert edited.returncode == 1
    assert f"The chain is broken at entry {rows[2].id} (terms.add" in said(edited)
    assert "does not match its contents" in said(edited)

    async with runtime.engine.begin() as connection:
        await connection.execute(
            text("UPDATE moderation_audit SET details = :d WHERE id = :id"),
            {
                "d": '{"policy_id": "spam", "clause": 1, "term": "third term", "exception": false}',
                "id": rows[2].id,
            },
        )
    assert plaza(settings, "audit", "verify").returncode == 0  # put back as it was

    async with runtime.engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM moderation_audit WHERE id = :id"), {"id": rows[1].id}
        )
    deleted = plaza(settings, "audit", "verify")
    assert deleted.returncode == 1
    assert f"The chain is broken at entry {rows[2].id}" in said(deleted)
    assert f"does not link to entry {rows[0].id}" in said(deleted)


async def test_the_operators_role_and_status_changes_are_audited(
    app, client, settings: Settings
) -> None:
    runtime: Runtime = app.state.runtime
    created = plaza(
        settings,
        "user",
        "create",
        "op_made",
        "--role",
        "moderator",
        "--password-stdin",
        stdin=helpers.PASSWORD,
    )
    assert created.returncode == 0, created.stderr
    promoted = plaza(settings, "user", "role", "op_made", "admin")
    assert promoted.returncode == 0, promoted.stderr
    assert "op_made is now admin" in said(promoted)
    suspended = plaza(settings, "user", "status", "op_made", "suspended")
    assert suspended.returncode == 0, suspended.stderr

    # Refused: nothing changes and nothing is logged.
    wrong = plaza(settings, "user", "role", "op_made", "emperor")
    assert wrong.returncode == 1 and "role must be one of" in said(wrong)
    nobody = plaza(settings, "user", "role", "nobody_here", "admin")
    assert nobody.returncode == 1 and "no user called" in said(nobody)
    taken = plaza(settings, "user", "create", "op_made", "--password-stdin", stdin=helpers.PASSWORD)
    assert taken.returncode == 1

    rows = await _rows(runtime)
    assert [(r.verb, r.actor_id, r.target, r.details) for r in rows] == [
        ("user.create", None, "user:op_made", {"username": "op_made", "role": "moderator"}),
        ("user.role", None, "user:op_made", {"role": "admin", "previous": "moderator"}),
        ("user.status", None, "user:op_made", {"status": "suspended", "previous": "active"}),
    ]
    # The admin reads them in the log, as the operator's (no actor).
    admin = await staff(app, client, "role_reader", role="admin")
    log = await client.get("/api/v1/moderation/audit?target=user:op_made", headers=admin)
    assert [(e["verb"], e["actor"]) for e in log.json()["items"]] == [
        ("user.status", None),
        ("user.role", None),
        ("user.create", None),
    ]
    verified = plaza(settings, "audit", "verify")
    assert verified.returncode == 0 and "3 entries, chain intact" in said(verified)
