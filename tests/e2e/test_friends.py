"""Signing up, finding a person, a friend request with a greeting, accepting it; signing out
and in again, and a wrong password."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import make_person, sign_in, sign_up

pytestmark = pytest.mark.e2e


def friends_card(page: Page):
    """The "Friends" card of /friends (not "Friend requests")."""
    heading = page.get_by_role("heading", name="Friends", exact=True)
    return page.locator(".card").filter(has=heading)


def test_sign_up_request_accept_and_sign_in_again(new_page):
    ann, bob = make_person("Ann"), make_person("Bob")
    page_a, page_b = new_page(), new_page()
    sign_up(page_a, ann)
    sign_up(page_b, bob)
    expect(page_a.get_by_role("link", name="Ann", exact=True)).to_be_visible()
    expect(page_b.get_by_role("link", name="Bob", exact=True)).to_be_visible()

    # Ann finds Bob by username and sends a request with a greeting.
    page_a.get_by_role("link", name="Find people").click()
    expect(page_a).to_have_url(re.compile(r"/people"))
    page_a.get_by_label("Username").fill(bob.username)
    page_a.get_by_role("button", name="Search").click()
    expect(page_a.get_by_text(f"@{bob.username}")).to_be_visible()
    page_a.get_by_role("link", name="View").click()
    expect(page_a.get_by_role("heading", name="Bob")).to_be_visible()
    greeting = "Hi Bob, we met at the plaza"
    page_a.get_by_label("Greeting").fill(greeting)
    page_a.get_by_role("button", name="Add friend").click()
    expect(page_a.get_by_role("status")).to_have_text(f"Friend request sent to {bob.username}.")
    expect(page_a.get_by_text("Sent, waiting for an answer")).to_be_visible()

    # Bob sees the request with its greeting and accepts it.
    page_b.goto("/friends")
    request = page_b.get_by_role("listitem").filter(has_text=f"@{ann.username}")
    expect(request).to_be_visible()
    expect(request.get_by_text(greeting)).to_be_visible()
    request.get_by_role("button", name="Accept").click()
    expect(page_b.get_by_role("status")).to_have_text(f"{ann.username}: request accepted.")
    expect(page_b.get_by_text("No requests waiting.")).to_be_visible()
    expect(friends_card(page_b).get_by_role("link", name="Ann")).to_be_visible()
    expect(friends_card(page_b).get_by_text(f"@{ann.username}")).to_be_visible()

    # And Ann has Bob among her friends.
    page_a.goto("/friends")
    expect(friends_card(page_a).get_by_role("link", name="Bob")).to_be_visible()
    expect(friends_card(page_a).get_by_text(f"@{bob.username}")).to_be_visible()
    expect(page_a.get_by_text("Sent, waiting for an answer")).to_have_count(0)

    # Sign out: the friends page now asks to sign in first.
    page_a.get_by_role("button", name="Sign out").click()
    expect(page_a.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    page_a.goto("/friends")
    expect(page_a).to_have_url(re.compile(r"/signin\?next=/friends$"))
    expect(page_a.get_by_role("heading", name="Sign in")).to_be_visible()

    # A wrong password is refused with a message, and the username is kept.
    sign_in(page_a, ann, password="not the password")
    expect(page_a.get_by_role("alert")).to_have_text("wrong username or password")
    expect(page_a.get_by_label("Username")).to_have_value(ann.username)

    # The right one signs in and goes back to where she was heading.
    sign_in(page_a, ann)
    expect(page_a).to_have_url(re.compile(r"/friends$"))
    expect(friends_card(page_a).get_by_role("link", name="Bob")).to_be_visible()
    expect(page_a.get_by_role("button", name="Sign out")).to_be_visible()


def test_sign_in_from_the_sign_in_page_lands_on_chat(new_page):
    cara = make_person("Cara")
    page = new_page()
    sign_up(page, cara)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/signin"))
    sign_in(page, cara)
    expect(page).to_have_url(re.compile(r"/chat$"))
    expect(page.get_by_role("link", name="Cara", exact=True)).to_be_visible()
