"""The public accounts pages at a phone size (360x740) and a desktop size (1280x800), with
Chinese text: axe-core finds no serious or critical violation, nothing is wider than the
screen, and a screenshot of each lands in /tmp/shots for a person to look at."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    SIZES,
    WAIT_MS,
    api_befriend,
    api_direct_chat,
    check_page,
    make_person,
    sign_in,
)
from tests.e2e.helpers import api
from tests.e2e.test_moments import jpeg

pytestmark = pytest.mark.e2e

BODY = (
    "春天来了，公园里的花都开了。我们沿着湖边慢慢地走，看见很多人在放风筝。\n\n"
    "## 小标题 A heading\n\n"
    "Spring is here: a longer English sentence to see how the measure of the reading column "
    "holds up with mixed scripts and a [link](https://example.org).\n\n"
    "- 第一点\n- 第二点\n\n> 引用一句话。\n\n"
)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_public_accounts_pages_are_accessible_and_fit(browser, server, size):
    ann, bob = make_person("Ann"), make_person("Bob")
    ann.display_name = "安妮 Annabelle"
    token_a, token_b = api_befriend(server, ann, bob)
    api_direct_chat(server, token_a, bob)
    handle = "news_" + uuid.uuid4().hex[:8]
    with api(server, token_a) as client:
        client.post(
            "/public-accounts",
            json={
                "handle": handle,
                "name": "每日新闻 Daily News from the Plaza",
                "description": "每天早上八点，为你精选城市里发生的新鲜事。",
            },
        ).raise_for_status()
        cover = client.post(
            "/media", files={"file": ("cover.jpg", jpeg(1200, 630), "image/jpeg")}
        ).json()["id"]
        picture = client.post(
            "/media", files={"file": ("p.jpg", jpeg(800, 600), "image/jpeg")}
        ).json()["id"]
        ids = []
        for i, title in enumerate(["春天来了：公园里的花都开了", "A second, shorter article"]):
            draft = client.post(
                f"/public-accounts/{handle}/articles",
                json={
                    "title": title,
                    "body": BODY
                    + (f"![公园](/api/v1/media/{picture})\n\n" if i == 0 else "")
                    + BODY,
                    "cover_media_id": cover if i == 0 else None,
                },
            )
            draft.raise_for_status()
            ids.append(draft.json()["id"])
            client.post(f"/articles/{ids[-1]}/publish").raise_for_status()
        client.post(
            f"/public-accounts/{handle}/articles",
            json={"title": "草稿：下周的选题", "body": "想法"},
        ).raise_for_status()
        client.patch(f"/articles/{ids[0]}", json={"title": "春天来了：公园里的花都开了（修订）"})
    with api(server, token_b) as client:
        client.post(f"/public-accounts/{handle}/subscription").raise_for_status()
        client.post(f"/articles/{ids[0]}/like").raise_for_status()

    context = browser.new_context(
        base_url=server.url,
        viewport=SIZES[size],
        is_mobile=size == "phone",
        has_touch=size == "phone",
    )
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(f"/a/{handle}/{ids[0]}")
        expect(page.locator(".pa-body img")).to_be_visible()
        check_page(page, "articles", "reader-signed-out", size)
        page.goto("/a?q=新闻")
        check_page(page, "articles", "directory-signed-out", size)

        page.goto("/signin?next=/a")
        sign_in(page, ann)
        expect(page).to_have_url(re.compile("/a$"))
        check_page(page, "articles", "directory", size)
        # The owner gives the account an avatar from its page.
        page.goto(f"/a/{handle}")
        expect(page.locator("html[data-ready]")).to_be_attached()
        page.get_by_text("Edit the profile").click()
        page.locator("#avatar-file").set_input_files(
            {"name": "logo.jpg", "mimeType": "image/jpeg", "buffer": jpeg(300, 300)}
        )
        expect(page.locator("img.pa-avatar.large")).to_be_visible()
        for path, name in [
            (f"/a/{handle}", "account-owner"),
            (f"/a/{handle}/{ids[0]}", "reader"),
            (f"/a/{handle}/{ids[0]}/edit", "editor-published"),
            (f"/a/{handle}/write", "editor-new"),
            (f"/a/{handle}/stats", "stats"),
        ]:
            page.goto(path)
            check_page(page, "articles", name, size)
        page.goto(f"/a/{handle}/{ids[0]}")
        expect(page.locator("html[data-ready]")).to_be_attached()
        page.get_by_role("button", name="Share to chat").click()
        expect(page.get_by_role("radio")).to_have_count(1)
        check_page(page, "articles", "share-chat", size)
        page.get_by_role("radio").check()
        page.get_by_label("Add a message (optional)").fill("这篇写得真好，推荐给你")
        page.get_by_role("button", name="Send").click()
        page.get_by_role("link", name="Open the chat").click()
        expect(page.locator(".article-card")).to_be_visible()
        check_page(page, "articles", "chat-card", size)
        page.goto(f"/a/{handle}/{ids[1]}")
        expect(page.locator("html[data-ready]")).to_be_attached()
        page.get_by_role("button", name="Share to Moments").click()
        page.get_by_role("button", name="Share", exact=True).click()
        expect(page.locator("#article-notice")).to_contain_text("Shared to your Moments")
        page.goto("/moments")
        expect(page.locator(".moment .article-card")).to_be_visible()
        check_page(page, "articles", "moments-card", size)

        reader = context.new_page()
        context.clear_cookies()
        reader.goto("/signin?next=/feed")
        sign_in(reader, bob)
        expect(reader.locator("#status")).to_have_text("live")
        check_page(reader, "articles", "feed", size)
    finally:
        context.close()
