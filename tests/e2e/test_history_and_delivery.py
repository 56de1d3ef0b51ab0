"""Older history loads when scrolling up, keeping one's place; a message sent while offline is
a "not sent" bubble that goes (exactly once, same client_id) when the connection is back;
signing out in one tab takes the other tabs to sign-in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    ann_and_bob_in_a_chat,
    api_befriend,
    api_direct_chat,
    make_person,
    open_chat,
    sign_in,
)
from tests.e2e.helpers import messages_of, post_messages

pytestmark = pytest.mark.e2e


def test_three_hundred_messages_page_back_to_the_first(new_page, server):
    ann, bob = make_person("Ann"), make_person("Bob")
    token_a, token_b = api_befriend(server, ann, bob)
    chat = api_direct_chat(server, token_a, bob)
    post_messages(server, token_b, chat, [f"message {i:03d}" for i in range(1, 301)])
    page = new_page()
    open_chat(page, ann, f"/chat/{chat}")
    box = page.locator("#messages")
    expect(box.get_by_text("message 300", exact=True)).to_be_in_viewport()
    expect(box.locator(".msg")).to_have_count(50)
    expect(box.locator(".sep.day")).to_have_count(1)
    expect(box.locator(".sep.day")).to_contain_text("Today")

    loaded = 50
    while loaded < 300:
        # Remember what is at the top of the view, scroll to the top, see more arrive.
        anchor = box.locator(".msg").first
        anchor_id = anchor.get_attribute("data-id")
        box.evaluate("b => { b.scrollTop = 0; }")
        expect(box.locator(".msg")).to_have_count(min(300, loaded + 50))
        loaded = min(300, loaded + 50)
        # The message that was at the top is still where it was on screen (not jumped away).
        top = page.evaluate(
            """id => { const b = document.getElementById('messages');
            const m = b.querySelector(`.msg[data-id="${id}"]`);
            return m.getBoundingClientRect().top - b.getBoundingClientRect().top; }""",
            anchor_id,
        )
        assert -40 < top < 120, top
    expect(box.get_by_text("This is the start of the conversation.")).to_be_visible()
    expect(box.get_by_text("message 001", exact=True)).to_be_visible()
    seqs = box.locator(".msg").evaluate_all("ns => ns.map(n => Number(n.dataset.seq))")
    assert seqs == sorted(seqs) and len(set(seqs)) == 300


def test_offline_send_is_delivered_once_when_back(new_page, server):
    ann, bob, token_a, chat = ann_and_bob_in_a_chat(server)
    page_b = new_page()
    open_chat(page_b, bob, f"/chat/{chat}")
    page = new_page()
    open_chat(page, ann, f"/chat/{chat}")

    page.context.set_offline(True)
    expect(page.locator("#status")).to_have_text(re.compile("^offline"))
    box = page.get_by_label("Message", exact=True)
    box.fill("sent from the tunnel 隧道")
    box.press("Enter")
    pending = page.locator("#messages .msg.pending").filter(has_text="sent from the tunnel")
    expect(pending).to_be_visible()
    expect(pending).to_contain_text(re.compile("not sent|sending"))
    expect(pending.get_by_role("button", name="Retry")).to_be_visible()
    client_id = pending.get_attribute("data-client-id")
    assert messages_of(server, token_a, chat) == []

    # Back online: the stream reconnects ("live" only after ready) and the draft goes by itself.
    page.context.set_offline(False)
    expect(page.locator("#status")).to_have_text("live")
    delivered = page.locator("#messages .msg[data-id]").filter(has_text="sent from the tunnel")
    expect(delivered).to_have_count(1)
    expect(page.locator("#messages .msg.pending")).to_have_count(0)
    expect(page_b.locator("#messages").get_by_text("sent from the tunnel 隧道")).to_have_count(1)
    page.wait_for_timeout(1000)
    stored = [m for m in messages_of(server, token_a, chat) if "tunnel" in m["text"]]
    assert len(stored) == 1 and stored[0]["client_id"] == client_id
    expect(delivered).to_have_count(1)


def test_signing_out_in_one_tab_signs_out_the_others(new_page, server):
    ann, _bob, _token_a, chat = ann_and_bob_in_a_chat(server)
    first = new_page()
    open_chat(first, ann, f"/chat/{chat}")
    chat_tab = first.context.new_page()
    chat_tab.goto(f"/chat/{chat}")
    expect(chat_tab.locator("#status")).to_have_text("live")
    friends_tab = first.context.new_page()
    friends_tab.goto("/friends")
    expect(friends_tab.get_by_role("heading", name="Friends", exact=True)).to_be_visible()
    friends_tab.wait_for_timeout(500)  # its stream is open

    first.get_by_role("button", name="Sign out").click()
    expect(first.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    for tab in (chat_tab, friends_tab):
        expect(tab).to_have_url(re.compile(r"/signin\?next="))
        expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()


def test_an_api_401_returns_to_sign_in(new_page, server):
    ann, bob, _token_a, chat = ann_and_bob_in_a_chat(server)
    page = new_page()
    open_chat(page, ann, f"/chat/{chat}")
    # The session ends without the stream noticing (say, an expiry): the next API call's 401
    # takes the page to sign-in.
    page.route(
        re.compile(r".*/api/v1/conversations$"),
        lambda route: route.fulfill(
            status=401,
            content_type="application/json",
            body='{"error": {"code": "unauthorized", "message": "sign in first"}}',
        ),
    )
    page.get_by_role("button", name="New group").click()
    page.get_by_role("dialog").get_by_label(f"@{bob.username}").check()
    page.get_by_role("dialog").get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"/signin\?next="))


def test_unsent_message_survives_a_reload(new_page, server):
    ann, _bob, token_a, chat = ann_and_bob_in_a_chat(server)
    page = new_page()
    page.clock.install()  # real time flows; the retry timer's 10 s are skipped below
    page.route_web_socket(re.compile(r".*/api/v1/stream$"), lambda ws: None)  # never ready
    posts = re.compile(rf".*/api/v1/conversations/{chat}/messages$")
    page.route(posts, lambda route: route.abort())  # and POST cannot reach the server
    page.goto(f"/signin?next=/chat/{chat}")
    sign_in(page, ann)
    expect(page.locator("#history-edge")).to_be_attached()
    expect(page.locator("#status")).to_have_text("connecting…")
    box = page.get_by_label("Message", exact=True)
    box.fill("kept across a reload")
    box.press("Enter")
    pending = page.locator("#messages .msg.pending")
    expect(pending).to_contain_text("not sent")
    client_id = pending.get_attribute("data-client-id")

    page.reload()
    expect(pending).to_have_count(1)
    expect(pending).to_have_attribute("data-client-id", client_id)
    page.unroute(posts)
    # Retried by itself (every 10 s while the stream is not ready), by POST, same client_id.
    delivered = page.locator("#messages .msg[data-id]").filter(has_text="kept across a reload")
    page.clock.fast_forward(10_000)
    expect(delivered).to_have_count(1)
    stored = messages_of(server, token_a, chat)
    assert [m["client_id"] for m in stored] == [client_id]
