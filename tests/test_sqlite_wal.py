"""The SQLite write-ahead log stays small while the server writes, and erased text leaves it.

Issue #6 item 3: on a fresh data dir the WAL grew to 1.1 GB and plaza.db was never written,
because the checkpointer's connection had been opened before the database was in WAL mode
and every checkpoint it ran was a no-op. These tests drive the checkpointer deterministically
(`checkpoint()` runs one tick now) instead of waiting for its timer.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from plaza.accounts.service.users import get_user
from plaza.chat.service.sending import Draft
from plaza.config import Settings
from plaza.sqlite_checkpoint import Checkpointer, NotInWalMode
from tests.conftest import running_app
from tests.helpers import befriend, group, register, send

MiB = 1024 * 1024
MESSAGES = 50_000
IN_FLIGHT = 256  # sends awaited together (the batcher commits up to 64 per transaction)
TICK_EVERY = 1024  # messages between two checkpointer ticks; about 1 MiB of WAL
# The WAL never exceeds its size limit by more than what is written between two ticks.
WAL_BOUND = 4 * MiB + 2 * MiB


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _manual(settings: Settings, **update) -> Settings:
    """Settings whose checkpointer timer never fires, so the test runs every tick."""
    return settings.model_copy(update={"sqlite_checkpoint_seconds": 3600.0, **update})


async def _alice_and_group(app) -> tuple[httpx.AsyncClient, dict, int, int]:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://plaza.test")
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    await befriend(client, bob, alice, "alice")
    conversation = await group(client, alice, ["bob"])
    async with app.state.runtime.sessions() as session:
        alice_id = (await get_user(session, username="alice")).id
    return client, alice, alice_id, conversation["id"]


@pytest.mark.slow
async def test_wal_stays_bounded_and_the_database_grows_over_50k_messages(sqlite_settings):
    settings = _manual(sqlite_settings)
    db = settings.sqlite_path()
    wal = db.with_name(db.name + "-wal")
    async with running_app(settings) as app:
        checkpointer = app.state.sqlite_checkpointer
        # A server's first tick comes before its first request (it idles for a second).
        await checkpointer.checkpoint()
        client, _, alice_id, conversation_id = await _alice_and_group(app)
        await client.aclose()
        sends = app.state.runtime.chat_sends
        db_before = _size(db)
        largest = 0
        started = time.monotonic()
        for first in range(0, MESSAGES, IN_FLIGHT):
            await asyncio.gather(
                *(
                    sends.send(Draft(alice_id, conversation_id, f"m{n}", f"message number {n}"))
                    for n in range(first, first + IN_FLIGHT)
                    if n < MESSAGES
                )
            )
            largest = max(largest, _size(wal))
            assert largest <= WAL_BOUND, f"WAL {largest / MiB:.1f} MiB after {first} messages"
            if (first + IN_FLIGHT) % TICK_EVERY == 0:
                for checkpoint in await checkpointer.checkpoint():
                    assert checkpoint.log >= 0, checkpoint  # the checkpointer sees the WAL
            if first == MESSAGES // 2 - MESSAGES // 2 % IN_FLIGHT:
                assert _size(db) > db_before + MiB, "checkpoints copy the WAL while writing"
        elapsed = time.monotonic() - started
        await checkpointer.checkpoint()
        largest = max(largest, _size(wal))
        db_after = _size(db)
    print(
        f"{MESSAGES} messages in {elapsed:.1f} s: largest WAL {largest / MiB:.2f} MiB, "
        f"plaza.db {db_before / MiB:.2f} -> {db_after / MiB:.2f} MiB"
    )
    assert largest <= WAL_BOUND
    assert db_after > db_before + 4 * MiB


@pytest.mark.parametrize(
    "words",
    [
        60,  # in the row's page; long enough that a shorter row written over it cannot
        # cover it all by chance
        520,  # 4.7 kB of UTF-8: partly in overflow pages, which the recall frees
    ],
)
async def test_recalled_text_is_gone_from_the_wal_and_the_database_after_a_truncate(
    sqlite_settings, words
):
    settings = _manual(sqlite_settings)
    db = settings.sqlite_path()
    wal = db.with_name(db.name + "-wal")
    secret = "the launch code is 0451-hunter2-zebra; " + " ".join(
        f"wöö{n:03}" for n in range(words)
    )
    pieces = [secret[i : i + 16].encode() for i in range(0, len(secret) - 16, 8)]
    async with running_app(settings) as app:
        checkpointer = app.state.sqlite_checkpointer
        client, alice, _, conversation_id = await _alice_and_group(app)
        message = await send(client, alice, conversation_id, secret, "c-secret")
        await send(client, alice, conversation_id, "something else", "c-other")
        # A PASSIVE checkpoint copies the text into plaza.db and leaves it in the WAL file.
        [passive] = await checkpointer.checkpoint(truncate=False)
        assert passive.complete
        assert pieces[0] in wal.read_bytes()
        recalled = await client.delete(
            f"/api/v1/conversations/{conversation_id}/messages/{message['id']}", headers=alice
        )
        assert recalled.status_code == 204, recalled.text
        done = await checkpointer.checkpoint(truncate=True)
        assert [c.mode for c in done] == ["PASSIVE", "TRUNCATE"] and done[-1].complete, done
        assert _size(wal) == 0
        # secure_delete=ON: the row's old bytes and its freed overflow pages were zeroed, not
        # left in free space (without it the short text is found; with FAST, the long one).
        content = db.read_bytes()
        assert not [piece for piece in pieces if piece in content]
        # The recall is stored.
        page = await client.get(
            f"/api/v1/conversations/{conversation_id}/messages?after_seq=0", headers=alice
        )
        texts = [m["text"] for m in page.json()["items"]]
        assert secret not in texts and "something else" in texts
        await client.aclose()


async def test_the_truncate_is_periodic(sqlite_settings):
    settings = _manual(sqlite_settings, sqlite_wal_truncate_seconds=0.001)
    wal = settings.sqlite_path().with_name("plaza.db-wal")
    async with running_app(settings) as app:
        checkpointer = app.state.sqlite_checkpointer
        client, alice, _, conversation_id = await _alice_and_group(app)
        await send(client, alice, conversation_id, "hello", "c1")
        await client.aclose()
        assert _size(wal) > 0
        # Due (0.001 s since the last one) and the WAL is not empty: this tick truncates.
        done = await checkpointer.checkpoint()
        assert [c.mode for c in done] == ["PASSIVE", "TRUNCATE"], done
        assert _size(wal) == 0


async def test_the_timer_runs_checkpoints(sqlite_settings):
    settings = sqlite_settings.model_copy(update={"sqlite_checkpoint_seconds": 0.01})
    async with running_app(settings) as app:
        checkpointer = app.state.sqlite_checkpointer
        client, alice, _, conversation_id = await _alice_and_group(app)
        await send(client, alice, conversation_id, "hello", "c1")
        await client.aclose()
        seen = checkpointer.ticks
        deadline = time.monotonic() + 30
        while checkpointer.ticks < seen + 2:  # a liveness check, not a timing assertion
            assert time.monotonic() < deadline, "the checkpoint task does not run"
            await asyncio.sleep(0.01)
        assert all(c.log >= 0 for c in checkpointer.last)


def test_a_connection_opened_before_wal_mode_is_replaced(tmp_path: Path):
    """The root cause: a connection first used on a rollback-journal database never notices
    that another connection switched it to WAL (`PRAGMA wal_checkpoint` starts no transaction,
    so it never rereads the header), and answers every checkpoint with (0, -1, -1)."""
    path = tmp_path / "plaza.db"
    setup = sqlite3.connect(path)  # a freshly migrated database: rollback journal
    setup.execute("CREATE TABLE t (x TEXT)")
    setup.commit()
    setup.close()
    checkpointer = Checkpointer(path)
    with pytest.raises(NotInWalMode):  # nothing to do yet, and no connection kept
        checkpointer.run_once()
    assert checkpointer._conn is None
    # Like the old checkpointer: a connection already in use before the switch.
    checkpointer._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    checkpointer._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    server = sqlite3.connect(path, isolation_level=None)
    server.execute("PRAGMA journal_mode=WAL")
    server.execute("PRAGMA wal_autocheckpoint=0")
    for n in range(200):
        server.execute("INSERT INTO t VALUES (?)", (f"row {n} " * 20,))
    with pytest.raises(NotInWalMode):  # the stale connection is found out and dropped...
        checkpointer.run_once()
    assert checkpointer._conn is None
    [passive] = checkpointer.run_once(truncate=False)  # ...and the next tick works
    assert passive.log > 0 and passive.complete, passive
    assert checkpointer.run_once(truncate=True)[-1].mode == "TRUNCATE"
    assert (tmp_path / "plaza.db-wal").stat().st_size == 0
    server.close()
