"""The small things of a chat: safe clickable links, replies with a quote, the unread count in
the tab title, the "new messages" divider, the empty first screen; and the friends pages'
confirmations and request badge."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    api_befriend,
    api_direct_chat,
    api_register,
    make_person,
    open_chat,
    sign_in,
)
from tests.e2e.helpers import api, messages_of, post_messages, request_friendship

pytestmark = pytest.mark.e2e


def test_links_replies_title_and_unread_divider(new_page, server):
    ann, bob = make_person("Ann"), make_person("Bob")
    token_a, token_b = api_befriend(server, ann, bob)
    chat = api_direct_chat(server, token_a, bob)
    post_messages(server, token_a, chat, ["what's for lunch?"])
    post_messages(
        server,
        token_b,
        chat,
        [
            "menu: https://example.org/lunch?day=1. 还有 javascript:alert(1) <b>bold</b>",
            "面条 or rice?",
            "third unread",
        ],
    )
    page = new_page()
    open_chat(page, ann, f"/chat/{chat}")
    box = page.locator("#messages")

    # The divider sits before the first message Ann has not read.
    divider = box.locator(".unread-divider")
    expect(divider).to_have_text("New messages")
    first_unread = box.locator(".unread-divider + .msg, .unread-divider + .sep + .msg").first
    expect(first_unread).to_contain_text("menu:")

    # Only http(s) becomes a link, built safely; the rest stays text.
    link = box.get_by_role("link", name="https://example.org/lunch?day=1")
    expect(link).to_have_attribute("href", "https://example.org/lunch?day=1")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(box.get_by_role("link")).to_have_count(1)
    expect(box.locator("b")).to_have_count(0)
    expect(box.get_by_text("<b>bold</b>", exact=False)).to_be_visible()

    # Reply with a quote of the message replied to.
    noodles = box.locator(".msg[data-id]").filter(has_text="面条 or rice?")
    noodles.hover()
    noodles.get_by_role("button", name="Reply").click()
    expect(page.locator("#reply-bar")).to_contain_text("Replying to Bob: 面条 or rice?")
    page.get_by_label("Message", exact=True).fill("面条!")
    page.get_by_label("Message", exact=True).press("Enter")
    mine = box.locator(".msg.mine[data-id]").filter(has_text="面条!")
    expect(mine.locator(".quote")).to_have_text("Bob: 面条 or rice?")
    expect(page.locator("#reply-bar")).to_be_hidden()
    page.screenshot(path="/tmp/shots/desktop-chat-reply.png")
    replied = [m for m in messages_of(server, token_a, chat) if m["text"] == "面条!"]
    original = [m for m in messages_of(server, token_a, chat) if m["text"] == "面条 or rice?"]
    assert replied[0]["reply_to"] == original[0]["id"]

    # The tab title counts unread messages in other conversations.
    expect(page).to_have_title("Chats · Plaza")
    cleo = make_person("Cleo")
    token_c = api_register(server, cleo)
    request_friendship(server, token_c, ann.username)
    with api(server, token_a) as client:
        pending = client.get("/friend-requests").json()["items"]
        client.post(f"/friend-requests/{pending[0]['id']}/accept").raise_for_status()
    other = api_direct_chat(server, token_c, ann)
    post_messages(server, token_c, other, ["one", "two", "three"])
    expect(page).to_have_title("(3) Chats · Plaza")
    page.get_by_label("Conversations").get_by_role("link").filter(has_text="Cleo").click()
    expect(page).to_have_title("Chats · Plaza")


def test_empty_first_screen_says_what_to_do(new_page, server):
    ann = make_person("Ann")
    api_register(server, ann)
    page = new_page()
    open_chat(page, ann)
    expect(page.get_by_role("heading", name="No chats yet")).to_be_visible()
    expect(page.get_by_role("link", name="Find a friend")).to_have_attribute("href", "/people")
    expect(page.get_by_text("plaza demo")).to_be_visible()


def test_friend_confirmations_and_badge(new_page, server):
    ann, bob = make_person("Ann"), make_person("Bob")
    api_befriend(server, ann, bob)
    cleo = make_person("Cleo")
    token_c = api_register(server, cleo)
    page = new_page()
    page.goto("/signin")
    sign_in(page, ann)
    expect(page).to_have_url(re.compile(r"/chat$"))
    expect(page.locator("#status")).to_have_text("live")
    badge = page.locator("#friend-badge")
    expect(badge).to_be_hidden()

    # A request arrives while Ann reads her chats: the badge counts it at once (the server's
    # {"type": "friend_request.received", "count": N} on her own topic), and pages show it.
    request_friendship(server, token_c, ann.username, "你好")
    expect(badge).to_have_text("1")
    page.goto("/friends")
    expect(badge).to_have_text("1")
    page.evaluate("Plaza.onCommonEvent({type: 'friend_request.received', count: 2})")
    expect(badge).to_have_text("2")
    page.evaluate("Plaza.onCommonEvent({type: 'friend_request.received', count: 0})")
    expect(badge).to_be_hidden()

    # Ann asks Dan to be friends: his profile then says the request is on its way.
    dan = make_person("Dan")
    api_register(server, dan)
    page.goto(f"/u/{dan.username}")
    page.get_by_role("button", name="Add friend").click()
    page.goto(f"/u/{dan.username}")
    expect(page.get_by_text("Request sent. Waiting for Dan to answer.")).to_be_visible()
    expect(page.get_by_role("button", name="Add friend")).to_have_count(0)

    # Removing a friend asks first; Cancel keeps him.
    page.goto(f"/u/{bob.username}")
    page.get_by_role("button", name="Remove friend").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Remove Bob (@{bob.username}) from your friends?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("You are friends.")).to_be_visible()
    page.get_by_role("button", name="Remove friend").click()
    dialog.get_by_role("button", name="Remove friend").click()
    notice = page.locator("p.notice")
    expect(notice).to_have_text(f"{bob.username} removed from your friends.")

    # Blocking asks first too.
    page.goto(f"/u/{cleo.username}")
    page.get_by_role("button", name="Block").click()
    expect(dialog).to_contain_text("Block Cleo")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page).to_have_url(re.compile(rf"/u/{cleo.username}$"))
    page.get_by_role("button", name="Block").click()
    dialog.get_by_role("button", name="Block").click()
    expect(notice).to_have_text(f"{cleo.username} is blocked.")


def test_find_people_by_the_start_of_a_name(new_page, server):
    """The server's search, through the page: the start of a username finds the person."""
    ann, bob = make_person("Ann"), make_person("Bob")
    bob.display_name = "鲍勃"
    api_register(server, ann)
    api_register(server, bob)
    page = new_page()
    page.goto("/signin?next=/people")
    sign_in(page, ann)
    expect(page).to_have_url(re.compile(r"/people$"))
    page.wait_for_load_state()
    box = page.get_by_label("Username or name")
    box.press_sequentially(bob.username[:-3])
    found = page.get_by_role("list", name="People found")
    expect(found.get_by_role("link", name=f"View 鲍勃 (@{bob.username})")).to_be_visible()
    box.press("Enter")  # and the form's own search finds the same
    expect(page).to_have_url(re.compile(r"/people\?q="))
    expect(page.get_by_role("link", name=f"View 鲍勃 (@{bob.username})")).to_be_visible()


