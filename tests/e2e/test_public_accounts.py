"""Public accounts in the browser, end to end: an owner creates an account and publishes an
article with a picture through the editor (live preview included); a subscriber whose feed
is open sees it arrive without reloading; a signed-out reader opens it with its picture; the
subscriber shares it into a chat, where the card opens the article; once removed, the
article's page and card say so. The publishing limit's message reaches the editor and the
draft stays."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ann_and_bob_in_a_chat, sign_in
from tests.e2e.helpers import api
from tests.e2e.test_moments import jpeg

pytestmark = pytest.mark.e2e


def ready(page: Page) -> None:
    """The page's script has wired its forms and buttons (a busy machine is slow to)."""
    expect(page.locator("html[data-ready]")).to_be_attached()


def open_as(page: Page, person, path: str) -> None:
    page.goto("/signin?next=" + path)
    sign_in(page, person)
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    ready(page)


def test_publish_with_a_picture_reaches_a_subscriber_live_and_a_chat(new_page, server):
    ann, bob, token_a, chat_id = ann_and_bob_in_a_chat(server)
    handle = "news_" + uuid.uuid4().hex[:8]

    # Ann creates the account from the directory.
    owner = new_page()
    open_as(owner, ann, "/a")
    owner.get_by_label("Handle", exact=True).fill(handle)
    owner.get_by_label("Name", exact=True).fill("每日新闻")
    owner.get_by_label("Description").fill("城市里的新鲜事")
    owner.get_by_role("button", name="Create").click()
    expect(owner).to_have_url(re.compile(f"/a/{handle}$"))
    expect(owner.get_by_role("heading", name="每日新闻")).to_be_visible()

    # Bob finds it by its Chinese name, subscribes, and keeps his feed open.
    reader = new_page(phone=True)
    open_as(reader, bob, "/a")
    reader.get_by_label("Search by name or handle").fill("新闻")
    reader.get_by_role("button", name="Search").click()
    reader.get_by_role("link", name=re.compile("每日新闻")).first.click()
    expect(reader).to_have_url(re.compile(f"/a/{handle}$"))
    ready(reader)
    reader.get_by_role("button", name="Subscribe").click()
    expect(reader.get_by_role("button", name="Subscribed")).to_be_visible()
    expect(reader.locator("#subscriber-count")).to_have_text("1 subscriber")
    reader.goto("/feed")
    expect(reader.locator("#status")).to_have_text("live")
    expect(reader.locator("#pa-empty")).to_be_visible()
    reader.evaluate("window.stillTheSamePage = true")

    # Ann writes: a title, a picture inserted into the body, the preview shows both.
    owner.get_by_role("link", name="Write").click()
    ready(owner)
    owner.get_by_label("Title").fill("春天来了")
    body = owner.get_by_label("Body (Markdown)")
    body.fill("公园里的花都开了。\n\n")
    body.press("End")
    owner.locator("#picture-file").set_input_files(
        {"name": "park.jpg", "mimeType": "image/jpeg", "buffer": jpeg(800, 600)}
    )
    expect(body).to_have_value(re.compile(r"!\[park\]\(/api/v1/media/\d+\)"))
    preview = owner.locator("#preview")
    expect(preview.locator("img")).to_be_visible()
    expect(preview).to_contain_text("公园里的花都开了")
    owner.get_by_role("button", name="Publish").click()
    expect(owner).to_have_url(re.compile(rf"/a/{handle}/\d+$"))
    url = owner.url.removeprefix(server.url)

    # Bob's open feed hears of it and lists it, without a reload.
    expect(reader.locator("#new-article")).to_contain_text("New from 每日新闻: 春天来了")
    expect(reader.locator("#pa-list .pa-item-title")).to_have_text(["春天来了"])
    assert reader.evaluate("window.stillTheSamePage === true")

    # Anyone, signed out, reads it with its picture.
    stranger = new_page()
    stranger.goto(url)
    expect(stranger.get_by_role("heading", level=1)).to_have_text("春天来了")
    picture = stranger.locator(".pa-body img")
    expect(picture).to_be_visible()
    assert stranger.evaluate("document.querySelector('.pa-body img').naturalWidth") == 800

    # Bob shares it into his chat with Ann; the chat shows the card, which opens it.
    reader.locator("#new-article a").click()
    expect(reader).to_have_url(re.compile(re.escape(url) + "$"))
    ready(reader)
    reader.get_by_role("button", name="Share to chat").click()
    reader.get_by_role("radio", name=ann.display_name).check()
    reader.get_by_role("button", name="Send").click()
    expect(reader.locator("#article-notice")).to_contain_text("Shared to the chat")
    reader.get_by_role("link", name="Open the chat").click()
    expect(reader).to_have_url(re.compile(f"/chat/{chat_id}$"))
    card = reader.locator(".article-card").filter(has_text="春天来了")
    expect(card).to_be_visible()
    expect(card).to_contain_text("每日新闻")
    card.click()
    expect(reader).to_have_url(re.compile(re.escape(url) + "$"))

    # Removed, it is gone for readers, and its card in the chat says so.
    with api(server, token_a) as client:
        client.delete(f"/articles/{url.rsplit('/', 1)[1]}").raise_for_status()
    stranger.reload()
    expect(stranger.get_by_role("heading", level=1)).to_have_text("This article is not available")
    reader.goto(f"/chat/{chat_id}")
    expect(reader.locator(".article-card.gone")).to_contain_text("Article not available")

    # Past the publishing limit (8 a day), the editor says why and until when; the draft stays.
    with api(server, token_a) as client:
        for i in range(7):
            draft = client.post(f"/public-accounts/{handle}/articles", json={"title": f"No. {i}"})
            client.post(f"/articles/{draft.raise_for_status().json()['id']}/publish")
    owner.goto(f"/a/{handle}/write")
    ready(owner)
    owner.get_by_label("Title").fill("One too many")
    owner.get_by_role("button", name="Publish").click()
    expect(owner.locator("#editor-error")).to_contain_text("published 8 articles in the last 24")
    expect(owner).to_have_url(re.compile(rf"/a/{handle}/\d+/edit$"))
    owner.reload()
    expect(owner.get_by_label("Title")).to_have_value("One too many")
