"""Accountability in the browser (issue #12, item 7).

An article caught by a keyword is removed as it is published; its author finds a notice that
names the policy and the matched term, and appeals from the notice's page; the moderator who
listed the term is not the one who reviews: a second moderator reverses, and the article is
back on its public page; the transparency page counts one more automated removal and one more
reversed appeal. The pages (my notices, a notice, the appeal queue, an appeal) are
looked at on a phone and a desktop with Chinese text, checked by axe and for fit.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SIZES, api_register, check_page, make_person
from tests.e2e.helpers import api, list_term
from tests.e2e.test_moderation import create_with_role, open_as

pytestmark = pytest.mark.e2e

TERM = "冰毒"  # methamphetamine


def _publish(server, token: str, handle: str, title: str, body: str) -> int:
    with api(server, token) as client:
        made = client.post(
            "/public-accounts",
            json={"handle": handle, "name": "街坊新闻 Street News", "description": "本地新闻"},
        )
        made.raise_for_status()
        draft = client.post(
            f"/public-accounts/{handle}/articles", json={"title": title, "body": body}
        )
        draft.raise_for_status()
        article_id = draft.json()["id"]
        client.post(f"/articles/{article_id}/publish").raise_for_status()
        return article_id


def _figures(server) -> dict:
    """Today's transparency counts: (label, count) by source and by action, and reversals."""
    with httpx.Client(base_url=server.url + "/api/v1", timeout=30) as client:
        report = client.get("/transparency").raise_for_status().json()
    actions = report["actions"]
    return {
        "by-source": {c["key"]: (c["label"], c["count"]) for c in actions["by_source"]},
        "by-action": {c["key"]: (c["label"], c["count"]) for c in actions["by_action"]},
        "reversed": report["appeals"]["reversed"],
    }


def test_a_removed_article_is_appealed_and_restored(new_page, server):
    author, mo, rae = (make_person(n) for n in ("Wen", "Mo", "Rae"))
    create_with_role(server, mo, "moderator")
    create_with_role(server, rae, "moderator")

    # Mo lists a term.
    list_term(server, mo.username, mo.password, TERM)

    before = _figures(server)
    token = api_register(server, author)
    handle = "jiefang_" + author.username[-6:]
    article_id = _publish(
        server, token, handle, "社区警方通报", f"昨晚警方在小区查获{TERM}。 Police seized drugs."
    )
    public = f"/a/{handle}/{article_id}"
    reader = new_page()
    assert reader.goto(public).status == 410

    # The author's bell shows a new notice; the notice names the rule and the term.
    page_a = new_page()
    open_as(page_a, author, "/notices")
    expect(page_a.locator("#notices-badge")).to_have_text("1")
    item = page_a.locator(".notice-item").first
    expect(item).to_contain_text("Your article was removed")
    expect(item).to_contain_text("Illegal goods")
    item.get_by_role("link").click()
    expect(page_a.locator("#statement-policy")).to_contain_text("clause 1")
    expect(page_a.locator("#statement-facts")).to_contain_text(TERM)
    expect(page_a.locator("#statement-automation")).to_contain_text("decided automatically")
    expect(page_a.locator("#notice-content")).to_contain_text("社区警方通报")
    for size in SIZES:
        page_a.set_viewport_size(SIZES[size])
        check_page(page_a, "accountability", "notice", size)
    page_a.get_by_label("Why was this decision wrong?").fill(
        "这是警方通报，不是贩卖。 It reports a police seizure; nothing is for sale."
    )
    page_a.get_by_role("button", name="Send my appeal").click()
    expect(page_a.locator("#appeal-state")).to_contain_text("waiting for a moderator")

    # Rae reviews it (an automated decision: any moderator may) and reverses it.
    page_r = new_page()
    open_as(page_r, rae, "/moderation/appeals")
    row = page_r.locator("#appeal-rows tr").filter(has_text=author.username)
    row.get_by_role("link").click()
    expect(page_r.locator("#appeal-text")).to_contain_text("这是警方通报")
    expect(page_r.locator("#evidence-copy")).to_contain_text(TERM)
    page_r.get_by_role("button", name="Claim this appeal").click()
    page_r.get_by_label(re.compile("Reverse")).check()
    page_r.get_by_label("Explanation for the person").fill("新闻报道不是广告。 News, not an offer.")
    for size in SIZES:
        page_r.set_viewport_size(SIZES[size])
        check_page(page_r, "accountability", "appeal-review", size)
    page_r.get_by_role("button", name="Decide").click()
    expect(page_r.locator("#appeal-state")).to_have_text("reversed")

    # Back on its public page; the author is told.
    response = reader.goto(public)  # the same tab: the tombstone was not cached
    assert response is not None and response.status == 200
    expect(reader.locator("main")).to_contain_text("社区警方通报")
    page_a.goto("/notices")
    expect(page_a.locator(".notice-item").first).to_contain_text("Your appeal was granted")

    # The transparency page (the server is shared by the run's browser tests: count the
    # difference) shows one more automated removal and one more reversed appeal.
    after = _figures(server)
    reader.goto("/transparency")
    for table, key in (("by-source", "automated"), ("by-action", "remove_content")):
        label, count = after[table][key]
        assert count == before[table][key][1] + 1, (table, before, after)
        row = reader.locator(f"#{table} tr").filter(has_text=label)
        expect(row.locator("td.tp-num")).to_have_text(str(count))
    reversed_now = after["reversed"]
    assert reversed_now == before["reversed"] + 1
    expect(
        reader.locator("#appeals tr").filter(has_text="Reversed").locator("td.tp-num")
    ).to_have_text(str(reversed_now))
    for size in SIZES:
        page_a.set_viewport_size(SIZES[size])
        check_page(page_a, "accountability", "notices", size)