def test_find_people_as_one_types(new_page, server):
    """With the server's `GET /users?q=` (stood in for here), /people lists matches by the
    start of a username or display name while one types, Chinese included."""
    ann = make_person("Ann")
    api_register(server, ann)
    people = [
        {"username": "li_lei", "display_name": "李雷"},
        {"username": "li_na", "display_name": "李娜"},
        {"username": "lily", "display_name": "<img src=x onerror=alert(1)>"},
    ]

    def users(route):
        q = parse_qs(urlparse(route.request.url).query)["q"][0].lower()
        items = [
            p
            for p in people
            if p["username"].startswith(q) or p["display_name"].lower().startswith(q)
        ]
        route.fulfill(json={"items": items, "next_cursor": None})

    page = new_page()
    page.route(re.compile(r".*/api/v1/users\?q=.*"), users)
    page.goto("/signin?next=/people")
    sign_in(page, ann)
    expect(page).to_have_url(re.compile(r"/people$"))
    page.wait_for_load_state()
    page.get_by_label("Username or name").press_sequentially("李")
    found = page.get_by_role("list", name="People found")
    expect(found.get_by_role("listitem")).to_have_count(2)
    expect(found.get_by_role("link", name="View 李娜 (@li_na)")).to_have_attribute(
        "href", "/u/li_na"
    )
    page.get_by_label("Username or name").fill("li")
    page.get_by_label("Username or name").press("End")
    page.get_by_label("Username or name").press_sequentially("l")
    expect(found.get_by_role("listitem")).to_have_count(1)
    expect(found).to_contain_text("<img src=x onerror=alert(1)>")
    expect(page.locator("#live-results img")).to_have_count(0)


def test_group_messages_show_the_username_beside_the_name(new_page, server):
    """Two people may both call themselves "Alice": the username tells them apart."""
    from tests.e2e.helpers import create_group

    ann, bob = make_person("Ann"), make_person("Alice")
    token_a, token_b = api_befriend(server, ann, bob)
    group_id = create_group(server, token_a, "同名 Same names", [bob.username])
    post_messages(server, token_b, group_id, ["it's me, Alice"])
    page = new_page()
    open_chat(page, ann, f"/chat/{group_id}")
    who = page.locator("#messages .msg").filter(has_text="it's me, Alice").locator(".who")
    expect(who).to_have_text(f"Alice @{bob.username}")
