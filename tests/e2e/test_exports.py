"""The "Export my data" page at a phone size (360x740) and a desktop size (1280x800), with
Chinese content: reached from my profile, the button starts an export whose progress bar
moves by itself and gives way to the download link; the downloaded zip's index.html, opened
from disk with every network request refused, shows the person's writing and pictures.
Screenshots of each land in /tmp/shots.

To see the build in progress, the picture's blob in the server's storage is swapped for a
named pipe: the build waits there, after its JSON sections, until the test writes the
picture's bytes into the pipe."""

from __future__ import annotations

import io
import os
import re
import threading
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Route, expect

from tests.e2e.conftest import (
    SHOTS,
    SIZES,
    WAIT_MS,
    api_befriend,
    check_page,
    make_person,
    sign_in,
)
from tests.e2e.helpers import api
from tests.e2e.test_moments import jpeg

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_export_my_data_page_and_the_offline_archive(browser, server, size, tmp_path: Path):
    ann, bob = make_person("Ann"), make_person("Bob")
    ann.display_name, bob.display_name = "王小明", "李雷"
    token_a, _ = api_befriend(server, ann, bob)
    with api(server, token_a) as client:
        # A size of its own: its blob (content-addressed) is no other test's.
        picture = client.post(
            "/media", files={"file": ("a.jpg", jpeg(333, 222 + len(size)), "image/jpeg")}
        )
        picture_id = picture.raise_for_status().json()["id"]
        sha = client.get(f"/media/{picture_id}").headers["etag"].strip('"')
        client.post(
            "/moments",
            json={"text": "今天天气很好，我们去公园散步了。", "media_ids": [picture_id]},
        ).raise_for_status()
        chat = client.post("/conversations", json={"kind": "direct", "members": [bob.username]})
        client.post(
            f"/conversations/{chat.raise_for_status().json()['id']}/messages",
            json={"client_id": "e1", "text": "晚上一起吃饭吗？"},
        ).raise_for_status()

    context = browser.new_context(
        base_url=server.url,
        viewport=SIZES[size],
        is_mobile=size == "phone",
        has_touch=size == "phone",
        accept_downloads=True,
    )
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto("/signin?next=/me")
        sign_in(page, ann)
        expect(page).to_have_url(re.compile("/me$"))
        page.get_by_role("link", name="Export my data").click()
        expect(page).to_have_url(re.compile("/exports$"))
        check_page(page, "exports", "empty", size)

        blob = server.data_dir / "media" / sha[:2] / sha[2:4] / sha
        original = blob.read_bytes()
        blob.unlink()
        os.mkfifo(blob)
        try:
            page.get_by_role("button", name="Export my data").click()
            expect(page.locator(".export-state")).to_have_text("Building: 6 of 8 steps")
            expect(page.locator(".export progress")).to_have_attribute("value", "6")
            check_page(page, "exports", "building", size)
        finally:
            # The build reads the picture from the pipe; then the blob is a file again.
            feeder = threading.Thread(target=blob.write_bytes, args=(original,), daemon=True)
            feeder.start()
            feeder.join(WAIT_MS / 1000)
            blob.unlink()
            blob.write_bytes(original)
        download = page.get_by_role("link", name="Download zip")
        expect(download).to_be_visible()
        expect(page.locator(".export progress")).to_have_count(0)
        expect(page.locator(".export-state")).to_contain_text("Ready")
        check_page(page, "exports", "ready", size)

        with page.expect_download() as fetched:
            download.click()
        data = Path(fetched.value.path()).read_bytes()
        folder = tmp_path / "archive"
        zipfile.ZipFile(io.BytesIO(data)).extractall(folder)

        offline = context.new_page()
        asked: list[str] = []

        def refuse_network(route: Route) -> None:
            asked.append(route.request.url)
            route.abort()

        offline.route(re.compile(r"^https?://"), refuse_network)
        offline.goto((folder / "index.html").as_uri())
        expect(offline.get_by_text("今天天气很好，我们去公园散步了。")).to_be_visible()
        expect(offline.get_by_text("晚上一起吃饭吗？")).to_be_visible()
        shown = offline.locator("#pictures img").first
        expect(shown).to_be_visible()
        assert offline.evaluate("(img) => img.naturalWidth", shown.element_handle()) > 0
        assert asked == []
        SHOTS.mkdir(exist_ok=True)
        offline.screenshot(path=str(SHOTS / f"{size}-exports-archive.png"), full_page=True)
        fit = offline.evaluate("[innerWidth, document.scrollingElement.scrollWidth]")
        assert fit[0] == fit[1], f"the archive at {size} is wider than the screen: {fit}"
    finally:
        context.close()
