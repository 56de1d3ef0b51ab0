"""The article editor's "Check against the rules" panel in the browser (issue #13, item 1).

A moderator lists a term; an editor writes an article holding it in its second paragraph,
clicks Check and sees that paragraph under the policy and clause it matches, the clause's
text, the matched words marked, and what publishing would do. Nothing was published: the
article is still a draft nobody saved. A clean text says nothing matches. The panel is
looked at on a phone and a desktop with Chinese text."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SIZES, api_register, check_page, make_person
from tests.e2e.helpers import api, list_term
from tests.e2e.test_moderation import create_with_role
from tests.e2e.test_public_accounts import open_as

pytestmark = pytest.mark.e2e

TERM = "摇头丸"  # ecstasy pills


def test_the_editor_shows_the_paragraph_and_clause_a_listed_term_matches(new_page, server):
    editor, mo = make_person("Lin"), make_person("Mo")
    create_with_role(server, mo, "moderator")
    list_term(server, mo.username, mo.password, TERM)

    token = api_register(server, editor)
    handle = "zhoubao_" + uuid.uuid4().hex[:8]
    with api(server, token) as client:
        made = {"handle": handle, "name": "城南周报", "description": "社区里的事"}
        client.post("/public-accounts", json=made).raise_for_status()

    page = new_page()
    open_as(page, editor, f"/a/{handle}/write")
    page.get_by_label("Title").fill("周末市集见闻")
    text = (
        "周六的市集人很多，卖菜的、卖花的都有。\n\n"
        f"角落里有人小声问要不要{TERM}，我们赶紧走开了。\n\n"
        "下周还去，希望市集越办越好。"
    )
    page.get_by_label("Body (Markdown)").fill(text)
    page.get_by_role("button", name="Check", exact=True).click()

    result = page.locator("#check-result")
    expect(result.locator(".pa-check-outcome")).to_contain_text("remove it at once")
    match = result.locator(".pa-check-match")
    expect(match).to_have_count(1)
    expect(match.locator(".pa-check-where")).to_have_text("Paragraph 2 matches:")
    expect(match.locator(".pa-check-text")).to_contain_text("角落里有人小声问要不要")
    expect(match.locator("mark")).to_have_text([TERM])
    clause = match.locator(".pa-check-clause")
    expect(clause).to_contain_text("Illegal goods and services, clause 1")
    expect(clause).to_contain_text("Do not sell, buy or arrange the sale of illegal drugs.")
    expect(clause).to_contain_text("removed")
    for size in SIZES:
        page.set_viewport_size(SIZES[size])
        check_page(page, "policy-check", "editor-match", size)

    # Nothing was stored: the draft was never saved, so the account has no article.
    with api(server, token) as client:
        listed = client.get(f"/public-accounts/{handle}/articles", params={"drafts": "true"})
        assert listed.raise_for_status().json()["items"] == []

    # The same paragraph without the term: nothing matches.
    page.get_by_label("Body (Markdown)").fill(text.replace(TERM, "假货"))
    page.get_by_role("button", name="Check", exact=True).click()
    expect(result.locator(".pa-check-outcome")).to_contain_text("would be allowed")
    expect(result).to_contain_text("Nothing in the title or body matches a rule.")
    expect(result.locator("mark")).to_have_count(0)
    for size in SIZES:
        page.set_viewport_size(SIZES[size])
        check_page(page, "policy-check", "editor-clean", size)

    # The moments composer has the same check: the clause and the words, nothing posted.
    page.goto("/moments")
    expect(page.locator("#moments")).to_have_attribute("data-stream", "live")
    page.get_by_label("What's new?").fill(f"有人在群里卖{TERM}，大家小心。")
    page.get_by_role("button", name="Check rules").click()
    check = page.locator("#composer-check")
    expect(check).to_contain_text("Posting it would remove it:")
    expect(check).to_contain_text("Illegal goods and services, clause 1")
    expect(check.locator("mark")).to_have_text([TERM])
    expect(page.locator(".moment")).to_have_count(0)
    for size in SIZES:
        page.set_viewport_size(SIZES[size])
        check_page(page, "policy-check", "moments-composer", size)
