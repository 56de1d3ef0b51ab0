"""The chat page's layout: on a desktop a long conversation scrolls inside its list (pinned to
the newest while one reads the bottom, kept in place while one reads older messages); on a
phone the list and the conversation are separate views, the members panel is a drawer and a
long name does not wrap the top bar."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import api_befriend, api_direct_chat, make_person, open_chat
from tests.e2e.helpers import create_group, post_messages

pytestmark = pytest.mark.e2e


def scroll_state(page: Page) -> dict:
    return page.evaluate(
        """() => { const b = document.getElementById('messages');
        return {top: b.scrollTop, height: b.scrollHeight, client: b.clientHeight,
                page: document.scrollingElement.scrollHeight, inner: innerHeight}; }"""
    )


def at_bottom(page: Page) -> bool:
    s = scroll_state(page)
    return s["height"] - s["top"] - s["client"] < 48


def test_long_conversation_scrolls_inside_and_keeps_its_place(new_page, server):
    ann, bob = make_person("Ann"), make_person("Bob")
    token_a, token_b = api_befriend(server, ann, bob)
    chat = api_direct_chat(server, token_a, bob)
    post_messages(server, token_b, chat, [f"line {i} 第{i}行" for i in range(1, 81)])
    page = new_page()
    open_chat(page, ann, f"/chat/{chat}")
    expect(page.locator("#messages")).to_contain_text("line 80 第80行")

    # The page itself does not grow: header, title and status stay on screen.
    state = scroll_state(page)
    assert state["page"] <= state["inner"] + 1
    assert state["height"] > state["client"]
    expect(page.locator("header.topbar")).to_be_in_viewport()
    expect(page.locator("#conv-title")).to_be_in_viewport()
    expect(page.locator("#status")).to_be_in_viewport()
    assert at_bottom(page)

    # Reading the bottom: a new message keeps the list pinned to the newest.
    post_messages(server, token_b, chat, ["pinned to the newest"])
    expect(page.locator("#messages").get_by_text("pinned to the newest")).to_be_in_viewport()
    page.wait_for_function(
        "() => { const b = document.getElementById('messages');"
        " return b.scrollHeight - b.scrollTop - b.clientHeight < 48; }"
    )

    # Reading older messages: new ones do not move the list; a pill offers to jump down.
    page.locator("#messages").evaluate("b => { b.scrollTop = 400; }")
    page.wait_for_timeout(300)
    before = scroll_state(page)["top"]
    post_messages(server, token_b, chat, ["arrived while reading"])
    pill = page.get_by_role("button", name=re.compile(r"new message"))
    expect(pill).to_be_visible()
    expect(page.locator("#messages").get_by_text("arrived while reading")).to_have_count(1)
    assert abs(scroll_state(page)["top"] - before) < 2
    expect(page.locator("#messages").get_by_text("arrived while reading")).not_to_be_in_viewport()
    pill.click()
    expect(page.locator("#messages").get_by_text("arrived while reading")).to_be_in_viewport()
    expect(pill).to_be_hidden()


def test_phone_list_then_conversation_then_back(new_page, server):
    ann, bob = make_person("Ann"), make_person("Bob")
    ann.display_name = "Anastasia Konstantinopoulou-Vanderbilt"
    token_a, token_b = api_befriend(server, ann, bob)
    group = create_group(server, token_a, "Hiking club 徒步俱乐部", [bob.username])
    post_messages(server, token_b, group, ["Saturday at eight?"])
    page = new_page(phone=True)
    open_chat(page, ann)

    # A long display name is cut with an ellipsis; the top bar stays one line.
    topbar = page.locator("header.topbar").bounding_box()
    assert topbar and topbar["height"] < 64
    me = page.locator("header.topbar a.me")
    assert me.evaluate("a => a.scrollWidth > a.clientWidth")
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")

    # The list first; the conversation replaces it; Back returns to the list.
    chats = page.get_by_label("Conversations")
    expect(chats).to_be_visible()
    expect(page.get_by_label("Message", exact=True)).to_be_hidden()
    chats.get_by_role("link").filter(has_text="Hiking club").click()
    expect(page).to_have_url(re.compile(rf"/chat/{group}$"))
    expect(chats).to_be_hidden()
    expect(page.locator("#messages").get_by_text("Saturday at eight?")).to_be_visible()
    expect(page.get_by_label("Message", exact=True)).to_be_visible()

    # The members panel is a drawer over the messages, not a column that squeezes them.
    width = page.locator("#messages").bounding_box()["width"]
    page.get_by_role("button", name="Members").click()
    panel = page.locator("#members-panel")
    expect(panel).to_be_visible()
    assert page.locator("#messages").bounding_box()["width"] == width
    assert width > 350
    page.get_by_role("button", name="Close").click()
    expect(panel).to_be_hidden()

    page.get_by_role("button", name="Back to chats").click()
    expect(page).to_have_url(re.compile(r"/chat$"))
    expect(chats).to_be_visible()
    expect(page.get_by_label("Message", exact=True)).to_be_hidden()
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/chat/{group}$"))
    expect(page.locator("#messages").get_by_text("Saturday at eight?")).to_be_visible()
