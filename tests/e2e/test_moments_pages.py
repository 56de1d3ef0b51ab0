"""The moments pages at a phone size (360x740) and a desktop size (1280x800), with Chinese
text: axe-core finds no serious or critical violation, nothing is wider than the screen, and a
screenshot of each lands in /tmp/shots for a person to look at."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    SIZES,
    WAIT_MS,
    api_befriend,
    api_register,
    check_page,
    make_person,
    sign_in,
)
from tests.e2e.helpers import api
from tests.e2e.test_moments import jpeg

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_moments_pages_are_accessible_and_fit(browser, server, size):
    ann, bob = make_person("Ann"), make_person("Bob")
    ann.display_name = "Annabelle Wilhelmina Featherstonehaugh-Smythe"
    bob.display_name = "鲍勃"
    token_a, token_b = api_befriend(server, ann, bob)
    stranger = make_person("Cleo")
    api_register(server, stranger)
    with api(server, token_a) as client:
        pictures = [
            client.post("/media", files={"file": (f"{i}.jpg", jpeg(400 + 100 * i), "image/jpeg")})
            .raise_for_status()
            .json()["id"]
            for i in range(4)
        ]
        client.post(
            "/labels", json={"name": "家人 family", "members": [bob.username]}
        ).raise_for_status()
        client.post(
            "/moments",
            json={"text": "今天天气很好，我们去公园散步了。", "media_ids": pictures[:1]},
        ).raise_for_status()
        hike = (
            client.post(
                "/moments",
                json={
                    "text": "周末爬山 Weekend hike: 山顶的风景太美了，下次一起去吧！" * 2,
                    "media_ids": pictures,
                    "visibility": {"mode": "only", "usernames": [bob.username]},
                },
            )
            .raise_for_status()
            .json()
        )
    with api(server, token_b) as client:
        client.post(f"/moments/{hike['id']}/like").raise_for_status()
        comment = (
            client.post(f"/moments/{hike['id']}/comments", json={"text": "好漂亮！下次带上我"})
            .raise_for_status()
            .json()
        )
        client.post("/moments", json={"text": "我也发一条 Bob's first moment"}).raise_for_status()
    with api(server, token_a) as client:
        client.post(
            f"/moments/{hike['id']}/comments", json={"text": "一定！", "reply_to": comment["id"]}
        ).raise_for_status()

    context = browser.new_context(
        base_url=server.url,
        viewport=SIZES[size],
        is_mobile=size == "phone",
        has_touch=size == "phone",
    )
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto("/signin?next=/moments")
        sign_in(page, ann)
        expect(page).to_have_url(re.compile("/moments$"))
        expect(page.locator("article.moment")).to_have_count(3)
        check_page(page, "moments", "timeline", size)

        page.get_by_label("Only…").check()
        expect(page.get_by_role("checkbox", name=re.compile("家人 family"))).to_be_visible()
        page.locator("#moment-files").set_input_files(
            [{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}] * 2
        )
        expect(page.locator('.picked-picture[data-state="done"]')).to_have_count(2)
        check_page(page, "moments", "composer", size)

        page.locator("article.moment").filter(has_text="Weekend hike").locator("a.pic").nth(
            1
        ).click()
        expect(page.locator("#lightbox-img")).to_be_visible()
        check_page(page, "moments", "lightbox", size)

        for path, name in [
            (f"/u/{bob.username}/moments", "person-friend"),
            (f"/u/{stranger.username}/moments", "person-stranger"),
            ("/labels", "labels"),
        ]:
            page.goto(path)
            check_page(page, "moments", name, size)
    finally:
        context.close()
