"""Every page at a desktop size and a phone size: axe-core finds no serious or critical
violation (WCAG 2.2 AA contrast included), and a screenshot of each lands in /tmp/shots for a
person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    api_befriend,
    api_direct_chat,
    api_register,
    assert_accessible,
    make_person,
    open_chat,
)
from tests.e2e.helpers import create_group, post_messages, request_friendship

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")


def check(page: Page, name: str, size: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{size}-{name}.png"))
    assert_accessible(page, f"{name} at {size}")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_page_is_accessible(new_page, server, size):
    phone = size == "phone"
    # Signed out.
    page = new_page(phone=phone)
    for path, name in [
        ("/", "home"),
        ("/signin", "signin"),
        ("/signup", "signup"),
        ("/transparency", "transparency"),
    ]:
        page.goto(path)
        check(page, name, size)

    # Signed in, with a friend, a direct chat, a group and a waiting friend request.
    ann = make_person("Ann")
    ann.display_name = "Annabelle Wilhelmina Featherstonehaugh-Smythe"
    bob = make_person("Bob")
    bob.display_name = "鲍勃"
    token_a, token_b = api_befriend(server, ann, bob)
    stranger = make_person("Cleo")
    token_c = api_register(server, stranger)
    request_friendship(server, token_c, ann.username, "你好，我们在广场见过")
    direct = api_direct_chat(server, token_a, bob)
    post_messages(
        server, token_b, direct, ["你好！今天中午一起吃饭吗？", "See https://example.org/menu"]
    )
    post_messages(server, token_a, direct, ["好的，十二点在喷泉见。"])
    group = create_group(server, token_a, "周末爬山 Weekend hike", [bob.username])
    post_messages(server, token_b, group, ["我带水和零食 🍎"])

    page = new_page(phone=phone)
    open_chat(page, ann)
    check(page, "chat-empty", size)

    page.goto(f"/chat/{direct}")
    expect(page.locator("#status")).to_have_text("live")
    expect(page.locator("#messages")).to_contain_text("十二点在喷泉见")
    check(page, "chat-direct", size)

    page.goto(f"/chat/{group}")
    expect(page.locator("#messages")).to_contain_text("我带水和零食")
    page.get_by_role("button", name="Members").click()
    expect(page.locator("#members-panel")).to_be_visible()
    check(page, "chat-members", size)

    for path, name in [
        ("/friends", "friends"),
        (f"/people?q={bob.username}", "people"),
        (f"/u/{bob.username}", "profile-friend"),
        (f"/u/{stranger.username}", "profile-stranger"),
        ("/me", "me"),
        ("/standing", "standing"),
    ]:
        page.goto(path)
        check(page, name, size)
