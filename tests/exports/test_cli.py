"""`plaza export USERNAME`: an operator builds a person's data export from the command
line, the same zip the API makes, for a suspended account too; an unknown person is refused."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from plaza.accounts.service import users
from plaza.accounts.service.status import set_status
from plaza.config import Settings
from plaza.runtime import Runtime
from tests.exports.helpers import files_of
from tests.helpers import register
from tests.processes import plaza_command

pytestmark = pytest.mark.slow


def plaza_export(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return plaza_command(settings, "export", *args)


async def test_export_of_a_suspended_person(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    alice = await register(client, "alice", "爱丽丝")
    said = await client.post("/api/v1/moments", json={"text": "mkFromTheCli 你好"}, headers=alice)
    assert said.status_code == 201
    runtime: Runtime = app.state.runtime
    async with runtime.sessions() as session:
        user = await users.get_user(session, username="alice")
        await set_status(
            session, clock=runtime.clock, bus=runtime.bus, user=user, status="suspended"
        )

    out = tmp_path / "alice.zip"
    done = plaza_export(settings, "alice", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"Wrote {out}" in " ".join(done.stderr.split())
    files = files_of(out.read_bytes())
    assert json.loads(files["profile.json"])["status"] == "suspended"
    assert "mkFromTheCli 你好" in files["index.html"].decode()
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".part")]

    missing = plaza_export(settings, "nobody", "--out", str(tmp_path / "nobody.zip"))
    assert missing.returncode == 1
    assert not (tmp_path / "nobody.zip").exists()
