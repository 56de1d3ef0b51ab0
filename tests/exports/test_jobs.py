"""Export jobs through the API: one unfinished export per person (two asked at once: one
409), the daily limit, suspended and closed accounts, someone else's export, expiry and the
sweep that deletes expired zips, and builds taken up again after a crash or a stop."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from plaza.accounts.service import users
from plaza.accounts.service.status import set_status
from plaza.config import Settings
from plaza.exports.models import Export
from plaza.exports.runner import exports_of
from plaza.exports.service import archive
from plaza.runtime import Runtime
from tests.conftest import running_app
from tests.exports.helpers import API, export_zip, files_of, finished, start
from tests.helpers import log_in, register
from tests.media.pictures import save, two_halves


async def test_one_unfinished_export_per_person_even_asked_twice_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    alice = await register(client, "alice")
    # Hold this process's one build at a time: the exports stay queued meanwhile.
    async with exports_of(app).lock:
        first, second = await asyncio.gather(
            client.post(f"{API}/exports", headers=alice),
            client.post(f"{API}/exports", headers=alice),
        )
        assert sorted([first.status_code, second.status_code]) == [202, 409]
        accepted, refused = sorted((first, second), key=lambda a: a.status_code)
        assert refused.json()["error"]["code"] == "export_running"
        queued = accepted.json()
        assert queued["state"] == "queued" and queued["download_url"] is None
        assert {"id", "done_steps", "total_steps", "created_at"} <= queued.keys()
        again = await client.post(f"{API}/exports", headers=alice)
        assert again.status_code == 409
        early = await client.get(f"{API}/exports/{queued['id']}/download", headers=alice)
        assert early.status_code == 409 and early.json()["error"]["code"] == "export_not_ready"
    done = await finished(client, alice, queued["id"])
    assert done["state"] == "done" and done["done_steps"] == done["total_steps"] > 0
    assert done["download_url"] == f"/api/v1/exports/{queued['id']}/download"
    # Done, so another may start; the list is newest first.
    newer = await start(client, alice)
    listed = await client.get(f"{API}/exports", headers=alice)
    assert [e["id"] for e in listed.json()["items"]] == [newer["id"], queued["id"]]
    await finished(client, alice, newer["id"])


async def test_someone_elses_export_is_not_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    alice = await register(client, "alice")
    bob = await register(client, "bob")
    export = await finished(client, alice, (await start(client, alice))["id"])
    for path in (f"{API}/exports/{export['id']}", f"{API}/exports/{export['id']}/download"):
        answer = await client.get(path, headers=bob)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    assert (await client.get(f"{API}/exports", headers=bob)).json()["items"] == []


async def test_past_the_daily_limit_a_429_with_retry_after(settings: Settings, clock) -> None:
    limited = settings.model_copy(update={"exports_per_day": "2/86400"})
    async with running_app(limited, clock) as app, _client(app) as client:
        alice = await register(client, "alice")
        for _ in range(2):
            await finished(client, alice, (await start(client, alice))["id"])
        refused = await client.post(f"{API}/exports", headers=alice)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        assert 0 < int(refused.headers["Retry-After"]) <= 86400
        # Nothing was queued, and someone else has a budget of their own.
        listed = await client.get(f"{API}/exports", headers=alice)
        assert len(listed.json()["items"]) == 2
        bob = await register(client, "bob")
        await finished(client, bob, (await start(client, bob))["id"])


@pytest.mark.parametrize("status", ["suspended", "closed"])
async def test_suspended_and_closed_accounts_export_too(
    app: FastAPI, client: httpx.AsyncClient, status: str
) -> None:
    alice = await register(client, "alice")
    said = await client.post(f"{API}/moments", json={"text": "mkBeforeStatus"}, headers=alice)
    assert said.status_code == 201
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        user = await users.get_user(session, username="alice")
        await set_status(session, clock=runtime.clock, bus=runtime.bus, user=user, status=status)
    alice = await log_in(client, "alice")
    # Their writes are refused...
    refused = await client.post(f"{API}/moments", json={"text": "more"}, headers=alice)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == f"account_{status}"
    # ...their export is not.
    files = await export_zip(client, alice)
    assert b"mkBeforeStatus" in files["moments.json"]
    assert f'"status": "{status}"'.encode() in files["profile.json"]


async def test_an_expired_zip_is_gone_and_the_sweep_deletes_it(
    app: FastAPI, client: httpx.AsyncClient, clock, settings: Settings
) -> None:
    alice = await register(client, "alice")
    export = await finished(client, alice, (await start(client, alice))["id"])
    kept = await client.get(export["download_url"], headers=alice)
    assert kept.status_code == 200
    zips = list((settings.data_dir / "exports").glob("*.zip"))
    assert len(zips) == 1

    clock.advance(timedelta(days=settings.export_keep_days, seconds=1).total_seconds())
    gone = await client.get(f"{API}/exports/{export['id']}/download", headers=alice)
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "export_expired"
    shown = (await client.get(f"{API}/exports/{export['id']}", headers=alice)).json()
    assert shown["state"] == "done" and shown["download_url"] is None

    assert await exports_of(app).builder.sweep(settings.export_keep_days) == 1
    assert not zips[0].exists()
    shown = (await client.get(f"{API}/exports/{export['id']}", headers=alice)).json()
    assert shown["state"] == "done"
    gone = await client.get(f"{API}/exports/{export['id']}/download", headers=alice)
    assert gone.status_code == 410


async def test_an_export_left_running_by_a_crash_is_built_again_at_start_up(
    settings: Settings, clock
) -> None:
    async with running_app(settings, clock) as app, _client(app) as client:
        alice = await register(client, "alice")
        said = await client.post(f"{API}/moments", json={"text": "mkWrittenBefore"}, headers=alice)
        assert said.status_code == 201
        # What a process killed mid-build leaves: a row still "running" and half a zip. (This
        # process builds only what its API queues or what it found at start-up: it leaves
        # the row alone, as the crashed one would.)
        runtime: Runtime = app.state.runtime
        async with runtime.sessions() as session:
            user = await users.get_user(session, username="alice")
            crashed = Export(
                user_id=user.id,
                state="running",
                attempts=1,
                done_steps=3,
                total_steps=8,
                created_at=clock.now(),
                started_at=clock.now(),
            )
            session.add(crashed)
            await session.commit()
            crashed_id = crashed.id
        half = settings.data_dir / "exports" / f"export-{crashed_id}-1.zip.part"
        half.parent.mkdir(parents=True, exist_ok=True)
        half.write_bytes(b"PK\x03\x04 half a zip")

    async with running_app(settings, clock) as app, _client(app) as client:
        alice = await log_in(client, "alice")
        export = await finished(client, alice, crashed_id)
        assert export["state"] == "done" and export["done_steps"] == export["total_steps"]
        answer = await client.get(export["download_url"], headers=alice)
        assert b"mkWrittenBefore" in files_of(answer.content)["moments.json"]
        runtime = app.state.runtime
        async with runtime.sessions() as session:
            row = await session.scalar(select(Export).where(Export.id == crashed_id))
            assert row is not None and row.attempts == 2
    assert not half.exists()


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://plaza.test")


async def test_a_write_under_way_when_the_build_is_cancelled_ends_before_the_zip_closes() -> None:
    """A thread cannot be interrupted: the build waits for its zip write to end, then stops
    as cancelled (not as a failure that the builder would survive and so never stop)."""
    started, release = threading.Event(), threading.Event()

    def write() -> str:
        started.set()
        release.wait(10)
        return "written"

    step = asyncio.create_task(archive._in_thread(write))
    assert await asyncio.to_thread(started.wait, 10)
    step.cancel()
    await asyncio.sleep(0.05)
    assert not step.done()  # still waiting for the write to end
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await step


async def test_a_server_stopping_mid_build_stops_and_builds_it_at_its_next_start(
    settings: Settings, clock
) -> None:
    async with running_app(settings, clock) as app, _client(app) as client:
        alice = await register(client, "alice")
        for n in range(12):
            picture = await _picture(client, alice)
            said = await client.post(
                f"{API}/moments",
                json={"text": f"mkStopped {n} " + "长" * 1900, "media_ids": [picture["id"]]},
                headers=alice,
            )
            assert said.status_code == 201, said.text
        export = await start(client, alice)
        for _ in range(400):  # until the build is under way
            shown = (await client.get(f"{API}/exports/{export['id']}", headers=alice)).json()
            if shown["state"] == "running":
                break
            await asyncio.sleep(0.005)
        stopping = asyncio.get_running_loop().time()
    # Leaving the block stopped the app: it did not wait for the build to end.
    assert asyncio.get_running_loop().time() - stopping < 30

    async with running_app(settings, clock) as app, _client(app) as client:
        alice = await log_in(client, "alice")
        done = await finished(client, alice, export["id"])
        assert done["state"] == "done", done
        answer = await client.get(done["download_url"], headers=alice)
        assert b"mkStopped 11" in files_of(answer.content)["moments.json"]


async def _picture(client: httpx.AsyncClient, who: dict[str, str]) -> dict:
    files = {"file": ("p.png", save(two_halves(), "PNG"), "image/png")}
    answer = await client.post(f"{API}/media", files=files, headers=who)
    assert answer.status_code == 201, answer.text
    return answer.json()
