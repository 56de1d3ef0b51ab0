"""Password hashes follow the operator's parameters: raising them rehashes each password at its
owner's next sign-in (while the server has it), and the old hash keeps working until then."""

from __future__ import annotations

from sqlalchemy import select

from plaza.accounts.models import User
from plaza.accounts.passwords import Passwords
from plaza.accounts.service.sessions import log_in
from plaza.config import Settings
from tests.helpers import PASSWORD, register


async def _stored_hash(app, username: str) -> str:
    async with app.state.runtime.sessions() as session:
        return await session.scalar(select(User.password_hash).where(User.username == username))


async def test_raised_parameters_rehash_at_the_next_sign_in(app, client, clock) -> None:
    await register(client, "alice")
    before = await _stored_hash(app, "alice")
    assert "m=64,t=1,p=1" in before  # the suite's cheap parameters (tests/conftest.py)
    raised = Passwords(time_cost=2, memory_kib=128)
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        await log_in(session, passwords=raised, clock=clock, ttl_days=30, username="alice",
                     password=PASSWORD)  # fmt: skip
        await session.commit()
    after = await _stored_hash(app, "alice")
    assert "m=128,t=2,p=1" in after
    # Signing in again with the raised parameters changes nothing more.
    async with runtime.sessions() as session:
        await log_in(session, passwords=raised, clock=clock, ttl_days=30, username="alice",
                     password=PASSWORD)  # fmt: skip
        await session.commit()
    assert await _stored_hash(app, "alice") == after
    # And the password still opens the account through the API.
    answer = await client.post("/api/v1/sessions", json={"username": "alice", "password": PASSWORD})
    assert answer.status_code == 201, answer.text


def test_the_shipped_parameters_are_owasps_recommendation_or_stronger() -> None:
    """OWASP's Password Storage Cheat Sheet: argon2id with 19 MiB, 2 passes, parallelism 1."""
    shipped = Settings.model_fields
    memory, passes = shipped["argon2_memory_kib"].default, shipped["argon2_time_cost"].default
    assert memory >= 19 * 1024 and passes >= 2
