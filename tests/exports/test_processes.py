"""A real `plaza serve` killed with SIGKILL in the middle of building an export: the next
start builds it again from scratch, and the zip it serves is whole.

To stop the build at a known step, the one picture's blob in storage is swapped for a named
pipe: reading it blocks (in storage's thread) until the process dies, after the JSON sections
are written and before the pictures are. The blob is put back before the restart."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from plaza.exports.service import collect
from tests.exports.helpers import files_of
from tests.helpers import PASSWORD
from tests.media.pictures import save, two_halves
from tests.processes import ServerProcess

pytestmark = pytest.mark.slow
STARTUP = 120.0


def _wait_for(client: httpx.Client, path: str, headers: dict, done) -> dict:
    for _ in range(1200):
        body = client.get(path, headers=headers).json()
        if done(body):
            return body
        time.sleep(0.05)
    raise AssertionError(f"{path} never got there: {body}")


def test_an_export_killed_mid_build_is_built_again_after_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir).start(timeout=STARTUP)
    try:
        with httpx.Client(base_url=server.url + "/api/v1", timeout=30) as client:
            body = {"username": "alice", "password": PASSWORD, "display_name": "爱丽丝"}
            token = client.post("/accounts", json=body).json()["session"]["token"]
            alice = {"Authorization": f"Bearer {token}"}
            files = {"file": ("p.png", save(two_halves(), "PNG"), "image/png")}
            picture = client.post("/media", files=files, headers=alice).json()
            said = {"text": "mkBeforeTheCrash 你好", "media_ids": [picture["id"]]}
            assert client.post("/moments", json=said, headers=alice).status_code == 201
            served = client.get(f"/media/{picture['id']}", headers=alice)
            sha = served.headers["etag"].strip('"')
            blob = data_dir / "media" / sha[:2] / sha[2:4] / sha
            assert blob.read_bytes() == served.content
            blob.unlink()
            os.mkfifo(blob)

            started = client.post("/exports", headers=alice)
            assert started.status_code == 202, started.text
            path = f"/exports/{started.json()['id']}"
            stuck = _wait_for(
                client, path, alice, lambda e: e["done_steps"] >= len(collect.SECTIONS)
            )
            assert stuck["state"] == "running" and stuck["done_steps"] < stuck["total_steps"]
        server.kill()
    finally:
        server.stop()
    blob.unlink()
    blob.write_bytes(served.content)
    assert list((data_dir / "exports").glob("*.part")), "the crash left half a zip"

    server = ServerProcess(data_dir).start(timeout=STARTUP)
    try:
        with httpx.Client(base_url=server.url + "/api/v1", timeout=30) as client:
            body = {"username": "alice", "password": PASSWORD}
            token = client.post("/sessions", json=body).json()["token"]
            alice = {"Authorization": f"Bearer {token}"}
            export = _wait_for(client, path, alice, lambda e: e["state"] in ("done", "failed"))
            assert export["state"] == "done", export
            zipped = client.get(f"{path}/download", headers=alice)
            assert zipped.status_code == 200
    finally:
        server.stop()
    archive = files_of(zipped.content)
    assert "mkBeforeTheCrash 你好" in archive["index.html"].decode()
    assert served.content in archive.values()
    assert not list((data_dir / "exports").glob("*.part"))
