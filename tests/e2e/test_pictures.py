"""Sending pictures in a chat from a phone: pick, preview, remove one, send; the friend sees
the thumbnail in the bubble and it opens the full picture; a stranger gets 404 for it."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ann_and_bob_in_a_chat, api_register, make_person, open_chat
from tests.e2e.helpers import messages_of
from tests.media import pictures

pytestmark = pytest.mark.e2e


def test_a_picture_sent_from_a_phone_reaches_the_friend_and_no_one_else(new_page, server):
    ann, bob, token_a, chat = ann_and_bob_in_a_chat(server)
    phone = new_page(phone=True)
    open_chat(phone, ann, f"/chat/{chat}")
    phone.locator("#attach-input").set_input_files(
        [
            {"name": "red.png", "mimeType": "image/png", "buffer": pictures.png(600, 300)},
            {"name": "IMG_1.jpg", "mimeType": "image/jpeg", "buffer": pictures.noisy_jpeg()},
        ]
    )
    previews = phone.locator("#previews .attach-preview")
    expect(previews).to_have_count(2)
    phone.get_by_role("button", name="Remove IMG_1.jpg").click()
    expect(previews).to_have_count(1)
    phone.get_by_label("Message", exact=True).fill("the view")
    phone.get_by_role("button", name="Send").click()
    sent = phone.locator("#messages .msg[data-id]")
    expect(sent.locator(".pictures img")).to_have_count(1)
    expect(sent.get_by_text("the view")).to_be_visible()
    expect(previews).to_have_count(0)
    expect(phone.locator("#previews")).to_be_hidden()

    [message] = messages_of(server, token_a, chat)
    assert message["text"] == "the view" and len(message["media"]) == 1
    picture = message["media"][0]
    assert (picture["width"], picture["height"]) == (600, 300)

    friend = new_page()
    open_chat(friend, bob, f"/chat/{chat}")
    expect(friend.locator("#conversations .preview")).to_have_text("Ann: the view")
    thumb = friend.locator("#messages .msg[data-id] .pictures img")
    expect(thumb).to_have_attribute("src", picture["thumbnail_url"])
    friend.wait_for_function(
        "img => img.complete && img.naturalWidth === 320", arg=thumb.element_handle()
    )
    link = friend.locator("#messages .msg[data-id] .pictures a")
    expect(link).to_have_attribute("href", picture["url"])
    with friend.context.expect_page() as opened:
        link.click()
    full = opened.value
    full.wait_for_load_state()
    assert full.url.endswith(picture["url"])
    size = full.evaluate(
        "() => [document.images[0].naturalWidth, document.images[0].naturalHeight]"
    )
    assert size == [600, 300]

    stranger = api_register(server, make_person("Carol"))
    answer = httpx.get(
        server.url + picture["url"], headers={"Authorization": f"Bearer {stranger}"}, timeout=10
    )
    assert answer.status_code == 404
