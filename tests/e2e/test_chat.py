"""Chatting in the browser: direct messages and a group arrive live on the other person's page,
without reloading, and a recall shows up there too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Person, api_befriend, api_direct_chat, make_person, sign_in

pytestmark = pytest.mark.e2e

SCREENSHOT = "/tmp/plaza-chat.png"


def open_chat(page: Page, person: Person) -> None:
    """Signs in through the form and waits until the chat page's live stream is connected."""
    page.goto("/signin")
    sign_in(page, person)
    expect(page).to_have_url(re.compile(r"/chat$"))
    expect(page.locator("#status")).to_have_text("live")


def conversation_list(page: Page):
    return page.get_by_label("Conversations")


def messages(page: Page):
    return page.locator("#messages")


def send(page: Page, text: str) -> None:
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    page.get_by_role("button", name="Send").click()
    expect(box).to_have_value("")
    expect(messages(page).get_by_text(text, exact=True)).to_be_visible()


def test_direct_and_group_messages_arrive_live(new_page, server):
    ann, bob = make_person("Ann"), make_person("Bob")
    api_befriend(server, ann, bob)
    page_a, page_b = new_page(), new_page()
    open_chat(page_b, bob)
    open_chat(page_a, ann)
    page_b.evaluate("window.e2eNotReloaded = true")  # a reload would wipe it

    # Ann starts the chat from Bob's profile.
    page_a.goto(f"/u/{bob.username}")
    expect(page_a.get_by_text("You are friends.")).to_be_visible()
    page_a.get_by_role("button", name="Message").click()
    expect(page_a).to_have_url(re.compile(r"/chat/\d+$"))
    expect(page_a.locator("#conv-title")).to_have_text("Bob")
    expect(page_a.locator("#status")).to_have_text("live")
    send(page_a, "Hello Bob, lunch today?")

    # Bob's open page shows the new chat with the message, then the message itself.
    chat_with_ann = conversation_list(page_b).get_by_role("link").filter(has_text="Ann")
    expect(chat_with_ann).to_contain_text("Hello Bob, lunch today?")
    chat_with_ann.click()
    expect(page_b.locator("#conv-title")).to_have_text("Ann")
    expect(messages(page_b).get_by_text("Hello Bob, lunch today?", exact=True)).to_be_visible()

    # Bob replies (with Enter this time) and Ann sees it live.
    page_b.get_by_label("Message", exact=True).fill("Sure, noon at the fountain")
    page_b.get_by_label("Message", exact=True).press("Enter")
    expect(messages(page_b).get_by_text("Sure, noon at the fountain", exact=True)).to_be_visible()
    expect(messages(page_a).get_by_text("Sure, noon at the fountain", exact=True)).to_be_visible()

    # Ann recalls her message; both pages show it as recalled, Bob's without a reload.
    mine = messages(page_a).locator(".msg.mine").filter(has_text="Hello Bob, lunch today?")
    mine.get_by_role("button", name="Recall").click()
    expect(messages(page_a).get_by_text("Hello Bob, lunch today?")).to_have_count(0)
    expect(messages(page_a).get_by_text("(message recalled)")).to_be_visible()
    expect(messages(page_b).get_by_text("(message recalled)")).to_be_visible()
    expect(messages(page_b).get_by_text("Hello Bob, lunch today?")).to_have_count(0)
    expect(messages(page_b).get_by_text("Sure, noon at the fountain", exact=True)).to_be_visible()

    # Ann makes a group with Bob; it turns up in Bob's list live.
    page_a.get_by_role("button", name="New group").click()
    dialog = page_a.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Name", exact=True).fill("Lunch club")
    dialog.get_by_label(f"@{bob.username}").check()
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_be_hidden()
    expect(page_a.locator("#conv-title")).to_have_text("Lunch club")
    group_for_b = conversation_list(page_b).get_by_role("link").filter(has_text="Lunch club")
    expect(group_for_b).to_be_visible()

    # A message in the group reaches Bob live: in the list, then in the open group.
    send(page_a, "Welcome to the lunch club")
    expect(group_for_b).to_contain_text("Welcome to the lunch club")
    group_for_b.click()
    expect(page_b.locator("#conv-title")).to_have_text("Lunch club")
    expect(messages(page_b).get_by_text("Welcome to the lunch club", exact=True)).to_be_visible()
    send(page_b, "Count me in")
    expect(messages(page_a).get_by_text("Count me in", exact=True)).to_be_visible()

    # Bob's page was never reloaded: everything arrived over the live stream.
    assert page_b.evaluate("window.e2eNotReloaded") is True
    expect(page_b.locator("#status")).to_have_text("live")
    page_b.screenshot(path=SCREENSHOT, full_page=True)


def test_chat_page_shows_only_what_applies(new_page, server):
    """No composer before a conversation is picked, no "Members" in a direct chat, and a
    recalled message's text leaves the conversation list too."""
    dan, eve = make_person("Dan"), make_person("Eve")
    token_dan, _ = api_befriend(server, dan, eve)
    conversation_id = api_direct_chat(server, token_dan, eve)
    page_d, page_e = new_page(), new_page()
    open_chat(page_e, eve)
    expect(page_e.get_by_text("Pick a conversation")).to_be_visible()
    expect(page_e.get_by_label("Message", exact=True)).to_be_hidden()
    expect(page_e.get_by_role("button", name="Send")).to_be_hidden()
    expect(page_e.get_by_role("button", name="Members")).to_be_hidden()

    open_chat(page_d, dan)
    page_d.goto(f"/chat/{conversation_id}")
    expect(page_d.locator("#conv-title")).to_have_text("Eve")
    expect(page_d.locator("#status")).to_have_text("live")
    expect(page_d.get_by_label("Message", exact=True)).to_be_visible()
    expect(page_d.get_by_role("button", name="Members")).to_be_hidden()

    send(page_d, "the door code is 4711")
    chat_with_dan = conversation_list(page_e).get_by_role("link").filter(has_text="Dan")
    expect(chat_with_dan).to_contain_text("the door code is 4711")
    messages(page_d).get_by_role("button", name="Recall").click()
    expect(messages(page_d).get_by_text("(message recalled)")).to_be_visible()
    for page in (page_d, page_e):
        expect(conversation_list(page)).not_to_contain_text("the door code is 4711")
        expect(conversation_list(page)).to_contain_text("(message recalled)")
