"""Helpers for the data export tests: start an export, wait for it, open its zip."""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

import httpx

API = "/api/v1"


async def start(client: httpx.AsyncClient, who: dict[str, str]) -> dict[str, Any]:
    answer = await client.post(f"{API}/exports", headers=who)
    assert answer.status_code == 202, answer.text
    return answer.json()


async def finished(client: httpx.AsyncClient, who: dict[str, str], export_id: int) -> dict:
    """The export once its build has ended (done or failed), as its owner sees it."""
    for _ in range(1200):
        answer = await client.get(f"{API}/exports/{export_id}", headers=who)
        assert answer.status_code == 200, answer.text
        if answer.json()["state"] in ("done", "failed"):
            return answer.json()
        await asyncio.sleep(0.05)
    raise AssertionError(f"export {export_id} never finished: {answer.json()}")


def files_of(data: bytes) -> dict[str, bytes]:
    """Every file of a zip, by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


async def export_zip(client: httpx.AsyncClient, who: dict[str, str]) -> dict[str, bytes]:
    """Start an export, wait for it and download it: its files by name."""
    export = await finished(client, who, (await start(client, who))["id"])
    assert export["state"] == "done", export
    answer = await client.get(export["download_url"], headers=who)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    return files_of(answer.content)
