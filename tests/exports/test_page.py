"""The "Export my data" page: linked from my profile; its button starts an export (CSRF
checked); a second while one is built is refused in words; once done, the download link."""

from __future__ import annotations

import re

import httpx
import pytest

from plaza.exports.runner import exports_of
from tests.exports.helpers import finished
from tests.web.test_pages import csrf_of, sign_up


@pytest.fixture
async def browser_like(app) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://plaza.test") as client:
        yield client


async def test_start_an_export_from_the_page(app, browser_like: httpx.AsyncClient) -> None:
    client = browser_like
    assert (await client.get("/exports")).headers["location"] == "/signin?next=/exports"
    await sign_up(client, "alice", "爱丽丝")
    me = await client.get("/me")
    assert 'href="/exports"' in me.text

    page = await client.get("/exports")
    assert page.status_code == 200 and "You have not exported your data yet." in page.text
    forged = await client.post("/exports", data={"csrf_token": "nope"})
    assert forged.status_code == 403
    async with exports_of(app).lock:  # keep it queued while the page is looked at
        started = await client.post("/exports", data={"csrf_token": csrf_of(page)})
        assert started.status_code == 303 and started.headers["location"] == "/exports"
        page = await client.get("/exports")
        assert "Waiting to start" in page.text and "<progress" in page.text
        again = await client.post("/exports", data={"csrf_token": csrf_of(page)})
        assert again.status_code == 409
        assert "already being built" in again.text
    export_id = int(re.search(r'data-id="(\d+)"', page.text).group(1))
    token = client.cookies["plaza_session"]
    await finished(client, {"Authorization": f"Bearer {token}"}, export_id)
    page = await client.get("/exports")
    assert f'href="/api/v1/exports/{export_id}/download"' in page.text
    assert "Ready" in page.text and "<progress" not in page.text
