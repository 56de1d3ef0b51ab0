"""A publisher's exit in the browser (issue #13), at a phone and a desktop size with Chinese
text: the owner closes their account (only once the box is ticked) and leaves a "moved to"
notice on its tombstone; a subscriber sees the banner atop their feed and the notice on the
tombstone. Screenshots of each land in /tmp/shots; axe finds nothing serious."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SIZES, api_register, check_page, make_person, sign_in
from tests.e2e.helpers import api

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_owner_closes_and_a_subscriber_sees_where_it_moved(browser, server, size):
    ann, bob = make_person("Ann"), make_person("Bob")
    token_a, token_b = api_register(server, ann), api_register(server, bob)
    handle, new_home = "herald_" + uuid.uuid4().hex[:8], "home_" + uuid.uuid4().hex[:8]
    with api(server, token_a) as client:
        for h, name in ((handle, "每日先驱报 The Daily Herald"), (new_home, "先驱报新家")):
            client.post("/public-accounts", json={"handle": h, "name": name}).raise_for_status()
        draft = client.post(
            f"/public-accounts/{handle}/articles",
            json={"title": "春天来了：公园里的花都开了", "body": "我们沿着湖边慢慢地走。"},
        )
        draft.raise_for_status()
        client.post(f"/articles/{draft.json()['id']}/publish").raise_for_status()
    with api(server, token_b) as client:
        client.post(f"/public-accounts/{handle}/subscription").raise_for_status()

    owner = browser.new_context(base_url=server.url, viewport=SIZES[size])
    reader = browser.new_context(base_url=server.url, viewport=SIZES[size])
    try:
        page = owner.new_page()
        page.goto(f"/signin?next=/a/{handle}")
        sign_in(page, ann)
        expect(page).to_have_url(re.compile(f"/a/{handle}$"))
        page.get_by_text("Close this account").click()
        close = page.get_by_role("button", name=f"Close @{handle}")
        close.click()
        expect(page.locator("#close-error")).to_have_text("Tick the box to confirm first.")
        check_page(page, "exit", "owner-close", size)
        expect(page.get_by_role("heading", name="This public account was closed")).to_have_count(0)
        page.get_by_label(f"I understand: close @{handle} for good").check()
        close.click()
        expect(page.get_by_role("heading", name="This public account was closed")).to_be_visible()
        expect(page.locator("#tombstone")).to_contain_text("Its owner closed")
        page.get_by_label(re.compile("Where has it moved")).fill("not an address")
        page.get_by_role("button", name="Post").click()
        expect(page.locator("#moved-error")).to_contain_text("https://")
        page.get_by_label(re.compile("Where has it moved")).fill(f"@{new_home}")
        page.get_by_role("button", name="Post").click()
        expect(page.locator("#moved-notice")).to_contain_text(f"has moved to @{new_home}")
        check_page(page, "exit", "owner-tombstone", size)

        page = reader.new_page()
        page.goto("/signin?next=/feed")
        sign_in(page, bob)
        expect(page).to_have_url(re.compile("/feed$"))
        banner = page.locator("#moved-notices")
        expect(banner).to_contain_text(f"每日先驱报 The Daily Herald (@{handle}) has moved to")
        expect(banner.get_by_role("link", name=f"@{new_home}")).to_have_attribute(
            "href", f"/a/{new_home}"
        )
        expect(page.locator("#pa-list")).not_to_contain_text("春天来了")
        check_page(page, "exit", "feed-banner", size)
        banner.get_by_role("link", name="why").click()
        expect(page.locator("#moved-notice")).to_contain_text(f"@{new_home}")
        expect(page.locator("#moved-form")).to_have_count(0)
        check_page(page, "exit", "tombstone", size)
        # The closed account has no page to leave it from: the notice in the feed is where.
        page.goto("/feed")
        page.get_by_role("button", name="Unsubscribe from 每日先驱报 The Daily Herald").click()
        expect(page.locator("#moved-notices")).to_have_count(0)
        page.reload()
        expect(page.locator("#moved-notices")).to_have_count(0)
    finally:
        owner.close()
        reader.close()
