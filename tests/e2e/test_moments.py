"""Moments in the browser: a moment with a picture shared with "all friends except Carl" is
seen, picture and all, by a friend; not by the friend left out nor by a stranger (the page and
the picture's URL); the friend's like and comment reach the author live."""

from __future__ import annotations

import io
import re

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Person, api_befriend, api_register, make_person, sign_in
from tests.e2e.helpers import api, befriend

pytestmark = pytest.mark.e2e


def jpeg(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 140, 90)).save(out, "JPEG")
    return out.getvalue()


def open_as(page: Page, person: Person, path: str) -> None:
    page.goto("/signin?next=" + path)
    sign_in(page, person)
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def test_a_moment_with_a_picture_except_one_friend(new_page, server):
    ann, bob, carl, dave = (make_person(n) for n in ("Ann", "Bob", "Carl", "Dave"))
    bob.display_name = "鲍勃"
    token_a, _ = api_befriend(server, ann, bob)
    token_c = api_register(server, carl)
    befriend(server, token_a, token_c, carl.username)
    api_register(server, dave)
    with api(server, token_a) as client:
        client.post("/moments", json={"text": "早上好 everyone"}).raise_for_status()

    # Ann posts from the composer: text, a picture (previewed, uploaded), all except Carl.
    page_a = new_page()
    open_as(page_a, ann, "/moments")
    expect(page_a.locator("#moments")).to_have_attribute("data-stream", "live")
    page_a.get_by_label("What's new?").fill("周末去爬山了 Weekend hike")
    page_a.locator("#moment-files").set_input_files(
        {"name": "hike.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    )
    expect(page_a.locator(".picked-picture")).to_have_attribute("data-state", "done")
    page_a.get_by_label("All except…").check()
    page_a.get_by_role("checkbox", name=re.compile(carl.username)).check()
    page_a.get_by_role("button", name="Post").click()
    moment_a = page_a.locator("article.moment").filter(has_text="Weekend hike")
    expect(moment_a).to_contain_text(f"All friends except @{carl.username}")
    expect(page_a.locator(".picked-picture")).to_have_count(0)
    picture_url = moment_a.locator("a.pic").get_attribute("href")
    assert picture_url and re.fullmatch(r"/api/v1/media/\d+", picture_url)
    page_a.evaluate("window.notReloaded = true")

    # Bob, a friend: the nav counts one new moment; he sees it and its picture loads.
    page_b = new_page()
    open_as(page_b, bob, "/chat")
    expect(page_b.locator("#moments-badge")).to_have_text("2")
    page_b.get_by_role("link", name=re.compile("^Moments")).click()
    expect(page_b.locator("#moments-badge")).to_be_hidden()
    moment_b = page_b.locator("article.moment").filter(has_text="Weekend hike")
    expect(moment_b).to_be_visible()
    thumb = moment_b.get_by_role("img", name=re.compile("Picture 1 of 1"))
    page_b.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert page_b.request.get(picture_url).status == 200
    moment_b.locator("a.pic").click()
    full = page_b.locator("#lightbox-img")
    expect(full).to_be_visible()
    page_b.wait_for_function(
        "img => img.complete && img.naturalWidth === 640", arg=full.element_handle()
    )
    page_b.get_by_role("button", name="Close").click()

    # Carl, the friend left out, sees Ann's other moment only, and not the picture.
    page_c = new_page()
    open_as(page_c, carl, "/moments")
    expect(page_c.locator("#feed")).to_contain_text("早上好 everyone")
    expect(page_c.locator("#feed")).not_to_contain_text("Weekend hike")
    assert page_c.request.get(picture_url).status == 404

    # Dave, a stranger, sees nothing on Ann's page, and not the picture.
    page_d = new_page()
    open_as(page_d, dave, f"/u/{ann.username}/moments")
    expect(page_d.locator("main")).to_contain_text("Only friends of Ann can see their moments")
    expect(page_d.locator("article.moment")).to_have_count(0)
    assert page_d.request.get(picture_url).status == 404

    # Bob likes and comments; Ann sees both without reloading.
    moment_b.get_by_role("button", name="Like").click()
    expect(moment_b.get_by_role("button", name="Liked")).to_have_attribute("aria-pressed", "true")
    moment_b.get_by_role("button", name="Comment").click()
    moment_b.get_by_label(re.compile("Comment on")).fill("好漂亮！下次带上我")
    moment_b.get_by_role("button", name="Send").click()
    expect(moment_b.locator(".comments")).to_contain_text("鲍勃: 好漂亮！下次带上我")
    expect(moment_a.locator(".likes")).to_contain_text("鲍勃")
    expect(moment_a.locator(".comments")).to_contain_text("鲍勃: 好漂亮！下次带上我")
    assert page_a.evaluate("window.notReloaded === true")

    # Ann answers Bob by clicking his comment; Bob, the person answered, sees it live too.
    moment_a.get_by_role("button", name=re.compile("Reply to 鲍勃")).click()
    moment_a.get_by_role("textbox", name="Reply to 鲍勃").fill("一定！")
    moment_a.get_by_role("button", name="Send").click()
    expect(moment_a.locator(".comments")).to_contain_text("Ann replied to 鲍勃: 一定！")
    expect(moment_b.locator(".comments")).to_contain_text("Ann replied to 鲍勃: 一定！")


def test_refused_pictures_new_moments_and_deleting(new_page, server):
    ann, bob = make_person("Ann"), make_person("Bob")
    token_a, token_b = api_befriend(server, ann, bob)
    with api(server, token_b) as client:
        first = client.post("/moments", json={"text": "Bob's first"}).raise_for_status().json()
    with api(server, token_a) as client:
        client.post(f"/moments/{first['id']}/comments", json={"text": "Ann was here"})

    page = new_page()
    open_as(page, ann, "/moments")
    expect(page.locator("#moments")).to_have_attribute("data-stream", "live")

    # A file that is no picture: its preview says what the server said, and can be removed.
    page.locator("#moment-files").set_input_files(
        {"name": "fake.jpg", "mimeType": "image/jpeg", "buffer": b"not a picture at all"}
    )
    failed = page.locator('.picked-picture[data-state="failed"]')
    with httpx.Client(base_url=server.url) as client:
        refused = client.post(
            "/api/v1/media",
            files={"file": ("fake.jpg", b"not a picture at all", "image/jpeg")},
            headers={"Authorization": f"Bearer {token_a}"},
        )
    assert refused.status_code in (415, 422)
    expect(failed).to_contain_text(refused.json()["error"]["message"])
    page.get_by_role("button", name="Remove picture 1").click()
    expect(page.locator(".picked-picture")).to_have_count(0)

    # A friend posts: the page offers the new moment without reloading by itself.
    with api(server, token_b) as client:
        client.post("/moments", json={"text": "Bob's second"}).raise_for_status()
    pill = page.get_by_role("button", name="1 new moment")
    expect(pill).to_be_visible()
    expect(page.locator("#feed")).not_to_contain_text("Bob's second")
    pill.click()
    expect(page.locator("#feed")).to_contain_text("Bob's second")

    # My comment on Bob's moment, then a private moment of mine: each deleted after asking.
    bobs = page.locator("article.moment").filter(has_text="Bob's first")
    bobs.get_by_role("button", name="Delete comment by Ann").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Delete").click()
    expect(bobs.locator(".social")).to_be_hidden()
    page.get_by_label("What's new?").fill("只给自己看 just for me")
    page.get_by_label("Private").check()
    page.get_by_role("button", name="Post").click()
    mine = page.locator("article.moment").filter(has_text="just for me")
    expect(mine).to_contain_text("Private: only you")
    moment_id = mine.get_attribute("data-id")
    mine.get_by_role("button", name="Delete").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Delete").click()
    expect(mine).to_have_count(0)
    with api(server, token_a) as client:
        assert client.get(f"/moments/{moment_id}").status_code == 404
        assert "Ann was here" not in str(client.get(f"/moments/{first['id']}").json())
